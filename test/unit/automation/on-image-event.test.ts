import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetImageCommand,
  ECRClient,
  ImageTagAlreadyExistsException,
  ListImagesCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AuditStore } from '../../../shared/audit/timeline-store';
import type { AutomationDeps } from '../../../shared/automation/execute-plan';
import { onImageEvent } from '../../../shared/automation/on-image-event';
import type { ImageEvent, ReplicationEvent } from '../../../shared/domain/types';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import {
  NOW,
  conditionalCheckFailed,
  normalized,
  recordingLog,
  testConfig,
  type RecordedLog,
} from './support';

const ecr = mockClient(ECRClient);
const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const MANIFEST = '{"schemaVersion":2}';
const OCI = 'application/vnd.oci.image.manifest.v1+json';

describe('onImageEvent', () => {
  let log: RecordedLog;
  let deps: AutomationDeps;
  let metrics: string[];

  beforeEach(() => {
    ecr.reset();
    ddb.reset();
    log = recordingLog();
    metrics = [];
    deps = {
      ecr: new ECRClient({}),
      audit: new AuditStore(new DynamoDBClient({}), {
        tableName: 'audit',
        retentionDays: 400,
        now: () => NOW,
      }),
      config: testConfig(),
      now: () => NOW,
      log,
      metric: (name, value = 1) => metrics.push(`${name}=${value}`),
    };
    ddb.on(PutItemCommand).resolves({});
    ecr
      .on(BatchGetImageCommand)
      .resolves({ images: [{ imageManifest: MANIFEST, imageManifestMediaType: OCI }] });
    ecr.on(PutImageCommand).resolves({});
  });

  it('records a push with no tag rule with exactly one conditional write and nothing else', async () => {
    // Prepare
    const event = normalized<ImageEvent>('ecr-image-push', (e) => {
      e.detail['repository-name'] = 'platform/tools';
      e.detail['image-tag'] = 'build-77';
    });

    // Act
    const outcome = await onImageEvent(event, deps);

    // Assess
    expect(outcome).toEqual({ status: 'done', eventId: event.id, actions: ['pushed'] });
    expect(ddb.calls()).toHaveLength(1);
    expect(ecr.calls()).toHaveLength(0);
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'audit',
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
    const item = ddb.commandCalls(PutItemCommand)[0].args[0].input.Item;
    expect(item?.pk).toEqual({ S: `IMAGE#platform/tools@${event.digest}` });
    expect(item?.sk).toEqual({ S: `2026-11-20T09:15:02.000Z#pushed#${event.id}` });
    expect(item?.followUps).toBeUndefined();
  });

  it('cascades a semver push to v1.4, v1 and latest with the same manifest, after one tag listing', async () => {
    // Prepare
    const event = normalized<ImageEvent>('ecr-image-push');
    ecr
      .on(ListImagesCommand)
      .resolves({ imageIds: [{ imageTag: 'v1.4.1' }, { imageTag: 'v1.3.0' }, { imageTag: 'latest' }] });

    // Act
    const outcome = await onImageEvent(event, deps);

    // Assess
    expect(outcome).toEqual({ status: 'done', eventId: event.id, actions: ['pushed', 'tagged'] });
    expect(ecr).toHaveReceivedCommandTimes(ListImagesCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 3);
    for (const tag of ['v1.4', 'v1', 'latest']) {
      expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
        repositoryName: 'payments/api',
        imageDigest: event.digest,
        imageManifest: MANIFEST,
        imageManifestMediaType: OCI,
        imageTag: tag,
      });
    }
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    const item = ddb.commandCalls(PutItemCommand)[0].args[0].input.Item;
    expect(item?.actions).toEqual({ L: [{ S: 'pushed' }, { S: 'tagged' }] });
    expect(metrics).toEqual(['TagsWritten=3']);
  });

  it('does nothing else on a duplicated delivery: no tag is written twice', async () => {
    // Prepare: the first delivery's tags are on the image; its row is written.
    const event = normalized<ImageEvent>('ecr-image-push');
    ecr.on(ListImagesCommand).resolves({
      imageIds: ['v1.4.2', 'v1.4', 'v1', 'latest'].map((imageTag) => ({
        imageTag,
        imageDigest: event.digest,
      })),
    });
    ddb.on(PutItemCommand).rejects(conditionalCheckFailed());

    // Act
    const outcome = await onImageEvent(event, deps);

    // Assess
    expect(outcome).toEqual({ status: 'duplicate', eventId: event.id });
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
    expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 0);
  });

  it('records and logs an immutable tag once, without retrying it', async () => {
    // Prepare
    const event = normalized<ImageEvent>('ecr-image-push');
    ecr.on(ListImagesCommand).resolves({ imageIds: [] });
    ecr
      .on(PutImageCommand, { imageTag: 'v1' })
      .rejects(new ImageTagAlreadyExistsException({ message: 'tag v1 is immutable', $metadata: {} }));

    // Act
    const outcome = await onImageEvent(event, deps);

    // Assess
    expect(outcome.status).toBe('done');
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 3);
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 2);
    // The immutable row is written with the tagging, before the event's own row.
    const immutableRow = ddb.commandCalls(PutItemCommand)[0].args[0].input.Item;
    expect(immutableRow?.eventId).toEqual({ S: `${event.id}#immutable` });
    expect(immutableRow?.tags).toEqual({ L: [{ S: 'v1' }] });
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'tag is immutable in this repository and points at another image: not moved',
        extra: { eventId: event.id, repository: 'payments/api', digest: event.digest, tags: ['v1'] },
      },
    ]);
  });

  it('writes no audit row and rethrows when tagging fails, so the redelivery redoes the work', async () => {
    // Prepare
    const event = normalized<ImageEvent>('ecr-image-push');
    ecr.on(ListImagesCommand).resolves({ imageIds: [] });
    ecr
      .on(PutImageCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const error = await onImageEvent(event, deps).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe(`PutImage of tag v1.4 failed for payments/api@${event.digest}`);
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 0);
    expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 0);
  });

  it('ignores an unmanaged repository without any AWS call', async () => {
    // Prepare
    const event = normalized<ImageEvent>('ecr-image-push-unmanaged');

    // Act
    const outcome = await onImageEvent(event, deps);

    // Assess
    expect(outcome.status).toBe('ignored');
    expect(ddb.calls()).toHaveLength(0);
    expect(ecr.calls()).toHaveLength(0);
  });

  it('records a delete and a native replication result as one row each', async () => {
    // Prepare
    const deleted = normalized<ImageEvent>('ecr-image-delete');
    const replicated = normalized<ImageEvent>('ecr-replication-success');

    // Act
    const outcomes = [await onImageEvent(deleted, deps), await onImageEvent(replicated, deps)];

    // Assess
    expect(outcomes.map((o) => (o.status === 'done' ? o.actions : o.status))).toEqual([
      ['deleted'],
      ['replicated'],
    ]);
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
    expect(ecr.calls()).toHaveLength(0);
  });

  describe('native replication results forwarded from the destination region', () => {
    const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:findings';
    const withAlerts = () => ({
      ...deps,
      sns: new SNSClient({}),
      topicArn: TOPIC,
      state: new ImageStateStore(new DynamoDBClient({}), 'state', () => 'token-1'),
      leaseMs: 60_000,
    });

    beforeEach(() => {
      sns.reset();
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      ddb.on(UpdateItemCommand).resolves({ Attributes: { version: { N: '1' } } });
    });

    it('records SUCCESS from eu-central-1 as one replicated row naming the region, and alerts nobody', async () => {
      // Prepare: the sample's region is the destination (eu-central-1); the home table is eu-west-1's.
      const event = normalized<ReplicationEvent>('ecr-replication-success');

      // Act
      const outcome = await onImageEvent(event, withAlerts());

      // Assess: one write, no claim (nothing to send once only).
      expect(outcome).toEqual({ status: 'done', eventId: event.id, actions: ['replicated'] });
      expect(ddb.calls()).toHaveLength(1);
      const input = ddb.commandCalls(PutItemCommand)[0].args[0].input;
      expect(input.TableName).toBe('audit');
      expect(input.ConditionExpression).toBe('attribute_not_exists(#pk)');
      expect(input.Item?.pk).toEqual({ S: `IMAGE#payments/api@${event.digest}` });
      expect(input.Item?.sk).toEqual({ S: `2026-11-20T09:15:41.000Z#replicated#${event.id}` });
      expect(input.Item?.action).toEqual({ S: 'replicated' });
      expect(input.Item?.detail).toEqual({
        M: {
          via: { S: 'ecr-native-replication' },
          result: { S: 'SUCCESS' },
          region: { S: 'eu-central-1' },
          tags: { L: [{ S: 'v1.4.2' }] },
        },
      });
      expect(sns.calls()).toHaveLength(0);
      expect(ecr.calls()).toHaveLength(0);
      expect(metrics).toEqual(['ReplicationsSucceeded=1']);
    });

    it('alerts a FAILED result on the findings topic under the image lease, then records the row', async () => {
      // Prepare
      const event = normalized<ReplicationEvent>('ecr-replication-failed');
      const digest = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
      const stateKey = { pk: { S: `IMAGE#payments/worker@${digest}` } };

      // Act
      const outcome = await onImageEvent(event, withAlerts());

      // Assess: claim, alert, row, commit (done + lease dropped), in that order.
      expect(outcome).toEqual({ status: 'done', eventId: event.id, actions: ['replicated'] });
      expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual([
        'UpdateItemCommand',
        'PutItemCommand',
        'UpdateItemCommand',
      ]);
      const [claim, , commit] = ddb.calls().map((c) => c.args[0].input as UpdateItemCommandInput);
      expect(claim).toMatchObject({
        TableName: 'state',
        Key: stateKey,
        ConditionExpression:
          '(attribute_not_exists(#lock) OR #lock.#until < :now) AND NOT contains(#done, :event)',
      });
      expect(claim.ExpressionAttributeValues?.[':event']).toEqual({ S: event.id });
      expect(claim.ExpressionAttributeValues?.[':now']).toEqual({ N: String(NOW.getTime()) });
      expect(commit).toMatchObject({
        TableName: 'state',
        Key: stateKey,
        UpdateExpression: 'SET #state = :state, #done = :done, #version = #version + :one REMOVE #lock',
      });
      expect(commit.ExpressionAttributeValues?.[':done']).toEqual({ L: [{ S: event.id }] });
      expect(sns.calls()).toHaveLength(1);
      expect(sns).toHaveReceivedCommandWith(PublishCommand, {
        TopicArn: TOPIC,
        Subject: '[Harbormaster] REPLICATION FAILED payments/worker@sha256:9f86d081884c to eu-central-1',
        Message: [
          `ECR native replication of payments/worker@${digest} to eu-central-1 failed.`,
          'Account 111122223333; ECR reported it in eu-central-1 and Harbormaster forwarded it home.',
          '',
          'Check what ECR needs to write the replica there: the replication rule, the destination registry policy,',
          'its repository creation templates and KMS key. ECR replicates on push: pushing the image again retries.',
          '',
          `Timeline: harbormaster audit payments/worker@${digest}`,
          'Event: d9c244c2-713a-ff84-f3b2-5a577c9cb0aa',
        ].join('\n'),
        MessageAttributes: {
          verdict: { DataType: 'String', StringValue: 'replication-failed' },
          repository: { DataType: 'String', StringValue: 'payments/worker' },
          rule: { DataType: 'String', StringValue: 'ecr-native-replication' },
          region: { DataType: 'String', StringValue: 'eu-central-1' },
          team: { DataType: 'String', StringValue: 'payments' },
        },
      });
      const item = ddb.commandCalls(PutItemCommand)[0].args[0].input.Item;
      expect(item?.pk).toEqual({ S: `IMAGE#payments/worker@${digest}` });
      expect(item?.sk).toEqual({ S: `2026-11-20T09:16:02.000Z#replicated#${event.id}` });
      expect(item?.detail).toEqual({
        M: {
          via: { S: 'ecr-native-replication' },
          result: { S: 'FAILED' },
          region: { S: 'eu-central-1' },
          tags: { L: [] },
        },
      });
      expect(metrics).toEqual(['ReplicationsFailed=1', 'AlertsSent=1']);
      expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
        'native replication FAILED: alerted',
      ]);
    });

    it('sends nothing for a FAILED result whose event the image already marks done', async () => {
      // Prepare: the claim's condition fails and the read shows the event done.
      const event = normalized<ReplicationEvent>('ecr-replication-failed');
      ddb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
      ddb.on(GetItemCommand).resolves({ Item: { done: { L: [{ S: event.id }] } } });

      // Act
      const outcome = await onImageEvent(event, withAlerts());

      // Assess
      expect(outcome).toEqual({ status: 'duplicate', eventId: event.id });
      expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual([
        'UpdateItemCommand',
        'GetItemCommand',
      ]);
      expect(sns.calls()).toHaveLength(0);
      expect(metrics).toEqual([]);
    });

    it('drops the lease and writes no row when the alert cannot be sent, so the retry sends it', async () => {
      // Prepare
      const event = normalized<ReplicationEvent>('ecr-replication-failed');
      sns.on(PublishCommand).rejects(new Error('throttled'));

      // Act / Assess
      await expect(onImageEvent(event, withAlerts())).rejects.toThrow('throttled');
      expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual([
        'UpdateItemCommand',
        'UpdateItemCommand',
      ]);
      expect(ddb.commandCalls(UpdateItemCommand)[1].args[0].input.UpdateExpression).toBe('REMOVE #lock');
      expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('fails a FAILED result loudly when no findings topic is configured, writing nothing', async () => {
      const event = normalized<ReplicationEvent>('ecr-replication-failed');
      await expect(onImageEvent(event, deps)).rejects.toThrow(
        /FAILED but no findings topic is set \(FINDINGS_TOPIC_ARN\)/,
      );
      expect(ddb.calls()).toHaveLength(0);
      expect(sns.calls()).toHaveLength(0);
    });

    it('fails a FAILED result loudly without the image-state table (no claim: the alert could repeat), sending nothing', async () => {
      const event = normalized<ReplicationEvent>('ecr-replication-failed');
      await expect(onImageEvent(event, { ...withAlerts(), state: undefined })).rejects.toThrow(
        /FAILED but no image-state table is set \(IMAGE_STATE_TABLE_NAME\)/,
      );
      expect(ddb.calls()).toHaveLength(0);
      expect(sns.calls()).toHaveLength(0);
    });
  });
});
