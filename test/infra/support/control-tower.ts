import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import YAML from 'yaml';

/**
 * Runs AWS Control Tower's proactive controls (the cfn-guard rules @cdklabs/cdk-validator-cfnguard ships, with
 * the cfn-guard binary it bundles: no download, works offline) over synthesized templates.
 */

const PACKAGE_DIR = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
export const CONTROL_TOWER_RULES_DIR = path.join(PACKAGE_DIR, 'rules', 'control-tower', 'cfn-guard');

function guardBinary(): string {
  const platform = os.platform() === 'darwin' ? 'macos' : 'ubuntu';
  const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64';
  const binary = path.join(PACKAGE_DIR, 'bin', platform, arch, 'cfn-guard');
  if (!fs.existsSync(binary)) throw new Error(`cfn-guard binary missing: expected ${binary}`);
  return binary;
}

function guardFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return guardFiles(full);
    return entry.name.endsWith('.guard') ? [full] : [];
  });
}

/** cfn-guard reports the rule's name (e.g. sqs_dlq_check); its message carries the control id (CT.SQS.PR.1). */
function controlIdsByRuleName(): Map<string, string> {
  const ids = new Map<string, string>();
  for (const file of guardFiles(CONTROL_TOWER_RULES_DIR)) {
    const text = fs.readFileSync(file, 'utf8');
    const id = /\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(text)?.[1];
    if (!id) throw new Error(`no control id in ${file}`);
    for (const match of text.matchAll(/^rule (\w+) when/gm)) ids.set(match[1], id);
  }
  return ids;
}

/** One failed control on one stack, e.g. { stack: 'HarbormasterRegistry', control: 'CT.ECR.PR.3' }. */
export interface ControlFailure {
  readonly stack: string;
  readonly control: string;
}

interface GuardFileResult {
  readonly name: string;
  readonly not_compliant: ReadonlyArray<{ readonly Rule?: { readonly name: string } }>;
  readonly compliant: readonly string[];
}

/** One control's result on one stack: `pass` when every resource it applies to complies. */
export interface ControlResult extends ControlFailure {
  readonly status: 'pass' | 'fail';
}

/** Every control that applies to a template of the app, with its result, sorted by stack then control. */
export function controlTowerResults(app: App): ControlResult[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'harbormaster-ct-'));
  try {
    const assembly = app.synth({ force: true });
    const templates = assembly.stacks.map((stack) => {
      const file = path.join(outdir, `${stack.stackName}.json`);
      fs.writeFileSync(file, JSON.stringify(stack.template));
      return file;
    });
    const args = ['validate', '--rules', CONTROL_TOWER_RULES_DIR];
    for (const file of templates) args.push('--data', file);
    args.push('--output-format', 'json', '--show-summary', 'none', '--structured');
    let stdout: string;
    try {
      stdout = execFileSync(guardBinary(), args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    } catch (error) {
      // cfn-guard exits 19 when a rule fails; its report is still on stdout.
      const failed = error as { status?: number; stdout?: string };
      if (failed.status !== 19 || !failed.stdout) throw error;
      stdout = failed.stdout;
    }
    const ids = controlIdsByRuleName();
    const byKey = new Map<string, ControlResult>();
    for (const result of JSON.parse(stdout) as GuardFileResult[]) {
      const stack = path.basename(result.name, '.json');
      for (const rule of result.compliant) {
        const control = ids.get(rule) ?? rule;
        const key = `${stack} ${control}`;
        if (!byKey.has(key)) byKey.set(key, { stack, control, status: 'pass' });
      }
      for (const check of result.not_compliant) {
        const rule = check.Rule?.name ?? '(unnamed)';
        const control = ids.get(rule) ?? rule;
        byKey.set(`${stack} ${control}`, { stack, control, status: 'fail' });
      }
    }
    return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every control-tower control that fails on a template of the app, sorted; [] when all pass. */
export function controlTowerFailures(app: App): ControlFailure[] {
  return controlTowerResults(app)
    .filter((r) => r.status === 'fail')
    .map(({ stack, control }) => ({ stack, control }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigDoc = any;

const EXAMPLE_PATH = path.join(__dirname, '..', '..', '..', 'harbormaster.config.yaml');

/** The shipped example config, as a plain document to vary. */
export function exampleDoc(): ConfigDoc {
  return YAML.parse(fs.readFileSync(EXAMPLE_PATH, 'utf8'));
}

/** Ids of the shape `network` takes (no lookups: synth stays offline). */
export const NETWORK = {
  subnetIds: ['subnet-0a1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
};

/** The example with every user choice Control Tower asks for: a VPC, and plain IMMUTABLE repositories. */
export function compliantDoc(): ConfigDoc {
  const doc = exampleDoc();
  doc.network = NETWORK;
  for (const repo of doc.repositories) {
    repo.tagMutability = 'IMMUTABLE';
    // Moving tags (auto-tag, promotion) cannot exist in an IMMUTABLE repository: the config checks say so.
    delete repo.mutabilityExclusions;
    delete repo.autoTag;
    if (repo.scan) delete repo.scan.promoteTo;
  }
  return doc;
}
