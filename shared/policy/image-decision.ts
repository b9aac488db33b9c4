import type { ScanPolicy } from '../config/schema';
import {
  emptyCounts,
  type Finding,
  type FindingEvent,
  type ScanEvent,
  type SeverityCounts,
} from '../domain/types';
import type { RuntimeConfig, RuntimeRepositoryConfig } from '../runtime/runtime-config';
import {
  isQuarantined,
  type ChildEntry,
  type ImageStateData,
  type StoredVerdict,
} from '../state/image-state';
import { diffFindings, findingSetHash, idsOf } from './findings-diff';
import { promotionTags } from './promotion';
import { replicationTargets, type ReplicationTarget } from './replication-match';
import { failsOnSignatureOnly } from './signature-verdict';
import { highestOf, isAboveThreshold, severityRank, formatCounts } from './severity';
import { decideVerdict } from './verdict';
import { SEVERITY_ORDER } from '../domain/types';

/**
 * The scan path's decisions, pure: what an image's verdict is from the facts its event and its finding
 * list give, and what that verdict makes the automation do to the image that carries the tags (a
 * single-platform image, or the index of a multi-arch image). shared/automation fetches the facts and
 * executes; `harbormaster simulate` runs the same code with recorded facts.
 */

const TOP_FINDINGS = 10;
/** Finding ids kept with a verdict (for the next alert's new/fixed lists): bounded so the item stays small. */
const MAX_KEPT_IDS = 500;

/** The image's finding list as ECR returned it: `complete` false when more pages were left unread. */
export interface FindingList {
  readonly findings: readonly Finding[];
  readonly complete: boolean;
}

/**
 * Applies a finding event to the image's current finding list. The list may lag the event (eventual
 * consistency): an ACTIVE finding it lacks still counts, and a CLOSED or SUPPRESSED one it still lists
 * does not.
 */
export function applyFindingEvent(event: FindingEvent, list: FindingList): FindingList {
  const others = list.findings.filter((f) => f.id !== event.finding.id);
  return {
    findings: event.status === 'ACTIVE' ? [...others, event.finding] : others,
    complete: list.complete,
  };
}

function countsOf(findings: readonly Finding[]): SeverityCounts {
  const counts = emptyCounts();
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

function topFindings(
  findings: readonly Finding[],
  policy: ScanPolicy,
  allowlisted: readonly string[],
): Finding[] {
  const excused = new Set(allowlisted.map((id) => id.toUpperCase()));
  return [...findings]
    .filter((f) => isAboveThreshold(f.severity, policy.maxSeverity) && !excused.has(f.id.toUpperCase()))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id))
    .slice(0, TOP_FINDINGS)
    .map((f) => ({ ...f }));
}

/** Why a scan gave no verdict to record. */
export interface NoVerdict {
  readonly undecided: string;
}

/**
 * The verdict of one scanned image. A scan result's counts cover the whole image; a finding event says
 * one thing about one finding, so its verdict comes from the image's whole current list (`findings`,
 * required then). A pass is recorded only from a complete picture: a partial list can fail an image but
 * never pass it.
 */
export function judgeScan(input: {
  readonly event: ScanEvent | FindingEvent;
  readonly findings?: FindingList;
  readonly policy: ScanPolicy;
  readonly now: Date;
}): StoredVerdict | NoVerdict {
  const { event, policy, now } = input;
  let counts: SeverityCounts;
  let findings: FindingList | undefined = input.findings;
  let uncounted = 0;
  if (event.kind === 'finding.updated') {
    if (!findings) throw new Error('judgeScan: a finding event needs the image finding list');
    findings = applyFindingEvent(event, findings);
    counts = countsOf(findings.findings);
  } else {
    counts = event.severityCounts;
    uncounted = event.uncountedFindings;
  }
  const verdict = decideVerdict({
    counts,
    ...(findings ? { findings: findings.findings } : {}),
    uncountedFindings: uncounted,
    policy,
    now,
  });
  const partial = event.kind === 'finding.updated' && findings !== undefined && !findings.complete;
  if (partial && verdict.result === 'pass') {
    return {
      undecided: 'the finding list was not read to its end: a partial list can fail an image, never pass it',
    };
  }
  const ids = findings ? idsOf(findings.findings) : undefined;
  return {
    result: verdict.result,
    reason: verdict.reason,
    ...(verdict.highestSeverity ? { highestSeverity: verdict.highestSeverity } : {}),
    counts: findings ? countsOf(findings.findings) : { ...counts },
    // With the list, the set of ids; from counts alone, the counts themselves.
    findingSetHash: ids
      ? findingSetHash(ids)
      : findingSetHash(SEVERITY_ORDER.map((s) => `count:${s}=${counts[s]}`)),
    ...(ids ? { findingIds: ids.slice(0, MAX_KEPT_IDS) } : {}),
    topFindings: findings ? topFindings(findings.findings, policy, verdict.allowlisted) : [],
    allowlisted: [...verdict.allowlisted],
    scanner: event.scanner,
    eventId: event.id,
    time: event.time,
  };
}

export function isNoVerdict(value: StoredVerdict | NoVerdict): value is NoVerdict {
  return (value as NoVerdict).undecided !== undefined;
}

/** ECR and Inspector do not scan attestation manifests (buildx provenance and SBOMs: platform unknown/unknown). */
export function isScannablePlatform(platform: string): boolean {
  return !platform.startsWith('unknown/');
}

/**
 * A multi-arch index's verdict from its platform children: undecided until every scannable child has a
 * verdict, then failing if any child fails. Attestation manifests do not count.
 */
export function indexVerdict(
  children: Readonly<Record<string, ChildEntry>>,
  event: { readonly id: string; readonly time: string },
): StoredVerdict | NoVerdict {
  const scannable = Object.entries(children)
    .filter(([, c]) => c.scannable)
    .sort(([a], [b]) => a.localeCompare(b));
  if (scannable.length === 0) return { undecided: 'the index lists no scannable platform image' };
  const waiting = scannable.filter(([, c]) => c.verdict === undefined).map(([, c]) => c.platform);
  if (waiting.length > 0) return { undecided: `waiting for the scan of ${waiting.join(', ')}` };
  const verdicts = scannable.map(([digest, c]) => ({
    digest,
    platform: c.platform,
    v: c.verdict as StoredVerdict,
  }));
  const failing = verdicts.filter((c) => c.v.result === 'fail');
  const counts = emptyCounts();
  for (const { v } of verdicts) for (const s of SEVERITY_ORDER) counts[s] += v.counts[s];
  const highestSeverity = highestOf(counts);
  const ids = [...new Set(verdicts.flatMap(({ v }) => v.findingIds ?? []))].sort();
  const reason =
    failing.length > 0
      ? `fail: ${failing.map((c) => `${c.platform} ${c.v.reason}`).join('; ')}`
      : `pass: all ${verdicts.length} platform images pass (${formatCounts(counts)} found in all)`;
  return {
    result: failing.length > 0 ? 'fail' : 'pass',
    reason,
    ...(highestSeverity ? { highestSeverity } : {}),
    counts,
    findingSetHash: findingSetHash(verdicts.map((c) => `${c.platform}=${c.v.findingSetHash}`)),
    ...(ids.length > 0 ? { findingIds: ids.slice(0, MAX_KEPT_IDS) } : {}),
    topFindings: verdicts
      .flatMap(({ v }) => v.topFindings)
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id))
      .filter((f, i, all) => all.findIndex((g) => g.id === f.id) === i)
      .slice(0, TOP_FINDINGS),
    allowlisted: [...new Set(verdicts.flatMap(({ v }) => v.allowlisted ?? []))].sort(),
    scanner: verdicts[0].v.scanner,
    eventId: event.id,
    time: event.time,
  };
}

/** An alert to send: the image's finding set changed since its last alert (A4). */
export interface AlertDecision {
  readonly newFindings: readonly string[];
  readonly fixedFindings: readonly string[];
  /** True when the image never alerted before. */
  readonly firstAlert: boolean;
}

/** What a verdict makes the automation do to the image that carries the tags. */
export interface ImageDecision {
  /** Remove every deployable tag (read from ECR when executing), keeping a keeper tag. */
  readonly quarantine: boolean;
  readonly alert?: AlertDecision;
  /** Promotion tags to add (A5). */
  readonly promote: readonly string[];
  /** Gated replication rules to enqueue (G1). */
  readonly replicate: readonly ReplicationTarget[];
}

export const NOTHING_TO_DO: ImageDecision = { quarantine: false, promote: [], replicate: [] };

/**
 * What `verdict` makes the automation do to the image (`tags`: its tags as the event or ECR gave them).
 * An untagged image (a platform child, or a push by digest) gets nothing: its index, or a tag, decides.
 * Promotion and replication follow a completed scan only (`mayPromote`), never a single finding's change.
 */
export function decideImage(input: {
  readonly config: Pick<RuntimeConfig, 'gatedReplication' | 'notifications'>;
  readonly repository: RuntimeRepositoryConfig;
  readonly previous: ImageStateData;
  readonly verdict: StoredVerdict;
  readonly tags: readonly string[];
  readonly mayPromote: boolean;
}): ImageDecision {
  const { config, repository, previous, verdict, tags } = input;
  if (tags.length === 0) return NOTHING_TO_DO;
  if (verdict.result === 'fail') {
    const changed = previous.alert?.findingSetHash !== verdict.findingSetHash;
    const alert =
      changed || !config.notifications.newFindingsOnly
        ? (() => {
            const diff = diffFindings(previous.alert?.findingIds, verdict.findingIds ?? []);
            return {
              newFindings: previous.alert ? diff.new : [],
              fixedFindings: previous.alert ? diff.fixed : [],
              firstAlert: previous.alert === undefined,
            };
          })()
        : undefined;
    return {
      // A missing or bad signature fails the image but does not quarantine it: managed signing is
      // asynchronous, and the signature that passes it may be pushed after the scan.
      quarantine: repository.scan.quarantine && !isQuarantined(previous) && !failsOnSignatureOnly(verdict),
      ...(alert ? { alert } : {}),
      promote: [],
      replicate: [],
    };
  }
  if (!input.mayPromote || isQuarantined(previous)) return NOTHING_TO_DO;
  const promote = promotionTags(repository, tags);
  return {
    quarantine: false,
    promote,
    replicate: replicationTargets(config, repository.name, [...tags, ...promote], verdict),
  };
}
