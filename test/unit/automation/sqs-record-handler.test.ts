import type { SQSRecord } from 'aws-lambda';
import { sqsEventRecordHandler } from '../../../shared/automation/sqs-record-handler';
import type { NormalizedEvent } from '../../../shared/domain/types';
import { IMAGE_EVENTS } from '../../../shared/events/image-events';
import { ImageBusyError, ImageStateError } from '../../../shared/state/image-state-store';
import { fixtureText } from '../events/fixtures';

const record = (body: string): SQSRecord => ({ messageId: 'm-1', body }) as SQSRecord;

function harness(failWith: Error) {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const metrics: string[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  const handle = sqsEventRecordHandler({
    events: IMAGE_EVENTS,
    accepts: (event: NormalizedEvent): event is NormalizedEvent => event.kind === 'image.pushed',
    process: () => Promise.reject(failWith),
    log: { info: at('info'), warn: at('warn'), error: at('error') },
    metric: (name) => metrics.push(name),
  });
  return { handle, lines, metrics };
}

describe('sqsEventRecordHandler failures', () => {
  it('a retryable failure (another event holds the image) fails the record, logged as a deferral, not counted as failed', async () => {
    // Prepare
    const { handle, lines, metrics } = harness(
      new ImageBusyError('payments/api@sha256:1 is held by event e-0'),
    );

    // Act / Assess: the record still fails, so the batch reports it and the queue redelivers it.
    await expect(handle(record(fixtureText('ecr-image-push')))).rejects.toThrow(ImageBusyError);
    expect(metrics).toEqual([]);
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'record deferred; it will be retried after the visibility timeout',
        fields: expect.objectContaining({
          messageId: 'm-1',
          reason: 'ImageBusyError: payments/api@sha256:1 is held by event e-0',
        }),
      },
    ]);
  });

  it('any other failure is one error line and EventsFailed', async () => {
    // Prepare
    const { handle, lines, metrics } = harness(new ImageStateError('writing the state failed'));

    // Act
    await expect(handle(record(fixtureText('ecr-image-push')))).rejects.toThrow(ImageStateError);

    // Assess
    expect(metrics).toEqual(['EventsFailed']);
    expect(lines.map((l) => [l.level, l.message, l.fields.reason])).toEqual([
      [
        'error',
        'record failed; it will be retried, then dead-lettered',
        'ImageStateError: writing the state failed',
      ],
    ]);
  });
});
