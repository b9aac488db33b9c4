import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { testConfig } from '../automation/support';

/**
 * Environment the stacks give the functions. Set before a handler module is loaded: handlers read their
 * config and environment once per container. POWERTOOLS_DEV makes the logger write through the global
 * console, where the tests read the log lines.
 */
export function setFunctionEnv(service: string): void {
  process.env.HARBORMASTER_CONFIG_JSON = JSON.stringify(testConfig());
  process.env.AUDIT_TABLE_NAME = 'audit';
  process.env.FINDINGS_TOPIC_ARN = 'arn:aws:sns:eu-west-1:111122223333:findings';
  process.env.REPLICATION_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/replication';
  process.env.SLACK_WEBHOOK_SECRET_ARN =
    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:harbormaster/slack-webhook';
  process.env.POWERTOOLS_SERVICE_NAME = service;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_DEV = 'true';
  process.env.AWS_REGION = 'eu-west-1';
}

export function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1763630102000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1763630102001',
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:events',
    awsRegion: 'eu-west-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export const CONTEXT = {
  functionName: 'test',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** Powertools (POWERTOOLS_DEV) prints each log line as JSON through console; collect them parsed. */
export function captureLogs(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const seen: Record<string, unknown>[] = [];
  const spies = (['info', 'warn', 'error', 'log', 'debug'] as const).map((method) =>
    jest.spyOn(console, method as 'log').mockImplementation((text?: unknown) => {
      try {
        seen.push(JSON.parse(String(text)) as Record<string, unknown>);
      } catch {
        seen.push({ message: String(text) });
      }
    }),
  );
  return { lines: () => seen, restore: () => spies.forEach((s) => s.mockRestore()) };
}
