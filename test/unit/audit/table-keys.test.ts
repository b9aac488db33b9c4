import { AUDIT_TABLE_KEYS, AuditWriter } from '../../../shared/audit/writer';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';

describe('AuditWriter attribute names', () => {
  it('writes the key attributes AUDIT_TABLE_KEYS declares (the table the stack creates)', async () => {
    // Prepare: a client that records the command it is sent
    const sent: unknown[] = [];
    const client = { send: async (command: unknown) => void sent.push(command) } as unknown as DynamoDBClient;
    const writer = new AuditWriter(client, { tableName: 'audit', retentionDays: 1 });

    // Act
    await writer.record({
      repository: 'payments/api',
      digest: `sha256:${'a'.repeat(64)}`,
      action: 'pushed',
      time: '2026-11-23T01:00:00Z',
      eventId: 'evt-1',
    });

    // Assess
    const put = sent[0] as PutItemCommand;
    expect(put).toBeInstanceOf(PutItemCommand);
    const keys = Object.keys(put.input.Item ?? {});
    expect(keys).toEqual(
      expect.arrayContaining([
        AUDIT_TABLE_KEYS.partitionKey.name,
        AUDIT_TABLE_KEYS.sortKey.name,
        AUDIT_TABLE_KEYS.repositoryIndex.partitionKey.name,
        AUDIT_TABLE_KEYS.repositoryIndex.sortKey.name,
        AUDIT_TABLE_KEYS.timeToLiveAttribute,
      ]),
    );
    expect(put.input.ExpressionAttributeNames).toEqual({ '#pk': AUDIT_TABLE_KEYS.partitionKey.name });
  });
});
