/** Environment variable names shared by the stacks (which set them) and the functions (which read them). */
export const ENV = {
  AUDIT_TABLE: 'AUDIT_TABLE_NAME',
  /** The image-state table (shared/state): one item per digest, the leases of events in progress. */
  STATE_TABLE: 'IMAGE_STATE_TABLE_NAME',
  /** Seconds an event holds an image's lease: the function timeout plus a margin. */
  LEASE_SECONDS: 'IMAGE_LEASE_SECONDS',
  /** The deployment's account: events of any other account are ignored. */
  ACCOUNT: 'HARBORMASTER_ACCOUNT_ID',
  FINDINGS_TOPIC: 'FINDINGS_TOPIC_ARN',
  REPLICATION_QUEUE: 'REPLICATION_QUEUE_URL',
  /** The ARN of the Slack webhook secret; the URL itself is read at runtime and never logged. */
  SLACK_SECRET: 'SLACK_WEBHOOK_SECRET_ARN',
} as const;
