/**
 * AWS calls per event for the replicator (bench/functions.ts prints them with the other rows): the real
 * handler (functions/replicator createHandler) with the example config compiled in, its audit and image-state
 * tables in dynalite, ECR tokens, Secrets Manager and SNS mocked, and a copy engine that records the copies and
 * asks for credentials as the real one does (so its GetAuthorizationToken and GetSecretValue calls are counted).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { HarbormasterConfig } from '../shared/config/schema';
import type { CopyOptions, CopyResult } from '../shared/oci/copy';
import { toCredentialProvider } from '../shared/oci/credentials';
import { buildReplicationMessage, serializeReplicationMessage } from '../shared/replication/build-message';
import { ENV } from '../shared/runtime/env-names';
import type { StoredVerdict } from '../shared/state/image-state';
import { ImageStateStore } from '../shared/state/image-state-store';
import { createAuditTable, createStateTable, startDynalite } from '../test/support/dynalite';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const RULE = 'payments-releases-dr';
const EVENT_ID = 'evt-replicate-1';
const DIGEST = `sha256:${'d'.repeat(64)}`;
/** The queue's SentTimestamp: the audit rows' time (no wall clock in the rows). */
const SENT = '1795395600000';
/** Lambda's context with the function's 15-minute timeout left. */
const CONTEXT = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

/** One replicator row, in the shape bench/functions.ts prints. */
export interface ReplicatorCallResult {
  readonly name: string;
  readonly calls: number;
  /** Copies made, SNS publishes and audit rows added by the counted delivery. */
  readonly writes: number;
  readonly copies: number;
  readonly byOperation: Record<string, number>;
  readonly outcome: string;
  readonly ok: boolean;
}

interface ReplicatorScenario {
  readonly name: string;
  /** The image's recorded verdict before the deliveries (none: the scan path has not committed it). */
  readonly verdict?: 'pass' | 'fail';
  /** Message bodies delivered in order (the same SQS message id); the counted delivery is the last one. */
  readonly bodies: readonly string[];
  /** The counted delivery's expected result: the path measured is the path named. */
  readonly expect: 'done' | 'item failure';
  /** A rejected message must make no AWS call at all (nothing read before the message is checked). */
  readonly noCalls?: boolean;
  /** A duplicate must change nothing: no copy, no audit row, no alert. */
  readonly noWrites?: boolean;
}

function verdict(result: 'pass' | 'fail'): StoredVerdict {
  return {
    result,
    reason: result === 'pass' ? 'no finding above MEDIUM' : '1 CRITICAL finding above MEDIUM',
    ...(result === 'fail' ? { highestSeverity: 'CRITICAL' as const } : {}),
    counts: {
      CRITICAL: result === 'fail' ? 1 : 0,
      HIGH: 0,
      MEDIUM: 0,
      LOW: 0,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
    },
    findingSetHash: 'h',
    topFindings: [],
    scanner: 'basic',
    eventId: EVENT_ID,
    time: '2026-11-23T00:59:00.000Z',
  };
}

/** The message the scan path sends for the example config's gated rule (its own builder). */
function messageBody(config: HarbormasterConfig): string {
  const rule = config.gatedReplication.find((r) => r.name === RULE);
  if (!rule) throw new Error(`bench: the example config has no gated replication rule ${RULE}`);
  return serializeReplicationMessage(
    buildReplicationMessage({
      eventId: EVENT_ID,
      rule: RULE,
      source: { account: ACCOUNT, region: REGION },
      repository: 'payments/api',
      digest: DIGEST,
      tags: ['v1.4.2'],
      destinations: rule.destinations,
    }),
  );
}

function record(body: string): SQSRecord {
  return {
    messageId: 'm-1',
    receiptHandle: 'rh-m-1',
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: SENT,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: SENT,
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:replication`,
    awsRegion: REGION,
  };
}

/** The function's environment, as the stack sets it; returns a restore of what was there before. */
function setEnvironment(values: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

export async function measureReplicatorCalls(config: HarbormasterConfig): Promise<ReplicatorCallResult[]> {
  const body = messageBody(config);
  const forged = JSON.stringify({
    ...JSON.parse(body),
    destinations: [
      {
        type: 'registry',
        host: 'attacker.example:5000',
        repositoryPrefix: '',
        credentialsSecret: 'harbormaster/ghcr',
      },
    ],
  });
  const scenarios: ReplicatorScenario[] = [
    {
      name: 'replicator: forged message (destination not in the rule), rejected',
      verdict: 'pass',
      bodies: [forged],
      expect: 'item failure',
      noCalls: true,
    },
    { name: 'replicator: first copy to 2 destinations', verdict: 'pass', bodies: [body], expect: 'done' },
    {
      name: 'replicator: duplicated delivery',
      verdict: 'pass',
      bodies: [body, body],
      expect: 'done',
      noWrites: true,
    },
    {
      name: 'replicator: failing verdict (skipped, audit row)',
      verdict: 'fail',
      bodies: [body],
      expect: 'done',
    },
    { name: 'replicator: verdict not recorded yet (retried)', bodies: [body], expect: 'item failure' },
  ];

  const db = await startDynalite();
  // The handler's DynamoDB client is its own (created when the module loads, pointed at dynalite by the
  // endpoint variable): count every DynamoDB client's commands; the bench's own reads are cut off below.
  const ops: string[] = [];
  const realSend = DynamoDBClient.prototype.send;
  DynamoDBClient.prototype.send = function (this: DynamoDBClient, ...args: unknown[]) {
    ops.push((args[0] as object).constructor.name.replace(/Command$/, ''));
    return (realSend as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof realSend;
  const restoreEnv = setEnvironment({
    HARBORMASTER_CONFIG_JSON: JSON.stringify(config),
    [ENV.ACCOUNT]: ACCOUNT,
    [ENV.FINDINGS_TOPIC]: `arn:aws:sns:${REGION}:${ACCOUNT}:findings`,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    // Dummy credentials for dynalite; every other client is mocked.
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_SERVICE_NAME: 'replicator',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  // Metrics are EMF lines on stdout (no AWS call): not flushed, so they (and the "no metrics" warning of a
  // record that emits none) stay out of the table.
  const realFlush = Metrics.prototype.publishStoredMetrics;
  Metrics.prototype.publishStoredMetrics = function (this: Metrics) {
    return this;
  } as typeof realFlush;
  const ecr = mockClient(ECRClient);
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  const mocks = [ecr, sns, secrets];
  const results: ReplicatorCallResult[] = [];
  try {
    // Loaded once the environment is set, as Lambda loads it; each scenario is a new container (createHandler).
    const { createHandler } = await import('../functions/replicator');
    let n = 0;
    for (const scenario of scenarios) {
      n += 1;
      const auditTable = `bench-replicator-audit-${n}`;
      const stateTable = `bench-replicator-state-${n}`;
      await createAuditTable(db.client, auditTable);
      await createStateTable(db.client, stateTable);
      process.env[ENV.AUDIT_TABLE] = auditTable;
      process.env[ENV.STATE_TABLE] = stateTable;
      for (const m of mocks) m.reset();
      ecr.on(GetAuthorizationTokenCommand).resolves({
        authorizationData: [
          {
            authorizationToken: Buffer.from('AWS:ecr-token').toString('base64'),
            expiresAt: new Date(Date.UTC(2100, 0, 1)),
          },
        ],
      });
      secrets
        .on(GetSecretValueCommand)
        .resolves({ SecretString: JSON.stringify({ username: 'bot', password: 'bench-password' }) });
      sns.on(PublishCommand).resolves({ MessageId: 'm' });

      if (scenario.verdict) {
        // As the scan path records it: claim the image for the event, commit the verdict.
        const store = new ImageStateStore(db.client, stateTable);
        const key = { repository: 'payments/api', digest: DIGEST };
        const claim = await store.claim(key, EVENT_ID, { now: 1, leaseMs: 60_000 });
        if (claim.status !== 'claimed')
          throw new Error(`bench: could not record the verdict (${claim.status})`);
        await store.commit(claim.lease, claim.state, { ...key, verdict: verdict(scenario.verdict) });
      }

      let copies = 0;
      const copy = async (options: CopyOptions): Promise<CopyResult> => {
        await toCredentialProvider(options.sourceCredentials)(options.source.registry);
        await toCredentialProvider(options.destinationCredentials)(options.destination.registry);
        copies += 1;
        return { digest: DIGEST, bytesCopied: 52_428_800, blobsCopied: 4, blobsSkipped: 1, seconds: 3 };
      };
      // The verdict re-read's waits (15 s in all) are skipped: they add calls, not time, to the figures.
      const handler = createHandler(copy, { sleep: async () => undefined });

      const auditRows = async (): Promise<number> => {
        const out = await db.client.send(new ScanCommand({ TableName: auditTable, Select: 'COUNT' }));
        return out.Count ?? 0;
      };
      let failures = 0;
      let rowsBefore = 0;
      for (const [i, text] of scenario.bodies.entries()) {
        if (i === scenario.bodies.length - 1) {
          rowsBefore = await auditRows();
          ops.length = 0;
          copies = 0;
          for (const m of mocks) m.resetHistory();
        }
        failures = (await handler({ Records: [record(text)] }, CONTEXT)).batchItemFailures.length;
      }
      const counted = ops.length;
      const rowsAdded = (await auditRows()) - rowsBefore;
      ops.length = counted;
      const all = [
        ...ops,
        ...mocks.flatMap((m) =>
          m.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, '')),
        ),
      ];
      const byOperation: Record<string, number> = {};
      for (const op of all) byOperation[op] = (byOperation[op] ?? 0) + 1;
      const writes = copies + all.filter((op) => op === 'Publish').length + rowsAdded;
      const outcome = failures > 0 ? 'item failure' : 'done';
      results.push({
        name: scenario.name,
        calls: all.length,
        writes,
        copies,
        byOperation,
        outcome,
        ok:
          outcome === scenario.expect &&
          (!scenario.noCalls || all.length === 0) &&
          (!scenario.noWrites || writes === 0),
      });
    }
  } finally {
    for (const m of mocks) m.restore();
    DynamoDBClient.prototype.send = realSend;
    Metrics.prototype.publishStoredMetrics = realFlush;
    restoreEnv();
    await db.close();
  }
  return results;
}
