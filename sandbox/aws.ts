import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Test credentials: moto accepts any; nothing the sandbox does can reach a real account. */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox-secret' } as const;

/** SDK clients for one region of the emulator, created once and reused. */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();
  constructor(readonly endpoint: string) {}

  private client<T>(kind: string, region: string, make: (config: object) => T): T {
    const key = `${kind}/${region}`;
    let client = this.cache.get(key) as T | undefined;
    if (!client) {
      client = make({ region, endpoint: this.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 5 });
      this.cache.set(key, client);
    }
    return client;
  }

  sqs(region: string): SQSClient {
    return this.client('sqs', region, (c) => new SQSClient(c));
  }
  sns(region: string): SNSClient {
    return this.client('sns', region, (c) => new SNSClient(c));
  }
  dynamodb(region: string): DynamoDBClient {
    return this.client('dynamodb', region, (c) => new DynamoDBClient(c));
  }
  ecr(region: string): ECRClient {
    return this.client('ecr', region, (c) => new ECRClient(c));
  }
  secrets(region: string): SecretsManagerClient {
    return this.client('secrets', region, (c) => new SecretsManagerClient(c));
  }

  /**
   * A JSON-1.1 call for the services whose SDK clients are not dependencies of this project (EventBridge).
   * moto reads the region and service from the credential scope and does not check the signature.
   */
  async json<T>(service: string, region: string, target: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.endpoint}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': target,
        Authorization: `AWS4-HMAC-SHA256 Credential=${SANDBOX_CREDENTIALS.accessKeyId}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=sandbox`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${target} in ${region}: HTTP ${response.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  destroy(): void {
    for (const client of this.cache.values()) (client as { destroy(): void }).destroy();
  }
}
