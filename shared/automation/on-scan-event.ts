import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AuditFollowUp, AuditWriter } from '../audit/writer';
import type { FindingEvent, ImageEvent, ScanEvent } from '../domain/types';
import { ecrFindingsConsoleUrl, type FindingsAlert } from '../notify/alert';
import { buildSnsAlert } from '../notify/sns-alert';
import { decideVerdict, findRepository, needsFindingDetails, unmanagedReason } from '../policy';
import {
  decideImage,
  indexVerdict,
  isNoVerdict,
  isScannablePlatform,
  judgeScan,
  type FindingList,
  type ImageDecision,
  type NoVerdict,
} from '../policy/image-decision';
import {
  addTags,
  currentImageTags,
  describeFindings,
  INDEX_MEDIA_TYPES,
  indexChildren,
  removeImageTags,
} from '../registry/ecr-images';
import { scanVerdictOf, signaturePart, withSignature } from '../policy/signature-verdict';
import { buildReplicationMessage, serializeReplicationMessage } from '../replication/build-message';
import type { RuntimeRepositoryConfig } from '../runtime/runtime-config';
import type { ChildEntry, ImageKey, ImageState, ImageStateData, StoredVerdict } from '../state/image-state';
import type { ImageStateStore, Lease } from '../state/image-state-store';
import {
  duplicateDelivery,
  quarantineKeeperTag,
  reportTagOutcomes,
  type AutomationDeps,
  type EventOutcome,
} from './execute-plan';
import { withLease } from './lease';
import { signatureOf, signedImageOf, type ScanSignatureDeps } from './scan-signature';

/** How many findings a verdict reads at most (5 pages of DescribeImageScanFindings). */
export const FINDINGS_READ_MAX = 5000;
/** Tags an audit row lists at most (the state keeps them all), so a row stays far below DynamoDB's 400 KB. */
const AUDIT_TAGS_MAX = 100;

export interface ScanDeps extends Omit<AutomationDeps, 'audit'> {
  readonly audit: Pick<AuditWriter, 'record'>;
  readonly state: Pick<ImageStateStore, 'claim' | 'commit' | 'release' | 'addParent' | 'checkpoint'>;
  /** How long an event holds an image's lease: longer than the function's timeout. */
  readonly leaseMs: number;
  readonly sns: SNSClient;
  /** The findings topic (FINDINGS_TOPIC_ARN). */
  readonly topicArn: string;
  readonly sqs: SQSClient;
  /** The replication queue (REPLICATION_QUEUE_URL); only needed when a gated rule matches. */
  readonly replicationQueueUrl?: string;
  /** Signature verification; only needed when a repository has `scan.requireSignature`. */
  readonly signatures?: ScanSignatureDeps;
}

type ScanPathEvent = ScanEvent | FindingEvent | ImageEvent;

/**
 * The scan function: scan results (ECR Image Scan, Inspector2 Scan, Inspector2 Finding) and pushes of
 * multi-arch indexes. Each event holds the lease of the image it changes (shared/state), so events for one
 * image serialize however they are batched; the state is committed, and the event marked done, only after
 * every effect, each idempotent on its own, so a redelivery after a crash completes what was missing.
 *
 * A platform child's verdict is written into its index, which is decided once every scannable child has
 * one; tags, quarantine, alerts and replication act on the image that carries the tags.
 */
export async function onScanEvent(event: ScanPathEvent, deps: ScanDeps): Promise<EventOutcome> {
  const repository = findRepository(deps.config, event.repository);
  if (!repository) return { status: 'ignored', reason: unmanagedReason(event.repository) };
  if (event.kind === 'scan.completed' || event.kind === 'finding.updated') {
    return onScanResult(event, repository, deps);
  }
  if (event.kind === 'image.pushed' && event.mediaType && INDEX_MEDIA_TYPES.includes(event.mediaType)) {
    return onIndexPushed(event, repository, deps);
  }
  if (event.kind === 'image.pushed') {
    const signed = await signedImageOf(event, repository, deps);
    if (signed) return onSignaturePushed(event, signed, repository, deps);
  }
  return {
    status: 'ignored',
    reason: `a ${event.kind} event of a single image: the image function handles it`,
  };
}

/** Runs `work` holding the image's lease (shared/automation/lease.ts) with this function's clock and lease. */
function withImageLease(
  deps: ScanDeps,
  key: ImageKey,
  eventId: string,
  work: (lease: Lease, state: ImageState) => Promise<readonly string[]>,
): Promise<readonly string[] | 'duplicate'> {
  return withLease(
    deps.state,
    key,
    eventId,
    { now: deps.now().getTime(), leaseMs: deps.leaseMs, log: deps.log },
    work,
  );
}

function outcome(
  event: ScanPathEvent,
  result: readonly string[] | 'duplicate',
  deps: ScanDeps,
): EventOutcome {
  return result === 'duplicate'
    ? duplicateDelivery(event, deps)
    : { status: 'done', eventId: event.id, actions: result };
}

/** The findings the verdict needs: the whole list for a finding event, and for a scan only when its counts cannot decide. */
async function findingsFor(
  event: ScanEvent | FindingEvent,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
): Promise<FindingList | undefined> {
  if (event.kind === 'scan.completed') {
    const now = deps.now();
    const byCounts = decideVerdict({
      counts: event.severityCounts,
      uncountedFindings: event.uncountedFindings,
      policy: repository.scan,
      now,
    });
    // A failing image is alerted with its top findings and its finding set; a pass on counts needs nothing more.
    const needed =
      byCounts.result === 'fail' ||
      needsFindingDetails(event.severityCounts, repository.scan, event.uncountedFindings, now);
    if (!needed) return undefined;
  }
  const read = await describeFindings(deps.ecr, event, { max: FINDINGS_READ_MAX });
  if (!read.complete) {
    deps.log.warn('image has more findings than read: a pass cannot be decided from this list', {
      repository: event.repository,
      digest: event.digest,
      read: read.findings.length,
    });
  }
  return read;
}

function verdictRow(verdict: StoredVerdict | NoVerdict, extra: Record<string, unknown> = {}): AuditFollowUp {
  if (isNoVerdict(verdict))
    return { action: 'verdict', detail: { result: 'undecided', reason: verdict.undecided, ...extra } };
  return {
    action: 'verdict',
    detail: {
      result: verdict.result,
      reason: verdict.reason,
      ...(verdict.highestSeverity ? { highestSeverity: verdict.highestSeverity } : {}),
      findingSetHash: verdict.findingSetHash,
      allowlisted: [...(verdict.allowlisted ?? [])],
      ...(verdict.signature
        ? {
            signature: {
              result: verdict.signature.result,
              found: verdict.signature.found,
              ...(verdict.signature.trustedSigner ? { trustedSigner: verdict.signature.trustedSigner } : {}),
            },
          }
        : {}),
      ...extra,
    },
  };
}

async function onScanResult(
  event: ScanEvent | FindingEvent,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
): Promise<EventOutcome> {
  const key = { repository: event.repository, digest: event.digest };
  const result = await withImageLease(deps, key, event.id, async (lease, state) => {
    const findings = await findingsFor(event, repository, deps);
    const scanVerdict = judgeScan({
      event,
      ...(findings ? { findings } : {}),
      policy: repository.scan,
      now: deps.now(),
    });
    // A platform child keeps its scan verdict: the signature counts on its index, which carries the tags.
    const verdict =
      isNoVerdict(scanVerdict) || state.parents.length > 0
        ? scanVerdict
        : await signedVerdict(key, scanVerdict, event, state, repository, deps);
    const scanned: AuditFollowUp = {
      action: 'scanned',
      detail:
        event.kind === 'scan.completed'
          ? {
              scanner: event.scanner,
              severityCounts: event.severityCounts,
              ...(event.uncountedFindings > 0 ? { uncountedFindings: event.uncountedFindings } : {}),
            }
          : {
              scanner: event.scanner,
              finding: event.finding.id,
              severity: event.finding.severity,
              status: event.status,
            },
    };
    const actions = ['scanned', 'verdict'];
    let effects: Effects = { rows: [], patch: {}, actions: [] };
    if (!isNoVerdict(verdict)) {
      if (state.parents.length > 0) {
        // A platform child: its index decides.
        for (const parent of state.parents) {
          actions.push(...(await applyToIndex(parent, event, verdict, repository, deps)));
        }
      } else {
        const decision = decideImage({
          config: deps.config,
          repository,
          previous: state.data,
          verdict,
          tags: event.tags,
          mayPromote: event.kind === 'scan.completed',
        });
        effects = await execute({ lease, state }, key, decision, verdict, event, repository, deps);
        actions.push(...effects.actions);
      }
    }
    await recordRows(deps, key, event, [
      scanned,
      verdictRow(verdict, state.parents.length > 0 ? { indexes: [...state.parents] } : {}),
      ...effects.rows,
    ]);
    const data: ImageStateData = {
      ...state.data,
      ...(isNoVerdict(verdict) ? {} : { verdict }),
      ...effects.patch,
    };
    await deps.state.commit(lease, state, data);
    return actions;
  });
  return outcome(event, result, deps);
}

/** Writes a child's verdict into its index and decides the index when its picture is complete. */
async function applyToIndex(
  parent: string,
  event: ScanEvent | FindingEvent,
  childVerdict: StoredVerdict,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
): Promise<string[]> {
  const key = { repository: event.repository, digest: parent };
  const result = await withImageLease(deps, key, event.id, async (lease, state) => {
    const known = state.data.children;
    if (!known?.[event.digest]) {
      // The index's push has not been applied yet: it reads this child's verdict when it is.
      await deps.state.release(lease);
      return [];
    }
    const children: Record<string, ChildEntry> = {
      ...known,
      [event.digest]: { ...known[event.digest], verdict: childVerdict },
    };
    const decided = await decideIndex(
      { lease, state },
      key,
      children,
      state,
      event,
      repository,
      deps,
      event.kind === 'scan.completed',
    );
    await deps.state.commit(lease, state, decided.data);
    return decided.actions.map((a) => `index:${a}`);
  });
  return result === 'duplicate' ? [] : [...result];
}

/** An index push: record its children (and theirs: their parent), then decide it if they are all judged. */
async function onIndexPushed(
  event: ImageEvent,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
): Promise<EventOutcome> {
  const key = { repository: event.repository, digest: event.digest };
  const result = await withImageLease(deps, key, event.id, async (lease, state) => {
    const children: Record<string, ChildEntry> = {};
    for (const child of await indexChildren(deps.ecr, key)) {
      const scannable = isScannablePlatform(child.platform);
      // Writing the parent returns the child's state: a verdict it already has counts at once.
      const childState = scannable
        ? await deps.state.addParent({ repository: event.repository, digest: child.digest }, event.digest)
        : undefined;
      // The child may have been judged as a lone image (with a signature part) before this push.
      const verdict = childState?.data.verdict && scanVerdictOf(childState.data.verdict);
      children[child.digest] = { platform: child.platform, scannable, ...(verdict ? { verdict } : {}) };
    }
    const base = {
      ...state,
      data: { ...state.data, ...(event.mediaType ? { mediaType: event.mediaType } : {}) },
    };
    const decided = await decideIndex({ lease, state }, key, children, base, event, repository, deps, true);
    await deps.state.commit(lease, state, decided.data);
    return decided.actions;
  });
  return outcome(event, result, deps);
}

async function decideIndex(
  held: Held,
  key: ImageKey,
  children: Record<string, ChildEntry>,
  state: ImageState,
  event: ScanPathEvent,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
  mayPromote: boolean,
): Promise<{ data: ImageStateData; actions: string[] }> {
  const fromChildren = indexVerdict(children, event);
  if (isNoVerdict(fromChildren)) {
    return { data: { ...state.data, children }, actions: [] };
  }
  // A multi-arch image is signed on its index digest.
  const verdict = await signedVerdict(key, fromChildren, event, state, repository, deps);
  // The index carries the tags: read them as they are now.
  const tags = await currentImageTags(deps.ecr, key);
  const decision = decideImage({
    config: deps.config,
    repository,
    previous: state.data,
    verdict,
    tags,
    mayPromote,
  });
  const effects = await execute(held, key, decision, verdict, { ...event, tags }, repository, deps);
  await recordRows(
    deps,
    key,
    event,
    [verdictRow(verdict, { from: 'platform images' }), ...effects.rows],
    tags,
  );
  return {
    data: { ...state.data, children, verdict, ...effects.patch },
    actions: ['verdict', ...effects.actions],
  };
}

/**
 * Folds the repository's signature policy into a scan verdict. A finding event reuses the signature part
 * the image already has (a burst of them checks once): every signature pushed since re-decided the image.
 */
async function signedVerdict(
  key: ImageKey,
  verdict: StoredVerdict,
  event: ScanPathEvent,
  state: ImageState,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
): Promise<StoredVerdict> {
  const known = state.data.verdict?.signature;
  if (event.kind === 'finding.updated' && known && repository.scan.requireSignature) {
    return withSignature(verdict, known, { id: known.eventId, time: known.time });
  }
  const outcome = await signatureOf(key, event, repository, deps);
  if (!outcome) return verdict;
  return withSignature(verdict, signaturePart(outcome.decision, outcome.checks.length), event);
}

/**
 * A signature pushed after the scan (managed signing is asynchronous): verify the image's signatures again
 * and, when it already has a verdict, re-decide it. Effects follow only a changed result: promotion and
 * replication when it now passes, the alert (and never quarantine: see decideImage) when it now fails.
 */
async function onSignaturePushed(
  event: ImageEvent,
  signed: string,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
): Promise<EventOutcome> {
  const key = { repository: event.repository, digest: signed };
  let ignored: string | undefined;
  const result = await withImageLease(deps, key, event.id, async (lease, state) => {
    const previous = state.data.verdict;
    if (!previous || state.parents.length > 0) {
      // No verdict yet: the scan verifies when it comes. A platform child: its index's signature counts.
      ignored = !previous
        ? `a signature of ${signed}, which has no verdict yet: its scan checks the signature`
        : `a signature of ${signed}, a platform image: the signature of its index counts`;
      await deps.state.release(lease);
      return [];
    }
    const outcome = await signatureOf(key, event, repository, deps);
    if (!outcome) throw new Error(`${repository.name}: a signature push needs scan.requireSignature`);
    const verdict = withSignature(previous, signaturePart(outcome.decision, outcome.checks.length), event);
    const changed = verdict.result !== previous.result;
    // The index (or image) carries the tags: read them as they are now.
    const tags = changed ? await currentImageTags(deps.ecr, key) : [];
    const decision = changed
      ? decideImage({
          config: deps.config,
          repository,
          previous: state.data,
          verdict,
          tags,
          mayPromote: true,
        })
      : undefined;
    const effects = decision
      ? await execute(
          { lease, state },
          key,
          decision,
          verdict,
          { ...event, digest: signed, tags },
          repository,
          deps,
        )
      : { rows: [], patch: {}, actions: [] };
    await recordRows(
      deps,
      key,
      event,
      [verdictRow(verdict, { from: 'signature push', signatureDigest: event.digest }), ...effects.rows],
      tags,
    );
    await deps.state.commit(lease, state, { ...state.data, verdict, ...effects.patch });
    return ['verdict', ...effects.actions];
  });
  if (ignored) return { status: 'ignored', reason: ignored };
  return outcome(event, result, deps);
}

interface Effects {
  readonly rows: AuditFollowUp[];
  readonly patch: Partial<Pick<ImageStateData, 'alert' | 'quarantine' | 'quarantining'>>;
  readonly actions: string[];
}

/** The lease an event holds on the image it changes, and the state it claimed. */
interface Held {
  readonly lease: Lease;
  readonly state: ImageState;
}

/**
 * Carries out a decision on the image that carries the tags, each effect idempotent on its own: the
 * quarantine removes `{digest, tag}` pairs read from ECR now, promotion writes the same manifest under
 * more tags, the replicator deduplicates per rule, digest and destination. The alert goes last, right
 * before the commit that records it, so a crash can repeat it at most, never lose it.
 */
async function execute(
  held: Held,
  key: ImageKey,
  decision: ImageDecision,
  verdict: StoredVerdict,
  event: ScanPathEvent,
  repository: RuntimeRepositoryConfig,
  deps: ScanDeps,
): Promise<Effects> {
  const rows: AuditFollowUp[] = [];
  const actions: string[] = [];
  const patch: { -readonly [K in 'alert' | 'quarantine' | 'quarantining']?: ImageStateData[K] } = {};
  let quarantined: string[] = [];

  if (decision.quarantine) {
    const tags = await currentImageTags(deps.ecr, key);
    const keeperTag = quarantineKeeperTag(key.digest);
    const removing = tags.filter((t) => t !== keeperTag);
    // A delivery that died after its removal left what it removed here: ECR shows only the keeper now.
    const earlier = held.state.data.quarantining?.removedTags ?? [];
    quarantined = [...new Set([...earlier, ...removing])];
    if (quarantined.length > 0) {
      // ECR deletes an image whose last tag goes: the keeper keeps it (and shows why it is there).
      if (removing.length > 0 && !tags.includes(keeperTag)) {
        await addTags(deps.ecr, { ...key, tags: [keeperTag] });
      }
      if (removing.length > 0) {
        // Recorded before it is done: once removed, the tags cannot be read back for `harbormaster release`.
        const quarantining = { eventId: event.id, removedTags: quarantined, keeperTag };
        await deps.state.checkpoint(held.lease, { ...held.state.data, quarantining });
        await removeImageTags(deps.ecr, { ...key, tags: removing });
      }
      deps.metric?.('ImagesQuarantined');
      deps.log.warn('image quarantined: every tag removed but the keeper, image kept', {
        eventId: event.id,
        repository: key.repository,
        digest: key.digest,
        removed: quarantined.length,
        keeperTag,
      });
      patch.quarantine = { eventId: event.id, time: event.time, removedTags: quarantined, keeperTag };
      patch.quarantining = undefined;
      rows.push({
        action: 'quarantined',
        tags: quarantined.slice(0, AUDIT_TAGS_MAX),
        detail: { removedCount: quarantined.length, keeperTag },
      });
      actions.push('quarantined');
    }
  }

  if (decision.promote.length > 0) {
    const { outcomes } = await addTags(deps.ecr, { ...key, tags: decision.promote });
    await reportTagOutcomes({ ...event, digest: key.digest }, 'promoted', outcomes, deps);
    rows.push({ action: 'promoted', tags: decision.promote, detail: { reason: 'promotion' } });
    actions.push('promoted');
  }

  for (const target of decision.replicate) {
    if (!deps.replicationQueueUrl) {
      throw new Error(`gated replication rule ${target.rule} matched but REPLICATION_QUEUE_URL is not set`);
    }
    const body = buildReplicationMessage({
      eventId: event.id,
      rule: target.rule,
      source: { account: event.account, region: event.region },
      repository: key.repository,
      digest: key.digest,
      tags: [...target.tags],
      destinations: [...target.destinations],
    });
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.replicationQueueUrl,
        MessageBody: serializeReplicationMessage(body),
      }),
    );
    actions.push(`replicate:${target.rule}`);
  }

  if (decision.alert) {
    const alert: FindingsAlert = {
      version: 1,
      eventId: event.id,
      account: event.account,
      region: event.region,
      repository: key.repository,
      digest: key.digest,
      tags: event.tags,
      team: repository.team,
      scanner: verdict.scanner,
      verdict: {
        result: verdict.result,
        ...(verdict.highestSeverity ? { highestSeverity: verdict.highestSeverity } : {}),
        reason: verdict.reason,
      },
      severityCounts: verdict.counts,
      topFindings: verdict.topFindings,
      newFindings: decision.alert.newFindings,
      fixedFindings: decision.alert.fixedFindings,
      firstScan: decision.alert.firstAlert,
      quarantinedTags: quarantined.slice(0, AUDIT_TAGS_MAX),
      consoleUrl: ecrFindingsConsoleUrl({ ...event, digest: key.digest }),
    };
    await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, ...buildSnsAlert(alert) }));
    deps.metric?.('AlertsSent');
    patch.alert = {
      findingSetHash: verdict.findingSetHash,
      findingIds: [...(verdict.findingIds ?? [])],
      eventId: event.id,
      time: event.time,
    };
    rows.push({
      action: 'notified',
      detail: {
        topic: 'findings',
        team: repository.team,
        verdict: verdict.result,
        newFindings: [...decision.alert.newFindings].slice(0, AUDIT_TAGS_MAX),
        fixedFindings: [...decision.alert.fixedFindings].slice(0, AUDIT_TAGS_MAX),
        findingSetHash: verdict.findingSetHash,
      },
    });
    actions.push('notified');
  }
  return { rows, patch, actions };
}

/** The event's row on this image's timeline (its first row with the others as follow-ups); a retry finds it written. */
async function recordRows(
  deps: ScanDeps,
  key: ImageKey,
  event: ScanPathEvent,
  rows: readonly AuditFollowUp[],
  tags: readonly string[] = event.tags,
): Promise<void> {
  const [first, ...rest] = rows;
  await deps.audit.record(
    {
      repository: key.repository,
      digest: key.digest,
      action: first.action,
      time: event.time,
      eventId: event.id,
      tags: tags.slice(0, AUDIT_TAGS_MAX),
      ...(first.detail ? { detail: first.detail } : {}),
    },
    rest,
  );
}
