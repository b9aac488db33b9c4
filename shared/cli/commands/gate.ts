import type { ECRClient } from '@aws-sdk/client-ecr';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { severityThreshold, type SeverityThreshold } from '../../config/primitives';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import type { ScanPolicy } from '../../config/schema';
import {
  emptyCounts,
  SEVERITY_ORDER,
  type Finding,
  type SeverityCounts,
  type Verdict,
} from '../../domain/types';
import { indexVerdict, isNoVerdict, isScannablePlatform } from '../../policy/image-decision';
import { findRepository } from '../../policy/managed';
import { formatCounts } from '../../policy/severity';
import { decideVerdict } from '../../policy/verdict';
import { describeFindings, indexChildren } from '../../registry/ecr-images';
import { readScanState, ScanReadError, type ScanState } from '../../registry/image-scan';
import { isIndexMediaType, scannedChild } from '../../replication/image-verdict';
import { verdictOf } from '../../state/current-verdict';
import type { ChildEntry, ImageState, StoredVerdict } from '../../state/image-state';
import { ImageStateStore } from '../../state/image-state-store';
import {
  addAwsOptions,
  awsError,
  awsOptionsFrom,
  type AwsOptions,
  type CliDeps,
  describeImage,
  resolveCliDeps,
  resolveImageDigest,
  stateTableName,
} from '../aws-options';
import { CliError, EXIT } from '../errors';
import { parseDuration, parsePositiveInt } from '../format/duration';
import { formatFindings, sortFindings } from '../format/findings';
import {
  formatGateReport,
  formatMarkdown,
  parseGateFormat,
  platformVerdict,
  thresholdText,
  type GatePlatform,
  type GateVerdict,
} from '../format/gate-report';
import { formatImageRef, parseImageRef } from '../format/image-ref';
import { appendStepSummary } from '../format/step-summary';
import { formatTable } from '../format/table';

interface GateOptions {
  maxSeverity?: string;
  timeout: string;
  poll: string;
  config?: string;
  top: string;
  json?: boolean;
  format?: string;
  stateTable?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** Findings fetched to decide and to show; DescribeImageScanFindings returns up to 1000 per call. */
const MAX_FINDINGS = 1000;

export interface GateResult {
  readonly image: string;
  readonly digest: string;
  /**
   * Where the verdict comes from: `state`, the one the automation recorded in the image-state table;
   * `scan`, the image's ECR scan judged here.
   */
  readonly source: 'state' | 'scan';
  /** The ECR scan status (a multi-arch index: its platform images'), or RECORDED for a recorded verdict. */
  readonly scanStatus: string;
  /** The threshold; undefined for a recorded verdict when no config is at hand. */
  readonly maxSeverity?: SeverityThreshold;
  readonly counts: SeverityCounts;
  readonly verdict: GateVerdict;
  /** Most severe first, at most --top. */
  readonly topFindings: Finding[];
  /** False when the image had more findings than were fetched. */
  readonly findingsComplete: boolean;
  /** A multi-arch index: each platform image it lists, in the index's order. */
  readonly platforms?: GatePlatform[];
  /** A recorded verdict: when and from which scanner the automation recorded it. */
  readonly recorded?: { readonly time: string; readonly scanner: 'basic' | 'enhanced' };
  /** Quarantined now (recorded verdicts only): the gate fails it whatever its verdict. */
  readonly quarantined?: boolean;
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

/** --timeout and --poll; `deadline` (epoch ms) is shared by every image one gate waits for. */
interface Timing {
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly deadline: number;
}

/**
 * The threshold a recorded verdict was decided with, as far as the config says (shown, never applied).
 * --max-severity cannot change a recorded verdict, and a repository the config does not manage has none.
 */
function recordedThreshold(
  repository: string,
  options: { config?: string; maxSeverity?: string },
): { maxSeverity?: SeverityThreshold } {
  if (options.maxSeverity !== undefined) {
    throw new CliError(
      '--max-severity: a recorded verdict was decided with the deployed scan policy; to gate the ECR scan on another threshold, drop --state-table and unset HARBORMASTER_STATE_TABLE',
    );
  }
  const path = options.config ?? DEFAULT_CONFIG_PATH;
  if (options.config === undefined && !existsSync(path)) return {};
  const managed = findRepository(loadConfig(path), repository);
  if (!managed) {
    throw new CliError(`${repository} is not managed in ${path}: the automation records no verdict for it`);
  }
  return { maxSeverity: managed.scan.maxSeverity };
}

/**
 * Polls the scan (readScanState) until it is final. A scan not found yet (just pushed) and
 * IN_PROGRESS/PENDING keep polling; FAILED, UNSUPPORTED_IMAGE and other final non-results are errors.
 */
async function waitForScan(
  ecr: ECRClient,
  deps: CliDeps,
  image: { repository: string; digest: string; label: string },
  timing: Timing,
): Promise<{ status: string; counts: SeverityCounts }> {
  const { deadline } = timing;
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

/** One scanned image judged: its scan, the findings read, THE verdict. */
interface JudgedScan {
  readonly status: string;
  readonly counts: SeverityCounts;
  readonly verdict: Verdict;
  readonly findings: Finding[];
  readonly complete: boolean;
}

/** Waits for one image's scan and applies THE verdict (shared/policy/verdict.ts, the scan function's). */
async function judgeScan(
  ecr: ECRClient,
  deps: CliDeps,
  image: { repository: string; digest: string; label: string },
  policy: ScanPolicy,
  timing: Timing,
): Promise<JudgedScan> {
  const scan = await waitForScan(ecr, deps, image, timing);
  const { counts } = scan;
  const anyFinding = Object.values(counts).some((n) => n > 0);
  let findings: Finding[] = [];
  let complete = true;
  if (anyFinding) {
    try {
      const described = await describeFindings(ecr, image, { max: MAX_FINDINGS });
      findings = described.findings;
      complete = described.complete;
    } catch (error) {
      throw awsError(`reading the findings of ${image.label}`, (error as Error).cause ?? error);
    }
  }
  // DescribeImageScanFindings' counts cover every severity (unlike the Inspector2 Scan event), so none is uncounted.
  const verdict = decideVerdict({ counts, findings, policy, now: deps.now() });
  return { status: scan.status, counts, verdict, findings, complete };
}

interface GateInput {
  repository: string;
  tag?: string;
  digest?: string;
  timeoutMs: number;
  pollMs: number;
  top: number;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/**
 * Gates on the image's ECR scan (no image-state table: CI before the automation is deployed). A multi-arch
 * index, which ECR does not scan, is judged by each of its platform images' scans, combined as the
 * automation combines them (indexVerdict: fails if any fails; attestation manifests are not scanned).
 */
export async function gateImage(
  deps: CliDeps,
  input: GateInput & { policy: ScanPolicy },
): Promise<GateResult> {
  const ecr = deps.ecr(input);
  const label = formatImageRef(input);
  const { digest, mediaType } = await describeImage(ecr, input);
  const timing = { ...input, deadline: deps.now().getTime() + input.timeoutMs };
  const base = { image: label, digest, source: 'scan' as const, maxSeverity: input.policy.maxSeverity };
  if (isIndexMediaType(mediaType)) {
    return { ...base, ...(await gateIndex(ecr, deps, { ...input, digest, label }, timing)) };
  }
  const judged = await judgeScan(
    ecr,
    deps,
    { repository: input.repository, digest, label },
    input.policy,
    timing,
  );
  return {
    ...base,
    scanStatus: judged.status,
    counts: judged.counts,
    verdict: judged.verdict,
    topFindings: sortFindings(judged.findings).slice(0, input.top),
    findingsComplete: judged.complete,
  };
}

async function gateIndex(
  ecr: ECRClient,
  deps: CliDeps,
  index: { repository: string; digest: string; label: string; policy: ScanPolicy; top: number },
  timing: Timing,
): Promise<Omit<GateResult, 'image' | 'digest' | 'source' | 'maxSeverity'>> {
  let children;
  try {
    children = await indexChildren(ecr, index);
  } catch (error) {
    throw awsError(`reading the multi-arch index ${index.label}`, (error as Error).cause ?? error);
  }
  const entries: Record<string, ChildEntry> = {};
  const platforms: GatePlatform[] = [];
  const judgedAll: JudgedScan[] = [];
  for (const child of children) {
    if (!isScannablePlatform(child.platform)) {
      entries[child.digest] = { platform: child.platform, scannable: false };
      platforms.push({
        ...child,
        result: 'not-scanned',
        reason: 'attestation manifest: ECR does not scan it',
      });
      continue;
    }
    const label = `${index.label} (${child.platform})`;
    const judged = await judgeScan(
      ecr,
      deps,
      { repository: index.repository, digest: child.digest, label },
      index.policy,
      timing,
    );
    judgedAll.push(judged);
    entries[child.digest] = scannedChild(child.platform, judged);
    platforms.push({
      ...child,
      result: judged.verdict.result,
      reason: judged.verdict.reason,
      counts: judged.counts,
    });
  }
  const combined = indexVerdict(entries, { id: '', time: deps.now().toISOString() });
  if (isNoVerdict(combined)) throw new CliError(`${index.label}: ${combined.undecided}`);
  const blockingCounts = emptyCounts();
  for (const { verdict } of judgedAll)
    for (const s of SEVERITY_ORDER) blockingCounts[s] += verdict.blockingCounts[s];
  // The same finding in several platform images is listed once.
  const findings = judgedAll
    .flatMap((j) => j.findings)
    .filter(
      (f, i, all) =>
        all.findIndex(
          (g) =>
            g.id === f.id && g.packageName === f.packageName && g.installedVersion === f.installedVersion,
        ) === i,
    );
  return {
    scanStatus: [...new Set(judgedAll.map((j) => j.status))].join(','),
    counts: combined.counts,
    verdict: {
      result: combined.result,
      reason: combined.reason,
      ...(combined.highestSeverity ? { highestSeverity: combined.highestSeverity } : {}),
      blockingCounts,
      allowlisted: combined.allowlisted ?? [],
    },
    topFindings: sortFindings(findings).slice(0, index.top),
    findingsComplete: judgedAll.every((j) => j.complete),
    platforms,
  };
}

/**
 * Gates on the verdict the automation recorded in the image-state table (the one promote, backfill and the
 * replicator read). No verdict yet (just pushed, scan in progress, an index waiting for a platform image)
 * keeps polling until --timeout, as a scan in progress does.
 */
export async function gateRecorded(
  deps: CliDeps,
  input: GateInput & { stateTable: string; maxSeverity?: SeverityThreshold },
): Promise<GateResult> {
  const aws: AwsOptions = input;
  const ecr = deps.ecr(aws);
  const label = formatImageRef(input);
  const { digest } = await resolveImageDigest(ecr, input);
  const store = new ImageStateStore(deps.dynamodb(aws), input.stateTable);
  const deadline = deps.now().getTime() + input.timeoutMs;
  let reported = '';
  for (;;) {
    let state: ImageState;
    try {
      state = await store.get({ repository: input.repository, digest });
    } catch (error) {
      throw awsError(`reading image-state table ${input.stateTable}`, (error as Error).cause ?? error);
    }
    const current = verdictOf(state);
    if (current.kind === 'verdict') {
      return recordedResult({ ...input, image: label, digest, state }, current.verdict, current.quarantined);
    }
    if (current.reason !== reported) {
      deps.err(`waiting for the verdict of ${label} (${current.reason})...\n`);
      reported = current.reason;
    }
    if (deps.now().getTime() + input.pollMs > deadline) {
      throw new CliError(
        `timed out after ${Math.round(input.timeoutMs / 1000)}s waiting for the verdict of ${label} (${current.reason})`,
        EXIT.TIMEOUT,
      );
    }
    await deps.sleep(input.pollMs);
  }
}

function recordedResult(
  input: {
    image: string;
    digest: string;
    state: ImageState;
    top: number;
    maxSeverity?: SeverityThreshold;
  },
  verdict: StoredVerdict,
  quarantined: boolean,
): GateResult {
  const quarantine = input.state.data.quarantine;
  const children = input.state.data.children;
  const platforms = children
    ? Object.entries(children).map(([digest, c]): GatePlatform => ({
        platform: c.platform,
        digest,
        result: !c.scannable ? 'not-scanned' : (c.verdict?.result ?? 'pending'),
        reason: !c.scannable
          ? 'attestation manifest: ECR does not scan it'
          : (c.verdict?.reason ?? 'no verdict recorded yet'),
        ...(c.verdict ? { counts: c.verdict.counts } : {}),
      }))
    : undefined;
  return {
    image: input.image,
    digest: input.digest,
    source: 'state',
    scanStatus: 'RECORDED',
    ...(input.maxSeverity ? { maxSeverity: input.maxSeverity } : {}),
    counts: verdict.counts,
    // A quarantined image may not be deployed until `harbormaster release` restores it.
    verdict: {
      result: quarantined ? 'fail' : verdict.result,
      reason: quarantined
        ? `fail: quarantined since ${quarantine?.time} (recorded verdict: ${verdict.reason}); harbormaster release restores it`
        : verdict.reason,
      ...(verdict.highestSeverity ? { highestSeverity: verdict.highestSeverity } : {}),
      allowlisted: verdict.allowlisted ?? [],
    },
    topFindings: sortFindings([...verdict.topFindings]).slice(0, input.top),
    findingsComplete: true,
    ...(platforms ? { platforms } : {}),
    recorded: { time: verdict.time, scanner: verdict.scanner },
    ...(quarantined ? { quarantined: true } : {}),
  };
}

export function formatGateResult(result: GateResult): string {
  const lines = [
    `${result.image} (${result.digest})`,
    `verdict: ${result.verdict.result.toUpperCase()} (${result.verdict.reason.replace(/^(pass|fail): /, '')})`,
    `findings: ${formatCounts(result.counts)} (${thresholdText(result)})`,
  ];
  if (result.recorded) lines.push(`recorded: ${result.recorded.time} (${result.recorded.scanner} scanning)`);
  let text = `${lines.join('\n')}\n`;
  if (result.platforms) {
    const rows = result.platforms.map((p) => [
      p.platform,
      platformVerdict(p),
      p.reason.replace(/^(pass|fail): /, ''),
    ]);
    text += `\nplatforms:\n${formatTable(['PLATFORM', 'VERDICT', 'REASON'], rows)}`;
  }
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
    .option(
      '--state-table <name>',
      'gate on the verdict the automation recorded in this image-state table (default: $HARBORMASTER_STATE_TABLE; without one, the ECR scan is judged here)',
    )
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

With --state-table (or HARBORMASTER_STATE_TABLE) the verdict is the one the automation recorded (the one
promote and replication act on); a quarantined image fails. Without, the image's ECR scan is judged here with
the same verdict code and allowlist as the scan function. A multi-arch index passes only when every
platform image passes (attestation manifests are not scanned); the report lists each platform.
Works for basic and enhanced scanning.
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
    const stateTable = stateTableName(options.stateTable, deps);
    const common = { ...ref, timeoutMs, pollMs, top, ...awsOptionsFrom(options) };
    const result = stateTable
      ? await gateRecorded(deps, {
          ...common,
          stateTable,
          ...recordedThreshold(ref.repository, options),
        })
      : await gateImage(deps, { ...common, policy: gatePolicy(ref.repository, options, deps) });
    deps.out(format === 'text' ? formatGateResult(result) : formatGateReport(result, format));
    appendStepSummary(deps.env, formatMarkdown(result));
    if (result.verdict.result === 'fail') {
      throw new CliError(`${result.image} fails its scan policy (${result.verdict.reason})`, EXIT.FAIL);
    }
  });
}
