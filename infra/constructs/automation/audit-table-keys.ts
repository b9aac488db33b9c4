/**
 * The audit table's key schema, as agreed with the audit store (shared/audit/store.ts).
 * TODO(audit store): re-export AUDIT_TABLE_KEYS from shared/audit/store.ts once it lands, so the
 * table and the code that reads and writes it cannot drift apart.
 */
export const AUDIT_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  byRepository: { indexName: 'byRepository', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ttlAttribute: 'expiresAt',
} as const;
