import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { slackPayloadFromSns } from '../../shared/notify/slack-from-sns';
import { postToSlack } from '../../shared/notify/slack-poster';
import { slackWebhookReader } from '../../shared/notify/slack-webhook';
import { createMetrics, recordMetric } from '../../shared/observability/metrics';
import { AWS_CLIENT_CONFIG } from '../../shared/runtime/aws-client-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ENV } from '../../shared/runtime/env-names';

/**
 * Posts findings-topic notifications to Slack (a topic subscriber, so a Slack outage never blocks the scan
 * path). A failed post throws: Lambda retries the asynchronous invocation, then hands it to the
 * dead-letter queue. The webhook URL is a secret: it never appears in a log line or an error.
 */

const logger = new Logger();
// Created once per container; the only client this function needs, with the functions' timeouts.
const secrets = new SecretsManagerClient(AWS_CLIENT_CONFIG);

interface Runtime {
  readonly metrics: Metrics;
  readonly webhookUrl: () => Promise<string>;
}
let runtime: Runtime | undefined;

function init(): Runtime {
  return { metrics: createMetrics(), webhookUrl: slackWebhookReader(secrets, requiredEnv(ENV.SLACK_SECRET)) };
}

export const handler = async (event: SNSEvent): Promise<void> => {
  runtime ??= init();
  const { metrics, webhookUrl } = runtime;
  try {
    for (const record of event.Records) {
      const messageId = record.Sns.MessageId;
      try {
        const payload = slackPayloadFromSns(record.Sns);
        const { attempts } = await postToSlack(await webhookUrl(), payload);
        logger.info('alert posted to Slack', { messageId, attempts });
        recordMetric(metrics, 'EventsProcessed');
      } catch (error) {
        const err = error as Error;
        logger.error('Slack delivery failed; Lambda retries, then the alert goes to the dead-letter queue', {
          messageId,
          reason: `${err.name}: ${err.message}`,
        });
        recordMetric(metrics, 'EventsFailed');
        throw error;
      }
    }
  } finally {
    metrics.publishStoredMetrics();
  }
};
