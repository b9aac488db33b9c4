import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ReplicationDestination } from '../config/schema';
import { CredentialsError, type BasicCredentials, type CredentialProvider } from '../oci/credentials';
import { cleanText } from '../redact/redact';

/** Returns the {username, password} stored in a Secrets Manager secret. */
export type SecretCredentialsReader = (secretName: string) => Promise<BasicCredentials>;

/**
 * Reads external registry credentials from Secrets Manager: a JSON secret `{"username": ..., "password": ...}`.
 * Each secret is fetched once per reader (one Lambda container, one CLI run); a failed fetch is not cached.
 * Errors name the secret and what was wrong, never its value.
 */
export function secretCredentialsReader(client: SecretsManagerClient): SecretCredentialsReader {
  const cache = new Map<string, Promise<BasicCredentials>>();
  return (secretName) => {
    let pending = cache.get(secretName);
    if (!pending) {
      pending = fetchSecretCredentials(client, secretName);
      cache.set(secretName, pending);
      pending.catch(() => cache.delete(secretName));
    }
    return pending;
  };
}

async function fetchSecretCredentials(
  client: SecretsManagerClient,
  secretName: string,
): Promise<BasicCredentials> {
  let text: string | undefined;
  try {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
    text = output.SecretString;
  } catch (error) {
    // The SDK's text is outside text: cleaned (tokens, one line, cut) before it reaches a log or an alert.
    // No cause: it would carry the uncleaned message along.
    throw new CredentialsError(
      `reading registry credentials from secret ${secretName} failed: ${cleanText(`${(error as Error).name}: ${(error as Error).message}`)}`,
    );
  }
  return parseSecretCredentials(secretName, text);
}

/** Validates a secret's text as {"username","password"}; the message names the secret and field, never the value. */
export function parseSecretCredentials(secretName: string, text: string | undefined): BasicCredentials {
  const expected = 'expected a JSON SecretString {"username": "...", "password": "..."}';
  if (text === undefined)
    throw new CredentialsError(`secret ${secretName}: ${expected}, got no SecretString`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // No cause: the parser's message quotes the secret's text.
    throw new CredentialsError(`secret ${secretName}: ${expected}, got text that is not JSON`);
  }
  const record = (value ?? {}) as Record<string, unknown>;
  for (const field of ['username', 'password'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') {
      throw new CredentialsError(`secret ${secretName}: ${expected}, field "${field}" is missing or empty`);
    }
  }
  return { username: record.username as string, password: record.password as string };
}

/**
 * The credentials a copy uses for one destination: ECR destinations use the ECR token provider (the function's
 * role); external registries use their secret, or go anonymous without one.
 */
export function destinationCredentials(
  destination: ReplicationDestination,
  ecr: CredentialProvider,
  readSecret: SecretCredentialsReader,
): CredentialProvider | undefined {
  if (destination.type === 'ecr') return ecr;
  const secret = destination.credentialsSecret;
  if (secret === undefined) return undefined;
  return () => readSecret(secret);
}
