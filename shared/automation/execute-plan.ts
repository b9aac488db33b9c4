import type { ECRClient } from '@aws-sdk/client-ecr';
import type { AuditFollowUp, AuditWriter } from '../audit/writer';
import type { RuntimeConfig } from '../runtime/runtime-config';
import type { AuditEntry, NormalizedEvent } from '../domain/types';
import type { HarbormasterMetric } from '../observability/metrics';
import type { Action, AuditPlanAction } from '../policy';
import { addTags, type TagOutcome } from '../registry/ecr-images';

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
  readonly audit: Pick<AuditWriter, 'record'>;
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
 * Executes an image event's plan: the effects first (auto-tags: the same manifest under more tags, each
 * write idempotent), then the event's audit row (its first audit action, every other planned row as a
 * follow-up) with a conditional put. A crash before the row is written leaves nothing recorded, so the
 * redelivery redoes the effects (a tag already there is a no-op) and then writes the row; a redelivery
 * after it finds the row and reports a duplicate.
 */
export async function executePlan(
  event: NormalizedEvent,
  actions: readonly Action[],
  deps: AutomationDeps,
): Promise<EventOutcome> {
  const first = actions[0];
  if (!first || first.type !== 'audit') {
    throw new Error(`plan for ${event.kind} ${event.id} does not start with an audit action`);
  }
  const done: string[] = [first.action];
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
      default:
        throw new Error(`this function cannot carry out a ${action.type} action (image event plan)`);
    }
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
  return { status: 'done', eventId: event.id, actions: done };
}

/** Records tags that were immutable elsewhere (never retried: moving an immutable tag can never succeed). */
export async function reportTagOutcomes(
  event: NormalizedEvent,
  row: 'tagged' | 'promoted',
  outcomes: Readonly<Record<string, TagOutcome>>,
  deps: Pick<AutomationDeps, 'log' | 'metric'> & { readonly audit: Pick<AuditWriter, 'record'> },
): Promise<void> {
  const written = Object.entries(outcomes)
    .filter(([, o]) => o === 'added')
    .map(([t]) => t);
  const immutable = Object.entries(outcomes)
    .filter(([, o]) => o === 'immutable')
    .map(([t]) => t);
  if (written.length > 0) deps.metric?.('TagsWritten', written.length);
  if (immutable.length === 0) return;
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
