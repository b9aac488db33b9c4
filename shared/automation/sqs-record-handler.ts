import type { SQSRecord } from 'aws-lambda';
import { isRetryable } from '../domain/errors';
import type { NormalizedEvent } from '../domain/types';
import { foreignAccountReason, isIgnored } from '../domain/types';
import { parseEventJsonWith, type DetailParsers } from '../events/dispatch';
import { EventRoutingError } from '../events/errors';
import type { AutomationLog, CountMetric, EventOutcome } from './execute-plan';

/**
 * The per-record part every event function shares: parse the SQS body (an EventBridge event), skip what
 * the automation ignores, route the rest, and turn a failure into exactly one log line plus a rethrow, so
 * the batch processor reports the record as a batch item failure and the queue dead-letters it eventually.
 * A retryable failure (shared/domain/errors) is the same batch item failure, logged as a deferral and not
 * counted in EventsFailed.
 */
export function sqsEventRecordHandler<E extends NormalizedEvent>(options: {
  /**
   * The detail parsers of the events this function handles (shared/events IMAGE_EVENTS or SCAN_EVENTS):
   * only those ship in its bundle; another Harbormaster event type fails as misrouted.
   */
  readonly events: DetailParsers;
  readonly accepts: (event: NormalizedEvent) => event is E;
  readonly process: (event: E) => Promise<EventOutcome>;
  readonly log: AutomationLog;
  readonly metric: CountMetric;
  /** The deployment's account: an event of another account (or naming one in its ARNs) is ignored. */
  readonly account?: string;
}): (record: SQSRecord) => Promise<EventOutcome> {
  const { events, accepts, process, log, metric } = options;
  return async (record) => {
    let eventId: string | undefined;
    try {
      // EventBridge -> SQS delivers the event itself as the body.
      const parsed = parseEventJsonWith(events, record.body);
      if (isIgnored(parsed)) {
        log.info('event ignored', { messageId: record.messageId, reason: parsed.ignored });
        metric('EventsIgnored');
        return { status: 'ignored', reason: parsed.ignored };
      }
      eventId = parsed.id;
      const foreign = foreignAccountReason(parsed, options.account);
      if (foreign) {
        log.warn('event ignored', { messageId: record.messageId, eventId, reason: foreign });
        metric('EventsIgnored');
        return { status: 'ignored', reason: foreign };
      }
      if (!accepts(parsed)) {
        throw new EventRoutingError(`a ${parsed.kind} event`);
      }
      const outcome = await process(parsed);
      if (outcome.status === 'ignored') {
        log.info('event ignored', { messageId: record.messageId, eventId, reason: outcome.reason });
        metric('EventsIgnored');
      } else {
        log.info(outcome.status === 'duplicate' ? 'event already processed' : 'event processed', {
          messageId: record.messageId,
          eventId,
          kind: parsed.kind,
          repository: parsed.repository,
          digest: parsed.digest,
          ...(outcome.status === 'done' ? { actions: outcome.actions } : {}),
        });
        metric('EventsProcessed');
      }
      return outcome;
    } catch (error) {
      const err = error as Error;
      if (isRetryable(error)) {
        // Expected under bursts (another event holds the image): not a failure to alarm on.
        log.info('record deferred; it will be retried after the visibility timeout', {
          messageId: record.messageId,
          ...(eventId ? { eventId } : {}),
          reason: `${err.name}: ${err.message}`,
        });
        throw error;
      }
      log.error('record failed; it will be retried, then dead-lettered', {
        messageId: record.messageId,
        ...(eventId ? { eventId } : {}),
        reason: `${err.name}: ${err.message}`,
        ...(err.cause instanceof Error ? { cause: `${err.cause.name}: ${err.cause.message}` } : {}),
      });
      metric('EventsFailed');
      throw error;
    }
  };
}
