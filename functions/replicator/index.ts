import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { AuditWriter } from '../../shared/audit/writer';
import { publishReplicationFailureAlert } from '../../shared/notify/replication-failure-alert';
import { copyImage, type CopyOptions, type CopyResult } from '../../shared/oci/copy';
import { ecrCredentialProvider } from '../../shared/oci/credentials';
import { createMetrics, recordMetric } from '../../shared/observability/metrics';
import { secretCredentialsReader } from '../../shared/replication/registry-credentials';
import type { DestinationOutcome } from '../../shared/replication/replicate';
import { replicationRecordHandler } from '../../shared/replication/replication-record';
import { ReplicationLedger } from '../../shared/replication/replication-ledger';
import { AWS_CLIENT_CONFIG } from '../../shared/runtime/aws-client-config';
import { bundledConfig } from '../../shared/runtime/bundled-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ENV } from '../../shared/runtime/env-names';
import { queueHandler } from '../../shared/runtime/queue-handler';
import { readImageState } from '../../shared/state/image-state-store';

/**
 * Replicator (G1): one SQS message = one scanned image and one gated rule. Thin: the work (the message checked
 * against the compiled-in config, the verdict re-read, the copies, audit and alerts) is in
 * shared/replication/replication-record.ts; this wires the clients and maps outcomes to metrics.
 */

/** Clients created once per container. ECR clients are made per region by the token provider (source and destinations). */
const clients = {
  dynamodb: new DynamoDBClient(AWS_CLIENT_CONFIG),
  sns: new SNSClient(AWS_CLIENT_CONFIG),
  secrets: new SecretsManagerClient(AWS_CLIENT_CONFIG),
};

/** Builds the handler; tests inject a fake copy engine (the default is the real one) and the verdict re-read's wait. */
export function createHandler(
  copy: (options: CopyOptions) => Promise<CopyResult> = copyImage,
  options: { readonly sleep?: (ms: number) => Promise<void> } = {},
) {
  const log = new Logger();
  return queueHandler(
    () => {
      const config = bundledConfig();
      const metrics = createMetrics();
      const account = process.env[ENV.ACCOUNT] || config.env.account;
      if (!account) throw new Error(`missing environment variable ${ENV.ACCOUNT} (the deployment's account)`);
      const teams = new Map(config.repositories.map((r) => [r.name, r.team]));
      const topicArn = requiredEnv(ENV.FINDINGS_TOPIC);
      const stateTable = requiredEnv(ENV.STATE_TABLE);
      const handle = replicationRecordHandler({
        config,
        deployment: { account, region: process.env.AWS_REGION || config.env.region },
        copy,
        // ECR tokens are cached per account and region for the life of the container.
        ecrCredentials: ecrCredentialProvider((region) => new ECRClient({ ...AWS_CLIENT_CONFIG, region })),
        readSecret: secretCredentialsReader(clients.secrets),
        audit: new AuditWriter(clients.dynamodb, {
          tableName: requiredEnv(ENV.AUDIT_TABLE),
          retentionDays: config.audit.retentionDays,
        }),
        state: { get: (key) => readImageState(clients.dynamodb, stateTable, key) },
        ledger: new ReplicationLedger(clients.dynamodb, stateTable),
        alert: (alert) => publishReplicationFailureAlert(clients.sns, topicArn, alert),
        teamOf: (repository) => teams.get(repository),
        log: {
          info: (message, extra) => log.info(message, extra ?? {}),
          error: (message, extra) => log.error(message, extra ?? {}),
        },
        onOutcome: (outcome) => emit(metrics, outcome),
        ...(options.sleep ? { sleep: options.sleep } : {}),
      });
      return { handle, flush: () => metrics.publishStoredMetrics() };
    },
    // One image at a time keeps memory bounded by the engine's chunk size x concurrency.
    { sequential: true },
  );
}

function emit(metrics: ReturnType<typeof createMetrics>, outcome: DestinationOutcome): void {
  if (outcome.result === 'succeeded') {
    recordMetric(metrics, 'ReplicationsSucceeded');
    recordMetric(metrics, 'ReplicationBytes', outcome.bytesCopied);
    recordMetric(metrics, 'ReplicationDuration', Math.round(outcome.seconds * 1000));
  } else {
    recordMetric(metrics, 'ReplicationsFailed');
  }
}

export const handler = createHandler();
