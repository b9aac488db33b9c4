import type { ECRClient } from '@aws-sdk/client-ecr';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { severityThreshold, type SeverityThreshold } from '../../config/primitives';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import type { ScanPolicy } from '../../config/schema';
import type { Finding, SeverityCounts, Verdict } from '../../domain/types';
import { findRepository } from '../../policy/managed';
import { formatCounts } from '../../policy/severity';
import { decideVerdict } from '../../policy/verdict';
import { describeFindings } from '../../registry/ecr-images';
import { readScanState, ScanReadError, type ScanState } from '../../registry/image-scan';
import {
  addAwsOptions,
  awsError,
  awsOptionsFrom,
  type CliDeps,
  resolveCliDeps,
  resolveImageDigest,
} from '../aws-options';
import { CliError, EXIT } from '../errors';
import { parseDuration, parsePositiveInt } from '../format/duration';
import { formatFindings, sortFindings } from '../format/findings';
import { formatGateReport, formatMarkdown, parseGateFormat } from '../format/gate-report';
import { formatImageRef, parseImageRef } from '../format/image-ref';
import { appendStepSummary } from '../format/step-summary';

interface GateOptions {
  maxSeverity?: string;
  timeout: string;
  poll: string;
  config?: string;
  top: string;
  json?: boolean;
  format?: string;
  region?: string;
  profile?: string;
}

/** Findings fetched to decide and to show; DescribeImageScanFindings returns up to 1000 per call. */
const MAX_FINDINGS = 1000;

export interface GateResult {
  readonly image: string;
  readonly digest: string;
  readonly scanStatus: string;
  readonly maxSeverity: SeverityThreshold;
  readonly counts: SeverityCounts;
  readonly verdict: Verdict;
  /** Most severe first, at most --top. */
  readonly topFindings: Finding[];
  /** False when the image had more findings than were fetched. */
  readonly findingsComplete: boolean;
}

/** The scan policy to apply: the repository's from the config, with --max-severity overriding the threshold. */
export function gatePolicy(
  repository: string,
  options: { config?: string; maxSeverity?: string },
  deps: Pick<CliDeps, 'err'>,
): ScanPolicy {
  let override: SeverityThreshold | undefined;
  if (options.maxSeverity !== undefined) {
    const parsed = severityThreshold.safeParse(options.maxSeverity.toUpperCase());
    if (!parsed.success) {
      throw new CliError(
        `--max-severity: expected one of NONE, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, got "${options.maxSeverity}"`,
      );
    }
    override = parsed.data;
  }
  const path = options.config ?? DEFAULT_CONFIG_PATH;
  if (options.config === undefined && !existsSync(path)) {
    // A CI job outside the platform repository has no config: the flag alone decides, with no allowlist.
    if (!override) {
      throw new CliError(`no ${DEFAULT_CONFIG_PATH} here: pass --config FILE or --max-severity LEVEL`);
    }
    deps.err(
      `harbormaster: no ${DEFAULT_CONFIG_PATH}; gating on --max-severity ${override} with no allowlist\n`,
    );
    return { maxSeverity: override, allowlist: [], promoteTo: [], quarantine: false };
  }
  const managed = findRepository(loadConfig(path), repository);
  if (!managed) {
    if (!override)
      throw new CliError(
        `${repository} is not managed in ${path}: pass --max-severity LEVEL to gate it anyway`,
      );
    return { maxSeverity: override, allowlist: [], promoteTo: [], quarantine: false };
  }
  return override ? { ...managed.scan, maxSeverity: override } : managed.scan;
}

/**
 * Polls the scan (readScanState) until it is final. A scan not found yet (just pushed) and
 * IN_PROGRESS/PENDING keep polling; FAILED, UNSUPPORTED_IMAGE and other final non-results are errors.
 */
async function waitForScan(
  ecr: ECRClient,
  deps: CliDeps,
  image: { repository: string; digest: string; label: string },
  timing: { timeoutMs: number; pollMs: number },
): Promise<{ status: string; counts: SeverityCounts }> {
  const deadline = deps.now().getTime() + timing.timeoutMs;
  let reported = '';
  for (;;) {
    let scan: ScanState;
    try {
      scan = await readScanState(ecr, image);
    } catch (error) {
      // Counts of an unexpected shape carry no AWS error: say so as it is.
      if (error instanceof ScanReadError && !error.cause) throw new CliError(error.message);
      throw awsError(`DescribeImageScanFindings for ${image.label}`, (error as Error).cause ?? error);
    }
    if (scan.state === 'final') return scan;
    if (scan.state === 'failed') {
      throw new CliError(
        `the scan of ${image.label} ended with status ${scan.status}${scan.description ? `: ${scan.description}` : ''}`,
      );
    }
    const status = scan.state === 'pending' ? scan.status : 'NOT STARTED';
    if (status !== reported) {
      deps.err(`waiting for the scan of ${image.label} (${status})...\n`);
      reported = status;
    }
    if (deps.now().getTime() + timing.pollMs > deadline) {
      throw new CliError(
        `timed out after ${Math.round(timing.timeoutMs / 1000)}s waiting for the scan of ${image.label} (last status ${status})` +
          (status === 'NOT STARTED' ? '; is scanning on push enabled for this repository?' : ''),
        EXIT.TIMEOUT,
      );
    }
    await deps.sleep(timing.pollMs);
  }
}

/** Waits for the image's scan and applies THE verdict (shared/policy/verdict.ts, the scan function's). */
export async function gateImage(
  deps: CliDeps,
  input: {
    repository: string;
    tag?: string;
    digest?: string;
    policy: ScanPolicy;
    timeoutMs: number;
    pollMs: number;
    top: number;
    region?: string;
    profile?: string;
  },
): Promise<GateResult> {
  const ecr = deps.ecr(input);
  const label = formatImageRef(input);
  const { digest } = await resolveImageDigest(ecr, input);
  const scan = await waitForScan(ecr, deps, { repository: input.repository, digest, label }, input);
  const { counts } = scan;
  const anyFinding = Object.values(counts).some((n) => n > 0);
  let findings: Finding[] = [];
  let complete = true;
  if (anyFinding) {
    try {
      const described = await describeFindings(
        ecr,
        { repository: input.repository, digest },
        { max: MAX_FINDINGS },
      );
      findings = described.findings;
      complete = described.complete;
    } catch (error) {
      throw awsError(`reading the findings of ${label}`, (error as Error).cause ?? error);
    }
  }
  // DescribeImageScanFindings' counts cover every severity (unlike the Inspector2 Scan event), so none is uncounted.
  const verdict = decideVerdict({ counts, findings, policy: input.policy, now: deps.now() });
  return {
    image: label,
    digest,
    scanStatus: scan.status,
    maxSeverity: input.policy.maxSeverity,
    counts,
    verdict,
    topFindings: sortFindings(findings).slice(0, input.top),
    findingsComplete: complete,
  };
}

export function formatGateResult(result: GateResult): string {
  const lines = [
    `${result.image} (${result.digest})`,
    `verdict: ${result.verdict.result.toUpperCase()} (${result.verdict.reason.replace(/^(pass|fail): /, '')})`,
    `findings: ${formatCounts(result.counts)} (threshold ${result.maxSeverity})`,
  ];
  let text = `${lines.join('\n')}\n`;
  if (result.topFindings.length > 0) {
    const allowlisted = new Set(result.verdict.allowlisted.map((id) => id.toUpperCase()));
    text += `\ntop findings:\n${formatFindings(result.topFindings, allowlisted)}`;
  }
  if (!result.findingsComplete)
    text += `(more than ${MAX_FINDINGS} findings; only the first ${MAX_FINDINGS} were read)\n`;
  return text;
}

export function registerGate(program: Command, explicitDeps?: CliDeps): void {
  const command = program
    .command('gate')
    .description("Wait for an image's scan and pass or fail it with the repository's scan policy (for CI)")
    .argument('<image>', 'REPOSITORY:TAG (or REPOSITORY@sha256:DIGEST)')
    .option(
      '--max-severity <level>',
      'highest severity that still passes (NONE, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL); overrides the config',
    )
    .option('--timeout <duration>', 'give up waiting for the scan after this long (exit 3)', '10m')
    .option('--poll <duration>', 'time between scan status checks', '10s')
    .option(
      '--config <file>',
      `Harbormaster config with the repository's scan policy and allowlist (default: ${DEFAULT_CONFIG_PATH})`,
    )
    .option('--top <n>', 'show at most this many findings', '10')
    .option('--format <format>', 'text, json, sarif, junit or markdown (default: text)')
    .option('--json', 'print the result as JSON (same as --format json)');
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ harbormaster gate payments/api:v1.4.2
  $ harbormaster gate payments/api:$CI_COMMIT_SHORT_SHA --max-severity HIGH --timeout 15m
  $ harbormaster gate 111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments/api:v1.4.2 --json

Uses the same verdict code and allowlist as the scan function. Works for basic and enhanced scanning.
With GITHUB_STEP_SUMMARY set (GitHub Actions), a Markdown summary is appended to that file.
Exit codes: 0 pass, 1 fail, 2 error (scan FAILED, unsupported image, bad input), 3 timeout.`,
  );
  command.action(async (imageArg: string, options: GateOptions) => {
    const deps = resolveCliDeps(explicitDeps);
    const ref = parseImageRef(imageArg, 'tag-or-digest');
    const timeoutMs = parseDuration(options.timeout, '--timeout');
    const pollMs = parseDuration(options.poll, '--poll');
    const top = parsePositiveInt(options.top, '--top');
    const format = parseGateFormat(options.format, options.json);
    const policy = gatePolicy(ref.repository, options, deps);
    const result = await gateImage(deps, {
      ...ref,
      policy,
      timeoutMs,
      pollMs,
      top,
      ...awsOptionsFrom(options),
    });
    deps.out(format === 'text' ? formatGateResult(result) : formatGateReport(result, format));
    appendStepSummary(deps.env, formatMarkdown(result));
    if (result.verdict.result === 'fail') {
      throw new CliError(`${result.image} fails its scan policy (${result.verdict.reason})`, EXIT.FAIL);
    }
  });
}
