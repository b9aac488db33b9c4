/** Environment variable names shared by the stacks (which set them) and the functions (which read them). */
export const ENV = {
  AUDIT_TABLE: 'AUDIT_TABLE_NAME',
  FINDINGS_TOPIC: 'FINDINGS_TOPIC_ARN',
  REPLICATION_QUEUE: 'REPLICATION_QUEUE_URL',
  /** The ARN of the Slack webhook secret; the URL itself is read at runtime and never logged. */
  SLACK_SECRET: 'SLACK_WEBHOOK_SECRET_ARN',
} as const;
