import type { Context, SQSRecord } from 'aws-lambda';
import { HarbormasterError, isRetryable } from '../domain/errors';
import type { AuditEntry } from '../domain/types';
import { verdictAllows } from '../policy/replication-match';
import type { RuntimeConfig } from '../runtime/runtime-config';
import { verdictOf, type CurrentVerdict } from '../state/current-verdict';
import type { ImageKey, ImageState } from '../state/image-state';
import type { SourceRegistry } from './destination-ref';
import { ReplicationMessageError } from './build-message';
import { parseReplicationMessage } from './parse-request';
import { pendingDestinations, type ReplicationLedger } from './replication-ledger';
import { replicate, type DestinationOutcome, type ReplicationDeps } from './replicate';
import { resolveReplicationRequest, type ReplicationJob } from './resolve-request';

/** The log lines the replicator writes (Powertools Logger fits; tests pass a recorder). */
export interface ReplicationLog {
  info(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** What one record needs; built once per container by the function. */
export interface ReplicationRecordDeps extends Omit<
  ReplicationDeps,
  'onOutcome' | 'recordDone' | 'copyOptions'
> {
  readonly config: Pick<RuntimeConfig, 'gatedReplication' | 'repositories'>;
  /** This deployment's account and region: the only source a job reads from. */
  readonly deployment: SourceRegistry;
  /** The image-state table (ImageStateStore): where the scan path recorded the verdict. */
  readonly state: { get(key: ImageKey): Promise<ImageState> };
  /** What was already written per (rule, image, destination) (ReplicationLedger). */
  readonly ledger: Pick<ReplicationLedger, 'done' | 'claim' | 'release' | 'record'>;
  readonly log: ReplicationLog;
  /** Called once per copied or failed destination (metrics). */
  readonly onOutcome?: (outcome: DestinationOutcome) => void;
  /** Extra copy options (concurrency, plain HTTP for tests); the abort signal is added per record. */
  readonly copyOptions?: ReplicationDeps['copyOptions'];
  /** Waits before the verdict is read again; injectable so tests do not wait. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

type RecordedVerdict = Extract<CurrentVerdict, { kind: 'verdict' }>;

/** What happened to one record (the record succeeded; a failure throws). */
export type ReplicationRecordOutcome =
  | { readonly status: 'replicated'; readonly destinations: number }
  | { readonly status: 'already-replicated' }
  | { readonly status: 'skipped'; readonly reason: string };

/** The image's scan event is not recorded yet, or the image has no verdict: retried later (not poison). */
export class ReplicationVerdictPendingError extends HarbormasterError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'ReplicationVerdictPendingError';
  }
}

// Stop the copy this long before the Lambda timeout, so a slow copy ends as a recorded, alerted failure
// (and a retry) rather than a killed invocation that leaves no audit row.
export const ABORT_MARGIN_MS = 30_000;
/** Lambda's longest invocation. */
const MAX_INVOCATION_MS = 15 * 60_000;

// The scan function sends the message before it commits the verdict (effects before the commit), so the
// first read can precede the commit by a moment: read again a few times (15 s in all) before giving the
// record back to the queue, whose retry comes only after the visibility timeout.
const VERDICT_WAITS_MS = [1_000, 2_000, 4_000, 8_000];
// The lease of a copy when the Lambda context gives no remaining time (the function's 15-minute timeout).
const LEASE_MS = 15 * 60_000;

/**
 * One replication message (G1), checked before anything is read or copied:
 * 1. parsed and resolved against the compiled-in config (resolve-request.ts): the rule, its destinations and
 *    credentials and the deployment's source come from the config; a message that does not match is
 *    rejected before any secret is read or any registry is contacted;
 * 2. destinations the ledger already holds for (rule, digest) are skipped without registry traffic (a duplicate
 *    needs one read);
 * 3. the image's current verdict (the image-state table, as the scan path recorded it) must let the rule copy
 *    it: a failing, too severe or quarantined image is skipped with an audit row; no verdict yet is retried;
 * 4. the rest are copied (replicate.ts) under the ledger's lease for (rule, image), so concurrent deliveries
 *    copy once, audited, alerted on failure, and recorded in the ledger.
 * Every record writes exactly one log line; a failure is rethrown, so it becomes a batch item failure.
 */
export function replicationRecordHandler(
  deps: ReplicationRecordDeps,
): (record: SQSRecord, context?: Context) => Promise<ReplicationRecordOutcome> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.now ?? (() => new Date());

  const readVerdict = async (job: ReplicationJob): Promise<RecordedVerdict> => {
    const key = { repository: job.repository, digest: job.digest };
    for (let attempt = 0; ; attempt++) {
      const state = await deps.state.get(key);
      const current = verdictOf(state);
      // The message's event is applied (or the verdict came from it): the verdict is at least that new.
      const recorded =
        state.done.includes(job.eventId) ||
        (current.kind === 'verdict' && current.verdict.eventId === job.eventId);
      if (recorded && current.kind === 'verdict') return current;
      if (attempt >= VERDICT_WAITS_MS.length) {
        throw new ReplicationVerdictPendingError(
          recorded && current.kind === 'unavailable'
            ? `no verdict for ${job.repository}@${job.digest}: ${current.reason}; retried later`
            : `the scan event ${job.eventId} is not recorded for ${job.repository}@${job.digest} yet; retried later`,
        );
      }
      await sleep(VERDICT_WAITS_MS[attempt]);
    }
  };

  return async (record, context) => {
    const log: Record<string, unknown> = { messageId: record.messageId };
    try {
      const request = parseReplicationMessage(record.body);
      const { eventId, rule: ruleName, repository, digest } = request;
      Object.assign(log, { eventId, rule: ruleName, repository, digest });
      const { job, rule } = resolveReplicationRequest(request, deps.config, deps.deployment);
      // SentTimestamp is the same on every delivery of one message: the audit rows' time and so their key.
      const sent = Number(record.attributes?.SentTimestamp);
      const time = new Date(Number.isFinite(sent) && sent > 0 ? sent : now().getTime()).toISOString();

      const pending = pendingDestinations(job, await deps.ledger.done(job));
      if (pending.length === 0) {
        deps.log.info('already replicated: every destination holds the image and its tags', log);
        return { status: 'already-replicated' };
      }
      const current = await readVerdict(job);
      if (current.quarantined || !verdictAllows(rule, current.verdict)) {
        const reason = current.quarantined
          ? 'the image is quarantined'
          : `its verdict does not allow rule ${rule.name} (maxSeverity ${rule.maxSeverity}): ${current.verdict.result}, ${current.verdict.reason}`;
        await deps.audit.record(skippedRow(job, time, reason, current));
        deps.log.info('replication skipped: nothing copied', { ...log, reason });
        return { status: 'skipped', reason };
      }

      // Lambda runs 15 minutes at most: a larger figure is a broken host, and would overflow the timer.
      const reported = context?.getRemainingTimeInMillis?.();
      const remaining = reported === undefined ? undefined : Math.min(reported, MAX_INVOCATION_MS);
      const signal =
        remaining !== undefined
          ? AbortSignal.timeout(Math.max(1_000, remaining - ABORT_MARGIN_MS))
          : undefined;
      // One delivery copies (rule, image) at a time; the lease outlives this invocation by a minute at most.
      const started = now().getTime();
      const lease = await deps.ledger.claim(job, started, started + (remaining ?? LEASE_MS) + 60_000);
      try {
        const toCopy = pendingDestinations(job, lease.done);
        if (toCopy.length === 0) {
          deps.log.info('already replicated: every destination holds the image and its tags', log);
          return { status: 'already-replicated' };
        }
        const report = await replicate(
          { ...job, destinations: toCopy },
          {
            ...deps,
            copyOptions: { ...deps.copyOptions, ...(signal ? { signal } : {}) },
            recordDone: (destination) => deps.ledger.record(job, destination),
          },
          { time },
        );
        deps.log.info('replicated', {
          ...log,
          destinations: report.outcomes.map((o) => ({ destination: o.destination, bytes: o.bytesCopied })),
          alreadyDone: job.destinations.length - toCopy.length,
        });
        return { status: 'replicated', destinations: report.outcomes.length };
      } finally {
        // A lease that could not be dropped runs out by itself, long before the queue redelivers: nothing is
        // lost, and the record's own outcome (or error) is what its one log line reports.
        await deps.ledger.release(job, lease).catch(() => undefined);
      }
    } catch (error) {
      const err = error as Error;
      const line = { ...log, reason: `${err.name}: ${err.message}` };
      if (isRetryable(error)) {
        // Expected (the verdict is a moment behind, another delivery is copying): a deferral, not an alarm.
        deps.log.info('replication deferred; the message will be retried after the visibility timeout', line);
      } else {
        deps.log.error(
          error instanceof ReplicationMessageError
            ? 'replication message rejected: nothing read or copied; it will be dead-lettered'
            : 'replication failed; the message will be retried, then dead-lettered',
          line,
        );
      }
      throw error;
    }
  };
}

/** The `replicated` row of a message whose image may not be copied: why, and nothing else happened. */
function skippedRow(job: ReplicationJob, time: string, reason: string, current: RecordedVerdict): AuditEntry {
  return {
    repository: job.repository,
    digest: job.digest,
    action: 'replicated',
    time,
    eventId: `${job.eventId}#${job.rule}#skipped`,
    tags: job.tags,
    detail: {
      rule: job.rule,
      result: 'skipped',
      reason,
      verdict: current.verdict.result,
      ...(current.verdict.highestSeverity ? { highestSeverity: current.verdict.highestSeverity } : {}),
      quarantined: current.quarantined,
      verdictEventId: current.verdict.eventId,
    },
  };
}
