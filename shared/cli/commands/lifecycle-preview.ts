import {
  GetLifecyclePolicyPreviewCommand,
  type GetLifecyclePolicyPreviewResponse,
  type LifecyclePolicyPreviewResult,
  StartLifecyclePolicyPreviewCommand,
} from '@aws-sdk/client-ecr';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import { lifecyclePolicyText } from '../../lifecycle/policy';
import { findRepository } from '../../policy/managed';
import { addAwsOptions, awsError, awsOptionsFrom, type CliDeps, resolveCliDeps } from '../aws-options';
import { CliError, EXIT } from '../errors';
import { parseDuration } from '../format/duration';
import { parseImageRef } from '../format/image-ref';
import { formatTable } from '../format/table';

interface LifecyclePreviewOptions {
  config: string;
  deployed?: boolean;
  json?: boolean;
  timeout: string;
  poll: string;
  region?: string;
  profile?: string;
}

/** One image the policy would act on. */
export interface PreviewImage {
  readonly digest: string;
  readonly tags: string[];
  readonly pushedAt?: string;
  /** EXPIRE, or TRANSITION (to the archive storage class). */
  readonly action: string;
  readonly rulePriority?: number;
  readonly ruleDescription?: string;
}

export interface PreviewReport {
  readonly repository: string;
  /** Where the previewed policy came from. */
  readonly source: 'config' | 'deployed';
  readonly images: PreviewImage[];
  readonly expiringCount: number;
}

/** Rule priority -> description, read from the policy text that was previewed. */
function ruleDescriptions(policyText: string | undefined): Map<number, string> {
  const map = new Map<number, string>();
  if (!policyText) return map;
  try {
    const parsed = JSON.parse(policyText) as { rules?: { rulePriority?: number; description?: string }[] };
    for (const rule of parsed.rules ?? []) {
      if (typeof rule.rulePriority === 'number') map.set(rule.rulePriority, rule.description ?? '');
    }
  } catch {
    // The deployed policy text is ECR's own JSON; without it the table simply has no descriptions.
  }
  return map;
}

function toImage(result: LifecyclePolicyPreviewResult, descriptions: Map<number, string>): PreviewImage {
  const priority = result.appliedRulePriority;
  return {
    digest: result.imageDigest ?? '',
    tags: result.imageTags ?? [],
    ...(result.imagePushedAt ? { pushedAt: new Date(result.imagePushedAt).toISOString() } : {}),
    action: result.action?.type ?? 'EXPIRE',
    ...(priority !== undefined ? { rulePriority: priority } : {}),
    ...(priority !== undefined && descriptions.get(priority)
      ? { ruleDescription: descriptions.get(priority) }
      : {}),
  };
}

/**
 * Runs ECR's lifecycle policy preview for one repository and collects every result page. With `policyText`
 * the preview uses that policy (the one the config would deploy); without it, the repository's deployed policy.
 */
export async function previewLifecycle(
  deps: CliDeps,
  options: {
    repository: string;
    policyText?: string;
    region?: string;
    profile?: string;
    timeoutMs: number;
    pollMs: number;
  },
): Promise<PreviewReport> {
  const ecr = deps.ecr(options);
  const repositoryName = options.repository;
  try {
    await ecr.send(
      new StartLifecyclePolicyPreviewCommand({
        repositoryName,
        ...(options.policyText ? { lifecyclePolicyText: options.policyText } : {}),
      }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'LifecyclePolicyPreviewInProgressException') {
      throw new CliError(
        `a lifecycle preview is already running for ${repositoryName}; wait for it to finish and retry`,
        EXIT.ERROR,
        {
          cause: error,
        },
      );
    }
    if (name === 'LifecyclePolicyNotFoundException') {
      throw new CliError(`${repositoryName} has no deployed lifecycle policy to preview`, EXIT.ERROR, {
        cause: error,
      });
    }
    if (name === 'RepositoryNotFoundException') {
      throw new CliError(
        `repository ${repositoryName} does not exist in this account and region`,
        EXIT.ERROR,
        { cause: error },
      );
    }
    throw awsError(`StartLifecyclePolicyPreview for ${repositoryName}`, error);
  }

  const deadline = deps.now().getTime() + options.timeoutMs;
  let first: GetLifecyclePolicyPreviewResponse;
  for (;;) {
    try {
      first = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName, maxResults: 100 }));
    } catch (error) {
      throw awsError(`GetLifecyclePolicyPreview for ${repositoryName}`, error);
    }
    if (first.status === 'COMPLETE') break;
    if (first.status === 'FAILED' || first.status === 'EXPIRED') {
      throw new CliError(`the lifecycle preview for ${repositoryName} ended with status ${first.status}`);
    }
    if (deps.now().getTime() + options.pollMs > deadline) {
      throw new CliError(
        `timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for the lifecycle preview of ${repositoryName}`,
      );
    }
    await deps.sleep(options.pollMs);
  }

  const descriptions = ruleDescriptions(options.policyText ?? first.lifecyclePolicyText);
  const images = (first.previewResults ?? []).map((r) => toImage(r, descriptions));
  let nextToken = first.nextToken;
  while (nextToken) {
    let page: GetLifecyclePolicyPreviewResponse;
    try {
      page = await ecr.send(
        new GetLifecyclePolicyPreviewCommand({ repositoryName, maxResults: 100, nextToken }),
      );
    } catch (error) {
      throw awsError(`GetLifecyclePolicyPreview for ${repositoryName}`, error);
    }
    images.push(...(page.previewResults ?? []).map((r) => toImage(r, descriptions)));
    nextToken = page.nextToken;
  }
  images.sort(
    (a, b) =>
      (a.rulePriority ?? 0) - (b.rulePriority ?? 0) || (a.pushedAt ?? '').localeCompare(b.pushedAt ?? ''),
  );
  return {
    repository: repositoryName,
    source: options.policyText ? 'config' : 'deployed',
    images,
    expiringCount:
      first.summary?.expiringImageTotalCount ?? images.filter((i) => i.action === 'EXPIRE').length,
  };
}

export function formatPreview(report: PreviewReport): string {
  const source = report.source === 'config' ? 'the policy in the config' : 'the deployed policy';
  if (report.images.length === 0) return `${report.repository}: no image would expire under ${source}\n`;
  const table = formatTable(
    ['DIGEST', 'TAGS', 'PUSHED', 'ACTION', 'RULE', 'DESCRIPTION'],
    report.images.map((i) => [
      i.digest,
      i.tags.length > 0 ? i.tags.join(',') : '<untagged>',
      i.pushedAt ? i.pushedAt.replace(/\.\d{3}Z$/, 'Z') : '',
      i.action,
      i.rulePriority !== undefined ? String(i.rulePriority) : '',
      i.ruleDescription ?? '',
    ]),
  );
  return `${table}\n${report.expiringCount} image(s) in ${report.repository} would expire under ${source}\n`;
}

export function registerLifecyclePreview(program: Command, explicitDeps?: CliDeps): void {
  const command = program
    .command('lifecycle-preview')
    .description("Preview which images ECR's lifecycle policy would expire, and under which rule")
    .argument('<repository>', 'repository name, e.g. payments/api')
    .option(
      '--config <file>',
      'Harbormaster config file whose lifecycle settings are previewed',
      DEFAULT_CONFIG_PATH,
    )
    .option('--deployed', "preview the repository's deployed lifecycle policy instead of the config's")
    .option('--json', 'print JSON for scripts')
    .option('--timeout <duration>', 'give up waiting for the preview after this long (exit 2)', '5m')
    .option('--poll <duration>', 'time between status checks', '5s');
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ harbormaster lifecycle-preview payments/api
  $ harbormaster lifecycle-preview payments/api --deployed --region eu-west-1
  $ harbormaster lifecycle-preview platform/tools --config prod.yaml --json | jq '.images[].digest'

The preview changes nothing: ECR evaluates the policy against the repository's images and reports them.
Exit codes: 0 preview printed, 2 error or timeout.`,
  );
  command.action(async (repositoryArg: string, options: LifecyclePreviewOptions) => {
    const deps = resolveCliDeps(explicitDeps);
    const { repository } = parseImageRef(repositoryArg, 'repository');
    const timeoutMs = parseDuration(options.timeout, '--timeout');
    const pollMs = parseDuration(options.poll, '--poll');
    let policyText: string | undefined;
    if (!options.deployed) {
      const config = loadConfig(options.config);
      const managed = findRepository(config, repository);
      if (!managed) {
        throw new CliError(
          `${repository} is not managed in ${options.config}; pass --deployed to preview its deployed lifecycle policy`,
        );
      }
      policyText = lifecyclePolicyText(managed);
      if (!policyText) throw new CliError(`${repository} has no lifecycle rules in ${options.config}`);
    }
    const report = await previewLifecycle(deps, {
      repository,
      policyText,
      ...awsOptionsFrom(options),
      timeoutMs,
      pollMs,
    });
    deps.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatPreview(report));
  });
}
