import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (sandbox/..): where cdk.json and the app live. */
export const REPO_ROOT = path.resolve(__dirname, '..');

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

/** One synthesized stack: its template and the region it deploys to. */
export interface StackArtifact {
  readonly name: string;
  /** From the artifact's environment; undefined for an environment-agnostic stack. */
  readonly region?: string;
  readonly account?: string;
  readonly template: Template;
}

export interface CloudAssembly {
  readonly dir: string;
  readonly stacks: readonly StackArtifact[];
}

/** `npx cdk synth` of this app with `-c config=FILE`, into `outdir`. Fails with cdk's own output. */
export async function synthesize(configFile: string, outdir: string): Promise<CloudAssembly> {
  try {
    await run('npx', ['cdk', 'synth', '--quiet', '-c', `config=${path.resolve(configFile)}`, '-o', outdir], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`cdk synth failed:\n${(stderr || stdout || (error as Error).message).trim()}`);
  }
  return loadAssembly(outdir);
}

/** Reads an existing cloud assembly (a cdk.out directory). */
export function loadAssembly(dir: string): CloudAssembly {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${dir}: no manifest.json (not a cdk.out directory)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  const stacks: StackArtifact[] = [];
  for (const [name, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    // aws://ACCOUNT/REGION, with unknown-account / unknown-region for an environment-agnostic stack.
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
    stacks.push({
      name,
      region: region && region !== 'unknown-region' ? region : undefined,
      account: account && account !== 'unknown-account' ? account : undefined,
      template: JSON.parse(
        readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'),
      ) as Template,
    });
  }
  if (stacks.length === 0) throw new Error(`${dir}: the cloud assembly holds no stack`);
  return { dir, stacks };
}

/**
 * The folder of a function's synthesized asset: the `aws:asset:path` metadata CDK writes next to the
 * function, else the asset named by its Code.S3Key (`<hash>.zip` -> `asset.<hash>`).
 */
export function functionAssetDir(
  assembly: CloudAssembly,
  logicalId: string,
  resource: TemplateResource,
): string {
  const metaPath = resource.Metadata?.['aws:asset:path'];
  const code = resource.Properties?.Code as { S3Key?: unknown; ZipFile?: unknown } | undefined;
  const candidates: string[] = [];
  if (typeof metaPath === 'string') candidates.push(path.resolve(assembly.dir, metaPath));
  if (typeof code?.S3Key === 'string') {
    candidates.push(path.join(assembly.dir, `asset.${code.S3Key.replace(/\.zip$/, '')}`));
  }
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) {
    throw new Error(
      `function ${logicalId}: no synthesized asset found (looked for ${candidates.join(', ') || 'nothing'})`,
    );
  }
  return found;
}
