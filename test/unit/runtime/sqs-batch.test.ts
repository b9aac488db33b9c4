import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AutomationLog, EventOutcome } from '../../../shared/automation/execute-plan';
import { sqsEventRecordHandler } from '../../../shared/automation/sqs-record-handler';
import type { NormalizedEvent } from '../../../shared/domain/types';
import { IMAGE_EVENTS } from '../../../shared/events/image-events';
import { processSqsBatch, SqsBatchEventError } from '../../../shared/runtime/sqs-batch';
import { rawEvent } from '../automation/support';
import { CONTEXT, sqsEvent, sqsRecord } from '../functions/support';

function records(...ids: string[]): SQSEvent {
  return sqsEvent(...ids.map((id) => sqsRecord(id, `body of ${id}`)));
}

describe('processSqsBatch: the partial batch response contract', () => {
  it('reports nothing when every record succeeds', async () => {
    // Prepare
    const handled: string[] = [];

    // Act
    const response = await processSqsBatch(records('m-1', 'm-2'), async (record) => {
      handled.push(record.messageId);
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handled.sort()).toEqual(['m-1', 'm-2']);
  });

  it('reports exactly the records whose handler failed, in batch order, and handles the rest', async () => {
    // Prepare: m-2 rejects, m-4 throws before its first await; m-4 settles first.
    const handled: string[] = [];
    const handle = async (record: SQSRecord): Promise<void> => {
      if (record.messageId === 'm-4') throw new Error('synchronous failure');
      await new Promise((resolve) => setTimeout(resolve, record.messageId === 'm-2' ? 20 : 1));
      if (record.messageId === 'm-2') throw new Error('late failure');
      handled.push(record.messageId);
    };

    // Act
    const response = await processSqsBatch(records('m-1', 'm-2', 'm-3', 'm-4'), handle);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-4' }] });
    expect(handled.sort()).toEqual(['m-1', 'm-3']);
  });

  it('reports every record when all of them fail, without throwing', async () => {
    const response = await processSqsBatch(records('m-1', 'm-2'), async () => {
      throw new Error('down');
    });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }] });
  });

  it('handles the records concurrently', async () => {
    // Prepare: each handler waits until both have started; sequential handling would never finish.
    let started = 0;
    let release: () => void = () => undefined;
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    const handle = async (): Promise<void> => {
      started += 1;
      if (started === 2) release();
      await bothStarted;
    };

    // Act
    const response = await processSqsBatch(records('m-1', 'm-2'), handle);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('passes the Lambda context to the record handler', async () => {
    const seen: (Context | undefined)[] = [];

    await processSqsBatch(records('m-1'), async (_record, context) => void seen.push(context), CONTEXT);

    expect(seen).toEqual([CONTEXT]);
  });

  it('acknowledges an empty batch', async () => {
    await expect(processSqsBatch(sqsEvent(), async () => undefined)).resolves.toEqual({
      batchItemFailures: [],
    });
  });

  it.each([
    ['no Records', {}],
    ['Records that are not an array', { Records: 'x' }],
  ])('refuses an event with %s (a wiring mistake, not a bad record)', async (_name, event) => {
    await expect(processSqsBatch(event as unknown as SQSEvent, async () => undefined)).rejects.toThrow(
      SqsBatchEventError,
    );
  });
});

describe('processSqsBatch with the event record handler', () => {
  it('reports the bad record and logs exactly one line saying why', async () => {
    // Prepare
    const lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
    const log: AutomationLog = {
      info: (message, extra) => lines.push({ level: 'info', message, extra }),
      warn: (message, extra) => lines.push({ level: 'warn', message, extra }),
      error: (message, extra) => lines.push({ level: 'error', message, extra }),
    };
    const metrics: string[] = [];
    const handler = sqsEventRecordHandler({
      events: IMAGE_EVENTS,
      accepts: (event: NormalizedEvent): event is NormalizedEvent => event.kind === 'image.pushed',
      process: async (event): Promise<EventOutcome> => ({ status: 'done', eventId: event.id, actions: [] }),
      log,
      metric: (name) => void metrics.push(name),
    });
    const event = sqsEvent(
      sqsRecord('good', JSON.stringify(rawEvent('ecr-image-push'))),
      sqsRecord('bad', JSON.stringify(rawEvent('ecr-image-push', (e) => (e.detail['image-digest'] = 42)))),
    );

    // Act
    const response = await processSqsBatch(event, handler, CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    const errors = lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].extra).toMatchObject({
      messageId: 'bad',
      reason:
        'EventParseError: detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), got 42',
    });
    expect(metrics.sort()).toEqual(['EventsFailed', 'EventsProcessed']);
  });
});

describe('processSqsBatch with sequential: true (the replicator)', () => {
  it('starts a record only after the previous one settled, and still reports each failure', async () => {
    // Prepare: record m-2 fails; track overlap between handlers.
    let running = 0;
    let maxRunning = 0;
    const order: string[] = [];
    const handle = async (record: SQSRecord) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      order.push(`start ${record.messageId}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(`end ${record.messageId}`);
      running -= 1;
      if (record.messageId === 'm-2') throw new Error('copy failed');
    };

    // Act
    const response = await processSqsBatch(records('m-1', 'm-2', 'm-3'), handle, CONTEXT, {
      sequential: true,
    });

    // Assess
    expect(maxRunning).toBe(1);
    expect(order).toEqual(['start m-1', 'end m-1', 'start m-2', 'end m-2', 'start m-3', 'end m-3']);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
  });
});
