import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AuditWriter } from '../../shared/audit/writer';
import { copyImage, type CopyOptions, type CopyResult } from '../../shared/oci/copy';
import { ecrCredentialProvider } from '../../shared/oci/credentials';
import { createMetrics, recordMetric } from '../../shared/observability/metrics';
import { publishReplicationFailureAlert } from '../../shared/notify/replication-failure-alert';
import { parseReplicationMessage } from '../../shared/replication/message-parser';
import { secretCredentialsReader } from '../../shared/replication/registry-credentials';
import {
  replicate,
  ReplicationFailedError,
  type DestinationOutcome,
  type ReplicationDeps,
} from '../../shared/replication/replicate';
import { bundledConfig } from '../../shared/runtime/bundled-config';
import { ENV } from '../../shared/runtime/env-names';
import { requiredEnv } from '../../shared/runtime/env';
import { processSqsBatch } from '../../shared/runtime/sqs-batch';

/**
 * Replicator (G1): one SQS message = one scanned image to copy to one gated rule's destinations.
 * Thin: parse the message, call shared/replication, map the outcome to metrics and a partial batch response.
 * A record that fails (bad message, a destination that failed) is reported as a batch item failure and
 * retried until the queue dead-letters it; destinations already copied are cheap on the retry.
 */

// Stop the copy this long before the Lambda timeout, so a slow copy ends as a recorded, alerted failure
// (and a retry) rather than a killed invocation that leaves no audit row.
const ABORT_MARGIN_MS = 30_000;

const logger = new Logger();

/** Clients created once per container. ECR clients are made per region by the token provider (source and destinations). */
const clients = {
  dynamodb: new DynamoDBClient({}),
  sns: new SNSClient({}),
  secrets: new SecretsManagerClient({}),
};

interface Runtime {
  readonly deps: Omit<ReplicationDeps, 'onOutcome'>;
  readonly metrics: Metrics;
}

/** Config and environment are read once per handler, on the first record, and fail that record with a clear message. */
function init(copy: (options: CopyOptions) => Promise<CopyResult>): Runtime {
  const config = bundledConfig();
  const topicArn = requiredEnv(ENV.FINDINGS_TOPIC);
  const audit = new AuditWriter(clients.dynamodb, {
    tableName: requiredEnv(ENV.AUDIT_TABLE),
    retentionDays: config.audit.retentionDays,
  });
  const teams = new Map(config.repositories.map((r) => [r.name, r.team]));
  return {
    metrics: createMetrics(),
    deps: {
      copy,
      // ECR tokens are cached per account and region for the life of the container.
      ecrCredentials: ecrCredentialProvider((region) => new ECRClient({ region })),
      readSecret: secretCredentialsReader(clients.secrets),
      audit,
      alert: (alert) => publishReplicationFailureAlert(clients.sns, topicArn, alert),
      teamOf: (repository) => teams.get(repository),
    },
  };
}

function emit(metrics: Metrics, outcome: DestinationOutcome): void {
  if (outcome.result === 'succeeded') {
    recordMetric(metrics, 'ReplicationsSucceeded');
    recordMetric(metrics, 'ReplicationBytes', outcome.bytesCopied);
    recordMetric(metrics, 'ReplicationDuration', Math.round(outcome.seconds * 1000));
  } else {
    recordMetric(metrics, 'ReplicationsFailed');
  }
}

/** Builds the handler; tests inject a fake copy engine (the default is the real one). */
export function createHandler(copy: (options: CopyOptions) => Promise<CopyResult> = copyImage) {
  let runtime: Runtime | undefined;
  const recordHandler = async (record: SQSRecord, context?: Context): Promise<void> => {
    try {
      runtime ??= init(copy);
    } catch (error) {
      logger.error('replicator misconfigured', {
        messageId: record.messageId,
        reason: (error as Error).message,
      });
      throw error;
    }
    const { deps, metrics } = runtime;
    let message;
    try {
      message = parseReplicationMessage(record.body);
    } catch (error) {
      logger.error('replication message rejected', {
        messageId: record.messageId,
        reason: (error as Error).message,
      });
      throw error;
    }
    const log = {
      messageId: record.messageId,
      eventId: message.eventId,
      rule: message.rule,
      repository: message.repository,
      digest: message.digest,
    };
    const remaining = context?.getRemainingTimeInMillis?.();
    const signal =
      remaining !== undefined ? AbortSignal.timeout(Math.max(1_000, remaining - ABORT_MARGIN_MS)) : undefined;
    // SentTimestamp is the same on every delivery of this message: the audit rows' time and so their idempotency key.
    const sent = Number(record.attributes?.SentTimestamp);
    const time = new Date(Number.isFinite(sent) && sent > 0 ? sent : Date.now()).toISOString();
    try {
      const report = await replicate(
        message,
        {
          ...deps,
          ...(signal ? { copyOptions: { signal } } : {}),
          onOutcome: (outcome) => {
            emit(metrics, outcome);
            logger.info('destination done', { ...log, ...outcome });
          },
        },
        { time },
      );
      logger.info('replicated', { ...log, destinations: report.outcomes.length });
    } catch (error) {
      const reason =
        error instanceof ReplicationFailedError
          ? error.message
          : `${(error as Error).name}: ${(error as Error).message}`;
      logger.error('replication failed; the message will be retried, then dead-lettered', { ...log, reason });
      throw error;
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    try {
      // One image at a time keeps memory bounded by the engine's chunk size x concurrency.
      return await processSqsBatch(event, recordHandler, context, { sequential: true });
    } finally {
      runtime?.metrics.publishStoredMetrics();
    }
  };
}

export const handler = createHandler();
