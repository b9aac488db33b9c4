import { ECRClient } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AuditStore } from '../../../shared/audit/timeline-store';
import { onImageEvent } from '../../../shared/automation/on-image-event';
import { sqsEventRecordHandler } from '../../../shared/automation/sqs-record-handler';
import type { ImageEvent, NormalizedEvent, ReplicationEvent } from '../../../shared/domain/types';
import { IMAGE_EVENTS } from '../../../shared/events/image-events';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import { NOW, rawEvent, recordingLog, testConfig } from '../../unit/automation/support';

/**
 * Native replication results as the image-events function meets them after the destination region's rule
 * forwarded them home (region eu-central-1 kept): the record handler and onImageEvent against dynalite (audit
 * and state tables), SNS recorded. Several deliveries of one FAILED result at once send one alert.
 */

const ACCOUNT = '111122223333';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:findings';
const sns = mockClient(SNSClient);

let db: DynaliteHandle;
let tables = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

async function setUp() {
  tables += 1;
  await createAuditTable(db.client, `audit-${tables}`);
  await createStateTable(db.client, `state-${tables}`);
  const audit = new AuditStore(db.client, {
    tableName: `audit-${tables}`,
    retentionDays: 30,
    now: () => NOW,
  });
  const log = recordingLog();
  const deps = {
    ecr: new ECRClient({ region: 'eu-west-1' }),
    audit,
    config: testConfig(),
    now: () => NOW,
    log,
    sns: new SNSClient({ region: 'eu-west-1' }),
    topicArn: TOPIC,
    state: new ImageStateStore(db.client, `state-${tables}`),
    leaseMs: 60_000,
  };
  const handle = sqsEventRecordHandler({
    events: IMAGE_EVENTS,
    accepts: (event: NormalizedEvent): event is ImageEvent | ReplicationEvent =>
      event.kind !== 'scan.completed' && event.kind !== 'finding.updated',
    process: (event) => onImageEvent(event, deps),
    log,
    metric: () => undefined,
    account: ACCOUNT,
  });
  return { audit, log, handle };
}

const record = (body: unknown, messageId: string) =>
  ({ messageId, body: JSON.stringify(body) }) as unknown as SQSRecord;

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('native replication results at home (dynalite)', () => {
  it('five deliveries of one FAILED result at once, then their redeliveries: one alert, one row', async () => {
    // Prepare
    const { audit, handle } = await setUp();
    const failed = rawEvent('ecr-replication-failed');
    const detail = failed.detail as { 'repository-name': string; 'image-digest': string };

    // Act: at once (as one batch, or concurrent invocations), then the ones that were deferred again.
    const first = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => handle(record(failed, `m-${n}`))));
    const deferred = first.filter((r) => r.status === 'rejected');
    const again = await Promise.all(deferred.map((_, n) => handle(record(failed, `r-${n}`))));

    // Assess
    const statuses = first.map((r) => (r.status === 'fulfilled' ? r.value.status : 'deferred'));
    expect(statuses.filter((s) => s === 'done')).toHaveLength(1);
    expect(statuses.filter((s) => s !== 'done').every((s) => s === 'deferred' || s === 'duplicate')).toBe(
      true,
    );
    for (const r of deferred) expect((r as PromiseRejectedResult).reason.name).toBe('ImageBusyError');
    expect(again.map((o) => o.status)).toEqual(deferred.map(() => 'duplicate'));
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Subject).toBe(
      '[Harbormaster] REPLICATION FAILED payments/worker@sha256:9f86d081884c to eu-central-1',
    );
    const { entries } = await audit.imageTimeline(detail['repository-name'], detail['image-digest']);
    expect(entries.map((e) => [e.action, e.eventId, e.detail])).toEqual([
      [
        'replicated',
        failed.id,
        { via: 'ecr-native-replication', result: 'FAILED', region: 'eu-central-1', tags: [] },
      ],
    ]);
  });

  it('records SUCCESS on the timeline with the destination region, twice delivered, without an alert', async () => {
    // Prepare
    const { audit, handle } = await setUp();
    const success = rawEvent('ecr-replication-success');
    const detail = success.detail as { 'repository-name': string; 'image-digest': string };

    // Act
    const outcomes = await Promise.all([handle(record(success, 'm-1')), handle(record(success, 'm-2'))]);

    // Assess
    expect(outcomes.map((o) => o.status).sort()).toEqual(['done', 'duplicate']);
    expect(sns.calls()).toHaveLength(0);
    const { entries } = await audit.imageTimeline(detail['repository-name'], detail['image-digest']);
    expect(entries.map((e) => [e.action, e.tags, e.detail])).toEqual([
      [
        'replicated',
        ['v1.4.2'],
        { via: 'ecr-native-replication', result: 'SUCCESS', region: 'eu-central-1', tags: ['v1.4.2'] },
      ],
    ]);
  });

  it("ignores another account's FAILED result with one log line: no alert, no row", async () => {
    // Prepare
    const { audit, log, handle } = await setUp();
    const foreign = rawEvent('ecr-replication-failed', (e) => {
      e.account = '999988887777';
    });

    // Act
    const outcome = await handle(record(foreign, 'm-1'));

    // Assess
    expect(outcome.status).toBe('ignored');
    expect(sns.calls()).toHaveLength(0);
    expect(log.lines.map((l) => [l.level, l.message])).toEqual([['warn', 'event ignored']]);
    const { entries } = await audit.imageTimeline(
      'payments/worker',
      (foreign.detail as { 'image-digest': string })['image-digest'],
    );
    expect(entries).toEqual([]);
  });
});
