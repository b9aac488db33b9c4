import type { ECRClient } from '@aws-sdk/client-ecr';
import type { AuditFollowUp, AuditStore } from '../audit/store';
import type { RuntimeConfig } from '../runtime/runtime-config';
import type { AuditEntry, NormalizedEvent } from '../domain/types';
import type { HarbormasterMetric } from '../observability/metrics';
import type { Action, AuditPlanAction, NotifyPlanAction, ReplicatePlanAction } from '../policy';
import { addTags, removeTags, type TagOutcome } from '../registry/ecr-images';

/** The log lines the automation writes (Powertools Logger fits; tests pass a recorder). */
export interface AutomationLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Metric sink (the handlers wire Powertools Metrics through recordMetric). */
export type CountMetric = (name: HarbormasterMetric, value?: number) => void;

/** What every event path needs: clients, the audit store, the config, a clock. */
export interface AutomationDeps {
  readonly ecr: ECRClient;
  readonly audit: Pick<AuditStore, 'record' | 'withdraw' | 'lastFindingSet'>;
  readonly config: RuntimeConfig;
  readonly now: () => Date;
  readonly log: AutomationLog;
  readonly metric?: CountMetric;
}

/** What happened to one event. */
export type EventOutcome =
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'duplicate'; readonly eventId: string }
  | { readonly status: 'done'; readonly eventId: string; readonly actions: readonly string[] };

/** Side effects the executor cannot do itself (they need clients only the scan path has). */
export interface SideEffects {
  notify?(action: NotifyPlanAction): Promise<void>;
  replicate?(action: ReplicatePlanAction): Promise<void>;
}

/** A redelivered event: one log line, nothing else done (the executor and the scan path's early check share it). */
export function duplicateDelivery(event: NormalizedEvent, deps: Pick<AutomationDeps, 'log'>): EventOutcome {
  deps.log.info('duplicate delivery: already processed, nothing done', {
    eventId: event.id,
    kind: event.kind,
  });
  return { status: 'duplicate', eventId: event.id };
}

/** The tag ECR must keep on a quarantined image: removing an image's last tag deletes the image. */
export function quarantineKeeperTag(digest: string): string {
  return `quarantined-${digest.replace(/^sha256:/, '').slice(0, 12)}`;
}

function followUpsOf(actions: readonly Action[]): AuditFollowUp[] {
  const rows: AuditFollowUp[] = [];
  for (const action of actions) {
    switch (action.type) {
      case 'audit':
        rows.push({ action: action.action, detail: action.detail });
        break;
      case 'tag':
      case 'untag':
        rows.push({ action: action.audit, tags: action.tags, detail: { reason: action.reason } });
        break;
      case 'notify':
        rows.push({
          action: action.audit,
          detail: {
            topic: action.topic,
            team: action.team,
            verdict: action.verdict,
            newFindings: action.newFindings,
            fixedFindings: action.fixedFindings,
            quarantinedTags: action.quarantinedTags,
            findingSetHash: action.findingSetHash,
            findingIds: action.findingIds,
          },
        });
        break;
      case 'replicate':
        // The replicator writes the `replicated` rows once it has copied.
        break;
    }
  }
  return rows;
}

/**
 * Executes a plan exactly once in effect. The event's audit row (its first audit action, with every other
 * planned row as a follow-up) is written first with a conditional put: a redelivery finds it and does
 * nothing else. If an action then fails, the row is withdrawn and the error rethrown, so the queue's retry
 * redoes the work instead of being taken for a duplicate.
 */
export async function executePlan(
  event: NormalizedEvent,
  actions: readonly Action[],
  deps: AutomationDeps,
  effects: SideEffects = {},
): Promise<EventOutcome> {
  const first = actions[0];
  if (!first || first.type !== 'audit') {
    throw new Error(`plan for ${event.kind} ${event.id} does not start with an audit action`);
  }
  const primary: AuditEntry = {
    repository: event.repository,
    digest: event.digest,
    action: (first as AuditPlanAction).action,
    time: event.time,
    eventId: event.id,
    tags: event.tags,
    detail: first.detail,
  };
  const { duplicate } = await deps.audit.record(primary, followUpsOf(actions.slice(1)));
  if (duplicate) return duplicateDelivery(event, deps);

  const done: string[] = [primary.action];
  try {
    for (const action of actions.slice(1)) {
      switch (action.type) {
        case 'audit':
          done.push(action.action);
          break;
        case 'tag': {
          const { outcomes } = await addTags(deps.ecr, {
            repository: event.repository,
            digest: event.digest,
            tags: action.tags,
          });
          await reportTagOutcomes(event, action.audit, outcomes, deps);
          done.push(action.audit);
          break;
        }
        case 'untag': {
          await quarantine(event, action.tags, deps);
          deps.metric?.('ImagesQuarantined');
          done.push(action.audit);
          break;
        }
        case 'notify':
          if (!effects.notify) throw cannot('send alerts', action);
          await effects.notify(action);
          deps.metric?.('AlertsSent');
          done.push(action.audit);
          break;
        case 'replicate':
          if (!effects.replicate) throw cannot('enqueue replication', action);
          await effects.replicate(action);
          done.push(`replicate:${action.rule}`);
          break;
      }
    }
  } catch (error) {
    await deps.audit.withdraw(primary).catch((withdrawError: unknown) => {
      // The retry will be taken for a duplicate: say so loudly, next to the original failure.
      deps.log.error(
        'could not withdraw the audit row after a failed action; a retry of this event will be skipped',
        {
          eventId: event.id,
          withdrawError: (withdrawError as Error).message,
        },
      );
    });
    throw error;
  }
  return { status: 'done', eventId: event.id, actions: done };
}

/** A planned side effect this function has no client for (a wiring mistake, not a bad event). */
function cannot(what: string, action: Action): Error {
  return new Error(`this function cannot ${what} (${action.type} action in its plan)`);
}

async function reportTagOutcomes(
  event: NormalizedEvent,
  row: 'tagged' | 'promoted',
  outcomes: Readonly<Record<string, TagOutcome>>,
  deps: AutomationDeps,
): Promise<void> {
  const written = Object.entries(outcomes)
    .filter(([, o]) => o === 'added')
    .map(([t]) => t);
  const immutable = Object.entries(outcomes)
    .filter(([, o]) => o === 'immutable')
    .map(([t]) => t);
  if (written.length > 0) deps.metric?.('TagsWritten', written.length);
  if (immutable.length === 0) return;
  // Recorded and logged once; never retried (moving an immutable tag can never succeed).
  deps.log.warn('tag is immutable in this repository and points at another image: not moved', {
    eventId: event.id,
    repository: event.repository,
    digest: event.digest,
    tags: immutable,
  });
  await deps.audit.record(
    {
      repository: event.repository,
      digest: event.digest,
      action: row,
      time: event.time,
      eventId: `${event.id}#immutable`,
      tags: immutable,
      detail: { outcome: 'immutable', outcomes: { ...outcomes } },
    },
    [],
  );
}

/**
 * Removes release tags. ECR deletes an image whose last tag is removed, so when the event's tags would
 * all go, the image first gets a keeper tag (quarantined-<digest12>) and stays pullable.
 */
async function quarantine(
  event: NormalizedEvent,
  tags: readonly string[],
  deps: AutomationDeps,
): Promise<void> {
  const remaining = event.tags.filter((t) => !tags.includes(t));
  if (remaining.length === 0) {
    const keeper = quarantineKeeperTag(event.digest);
    await addTags(deps.ecr, { repository: event.repository, digest: event.digest, tags: [keeper] });
  }
  const { absent } = await removeTags(deps.ecr, { repository: event.repository, digest: event.digest, tags });
  deps.log.warn('image quarantined: release tags removed, image kept', {
    eventId: event.id,
    repository: event.repository,
    digest: event.digest,
    removed: tags.filter((t) => !absent.includes(t)),
  });
}

/** The structural part of a Powertools Logger the adapter needs. */
interface LoggerLike {
  info(message: string, ...extra: never[]): void;
  warn(message: string, ...extra: never[]): void;
  error(message: string, ...extra: never[]): void;
}

/** Adapts a Powertools Logger (whose extra-attribute type is narrower than `unknown`) to AutomationLog. */
export function automationLog(logger: LoggerLike): AutomationLog {
  const call =
    (fn: (message: string, ...extra: never[]) => void) =>
    (message: string, extra?: Record<string, unknown>) =>
      extra ? fn.call(logger, message, extra as never) : fn.call(logger, message);
  return { info: call(logger.info), warn: call(logger.warn), error: call(logger.error) };
}
