import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import { AUDIT_TABLE_KEYS } from '../../shared/audit/timeline-store';
import { STATE_TABLE_KEYS } from '../../shared/state/image-state-store';

// dynalite ships no types: it is a function returning a node http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options?: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => import('node:http').Server;

export interface DynaliteHandle {
  /** A client pointed at the in-process dynalite, with dummy credentials. */
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite in this process on a random loopback port (in-memory store, tables ACTIVE at once). */
export async function startDynalite(): Promise<DynaliteHandle> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    client,
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** Creates the audit table exactly as AUDIT_TABLE_KEYS describes it (the stack builds the same keys). */
export async function createAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const k = AUDIT_TABLE_KEYS;
  const gsi = k.repositoryIndex;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: k.partitionKey.name, AttributeType: k.partitionKey.type },
        { AttributeName: k.sortKey.name, AttributeType: k.sortKey.type },
        { AttributeName: gsi.partitionKey.name, AttributeType: gsi.partitionKey.type },
        { AttributeName: gsi.sortKey.name, AttributeType: gsi.sortKey.type },
      ],
      KeySchema: [
        { AttributeName: k.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: k.sortKey.name, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: gsi.indexName,
          KeySchema: [
            { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: gsi.projection },
        },
      ],
    }),
  );
  await waitUntilTableExists(
    { client, maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 },
    { TableName: tableName },
  );
}

/** Creates the image-state table exactly as STATE_TABLE_KEYS describes it (the stack builds the same key). */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const k = STATE_TABLE_KEYS.partitionKey;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: k.name, AttributeType: k.type }],
      KeySchema: [{ AttributeName: k.name, KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists(
    { client, maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 },
    { TableName: tableName },
  );
}
