import { DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  PutImageCommand,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AuditStore } from '../../../shared/audit/store';
import { quarantineKeeperTag } from '../../../shared/automation/execute-plan';
import { onScanEvent, type ScanDeps } from '../../../shared/automation/on-scan-event';
import type { ScanEvent } from '../../../shared/domain/types';
import { ALERT_ATTRIBUTE, type FindingsAlert } from '../../../shared/notify/alert';
import { findingSetHash } from '../../../shared/policy';
import { parseReplicationMessage } from '../../../shared/replication/message-parser';
import { NOW, conditionalCheckFailed, normalized, notifiedItem, recordingLog, testConfig } from './support';

const ecr = mockClient(ECRClient);
const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:findings';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/replication';
const MANIFEST = '{"schemaVersion":2}';
const OCI = 'application/vnd.oci.image.manifest.v1+json';

/** What DescribeImageScanFindings returns for the failing basic scan fixture (2 HIGH, 3 MEDIUM, 5 LOW). */
const BASIC_FINDINGS: ImageScanFinding[] = [
  {
    name: 'CVE-2024-0001',
    severity: 'HIGH',
    attributes: [
      { key: 'package_name', value: 'openssl' },
      { key: 'package_version', value: '3.0.2' },
    ],
  },
  {
    name: 'CVE-2024-0002',
    severity: 'HIGH',
    attributes: [
      { key: 'package_name', value: 'curl' },
      { key: 'package_version', value: '7.81.0' },
    ],
  },
  ...['CVE-2024-0101', 'CVE-2024-0102', 'CVE-2024-0103'].map((name): ImageScanFinding => ({
    name,
    severity: 'MEDIUM',
  })),
  ...['CVE-2024-0201', 'CVE-2024-0202', 'CVE-2024-0203', 'CVE-2024-0204', 'CVE-2024-0205'].map(
    (name): ImageScanFinding => ({ name, severity: 'LOW' }),
  ),
];
const BASIC_IDS = BASIC_FINDINGS.map((f) => f.name ?? '').sort();

function publishedAlert(): FindingsAlert {
  const input = sns.commandCalls(PublishCommand)[0].args[0].input;
  return JSON.parse(input.MessageAttributes?.[ALERT_ATTRIBUTE]?.StringValue ?? '{}') as FindingsAlert;
}

describe('onScanEvent', () => {
  let deps: ScanDeps;

  beforeEach(() => {
    ecr.reset();
    ddb.reset();
    sns.reset();
    sqs.reset();
    deps = {
      ecr: new ECRClient({}),
      sns: new SNSClient({}),
      sqs: new SQSClient({}),
      topicArn: TOPIC,
      replicationQueueUrl: QUEUE,
      audit: new AuditStore(new DynamoDBClient({}), {
        tableName: 'audit',
        retentionDays: 400,
        now: () => NOW,
      }),
      config: testConfig(),
      now: () => NOW,
      log: recordingLog(),
    };
    ddb.on(PutItemCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(DeleteItemCommand).resolves({});
    ecr
      .on(BatchGetImageCommand)
      .resolves({ images: [{ imageManifest: MANIFEST, imageManifestMediaType: OCI }] });
    ecr.on(PutImageCommand).resolves({});
    ecr.on(BatchDeleteImageCommand).resolves({ failures: [] });
    ecr
      .on(DescribeImageScanFindingsCommand)
      .resolves({ imageScanFindings: { findings: [...BASIC_FINDINGS] } });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'q-1' });
  });

  it('passes a clean scan from its counts alone: audit, promotion tag, replication enqueue; no reads', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic-clean');

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: event.id,
      actions: ['scanned', 'verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
      repositoryName: 'payments/worker',
      imageTag: 'approved',
      imageDigest: event.digest,
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const body = parseReplicationMessage(
      sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody ?? '',
    );
    expect(body).toMatchObject({
      eventId: event.id,
      rule: 'payments-releases-dr',
      source: { account: '111122223333', region: 'eu-west-1' },
      repository: 'payments/worker',
      digest: event.digest,
      tags: ['v2', 'v2.0', 'v2.0.1'],
    });
    expect(body.destinations).toHaveLength(2);
  });

  it('fails a scan, quarantines release tags and sends one alert within 5 calls', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic');

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: event.id,
      actions: ['scanned', 'verdict', 'quarantined', 'notified'],
    });
    const calls = [...ddb.calls(), ...ecr.calls(), ...sns.calls(), ...sqs.calls()];
    expect(calls).toHaveLength(5);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: 'payments/api',
      imageId: { imageDigest: event.digest },
      maxResults: 1000,
    });
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(BatchDeleteImageCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageTag: 'v1' }, { imageTag: 'v1.4' }, { imageTag: 'v1.4.2' }],
    });
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe(
      '[Harbormaster] FAIL payments/api:v1.4.2 - 2 HIGH, 3 MEDIUM, 5 LOW (quarantined)',
    );
    expect(input.MessageAttributes?.team).toEqual({ DataType: 'String', StringValue: 'payments' });
    expect(input.MessageAttributes?.verdict).toEqual({ DataType: 'String', StringValue: 'fail' });
    expect(input.MessageAttributes?.highestSeverity).toEqual({ DataType: 'String', StringValue: 'HIGH' });
    const alert = publishedAlert();
    expect(alert.firstScan).toBe(true);
    expect(alert.quarantinedTags).toEqual(['v1', 'v1.4', 'v1.4.2']);
    expect(alert.topFindings.map((f) => f.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0002']);
    expect(alert.consoleUrl).toBe(
      `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/111122223333/payments/api/_/image/${event.digest}/scan-results?region=eu-west-1`,
    );
    // The alert's finding set is stored with the event's row for the next comparison (A4).
    const item = ddb.commandCalls(PutItemCommand)[0].args[0].input.Item;
    expect(item?.actions).toEqual({
      L: [{ S: 'scanned' }, { S: 'verdict' }, { S: 'quarantined' }, { S: 'notified' }],
    });
    expect(JSON.stringify(item?.followUps)).toContain(findingSetHash(BASIC_IDS));
  });

  it('does not alert again when a re-scan finds the same finding set (A4), but still quarantines', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic');
    ddb.on(QueryCommand).resolves({
      Items: [
        notifiedItem({
          repository: 'payments/api',
          digest: event.digest,
          eventId: 'earlier-scan',
          time: '2026-11-19T09:00:00.000Z',
          findingIds: BASIC_IDS,
          findingSetHash: findingSetHash(BASIC_IDS),
        }),
      ],
    });

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: event.id,
      actions: ['scanned', 'verdict', 'quarantined'],
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('alerts with the new and fixed CVEs when the set changed', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic');
    const before = [...BASIC_IDS.filter((id) => id !== 'CVE-2024-0002'), 'CVE-2023-9999'];
    ddb.on(QueryCommand).resolves({
      Items: [
        notifiedItem({
          repository: 'payments/api',
          digest: event.digest,
          eventId: 'earlier-scan',
          time: '2026-11-19T09:00:00.000Z',
          findingIds: before,
          findingSetHash: findingSetHash(before),
        }),
      ],
    });

    // Act
    await onScanEvent(event, deps);

    // Assess
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'audit',
      FilterExpression: 'contains(#actions, :action)',
      ExpressionAttributeValues: {
        ':pk': { S: `IMAGE#payments/api@${event.digest}` },
        ':action': { S: 'notified' },
      },
      ScanIndexForward: false,
    });
    const alert = publishedAlert();
    expect(alert.firstScan).toBe(false);
    expect(alert.newFindings).toEqual(['CVE-2024-0002']);
    expect(alert.fixedFindings).toEqual(['CVE-2023-9999']);
    const message = sns.commandCalls(PublishCommand)[0].args[0].input.Message ?? '';
    expect(message).toContain('New since the previous scan (1): CVE-2024-0002');
    expect(message).toContain('Fixed since the previous scan (1): CVE-2023-9999');
  });

  it('stops after one read when the last alert was this very event (duplicated delivery)', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic');
    ddb.on(QueryCommand).resolves({
      Items: [
        notifiedItem({
          repository: 'payments/api',
          digest: event.digest,
          eventId: event.id,
          time: '2026-11-20T09:16:45.000Z',
          findingIds: BASIC_IDS,
          findingSetHash: findingSetHash(BASIC_IDS),
        }),
      ],
    });

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({ status: 'duplicate', eventId: event.id });
    expect([...ddb.calls(), ...ecr.calls(), ...sns.calls(), ...sqs.calls()]).toHaveLength(1);
  });

  it('sends nothing and tags nothing when the conditional write says the event was already processed', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic-clean');
    ddb.on(PutItemCommand).rejects(conditionalCheckFailed());

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome.status).toBe('duplicate');
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 0);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('gives a quarantined image a keeper tag first when all its tags are release tags (ECR deletes untagged-by-delete images)', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic', (e) => {
      e.detail['image-tags'] = ['v1.4.2'];
    });

    // Act
    await onScanEvent(event, deps);

    // Assess
    const keeper = quarantineKeeperTag(event.digest);
    expect(keeper).toBe(`quarantined-${event.digest.slice(7, 19)}`);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
      imageTag: keeper,
      imageManifest: MANIFEST,
      imageDigest: event.digest,
    });
    expect(ecr).toHaveReceivedCommandWith(BatchDeleteImageCommand, { imageIds: [{ imageTag: 'v1.4.2' }] });
    const order = ecr.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('PutImageCommand')).toBeLessThan(order.indexOf('BatchDeleteImageCommand'));
  });

  it('withdraws the audit row and rethrows when the alert cannot be published', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic');
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException' }));

    // Act
    const error = await onScanEvent(event, deps).catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('KMSDisabledException');
    expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, {
      Key: {
        pk: { S: `IMAGE#payments/api@${event.digest}` },
        sk: { S: `2026-11-20T09:16:45.000Z#scanned#${event.id}` },
      },
    });
  });

  it('fails an enhanced scan from its counts and reads the findings for the alert', async () => {
    // Prepare
    const event = normalized<ScanEvent>('inspector2-scan');
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanFindings: {
        enhancedFindings: [
          {
            severity: 'HIGH',
            packageVulnerabilityDetails: {
              vulnerabilityId: 'CVE-2024-3094',
              vulnerablePackages: [{ name: 'xz-utils', version: '5.6.0', fixedInVersion: '5.6.1' }],
            },
          },
        ],
      },
    });

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: event.id,
      actions: ['scanned', 'verdict', 'quarantined', 'notified'],
    });
    expect(ecr).toHaveReceivedCommandWith(BatchDeleteImageCommand, {
      repositoryName: 'platform/base-images/node',
      imageIds: [{ imageTag: '22.11.0' }],
    });
    const alert = publishedAlert();
    expect(alert.scanner).toBe('enhanced');
    expect(alert.topFindings[0]).toEqual({
      id: 'CVE-2024-3094',
      severity: 'HIGH',
      packageName: 'xz-utils',
      installedVersion: '5.6.0',
      fixedVersion: '5.6.1',
    });
  });
});
