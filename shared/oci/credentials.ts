import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { isEcrHost } from './reference';

/** A user name and password (or an ECR token) sent as HTTP basic auth or exchanged for a bearer token. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** Returns the credentials for a registry host, or undefined to go anonymous. */
export type CredentialProvider = (registryHost: string) => Promise<BasicCredentials | undefined>;

/** Thrown when credentials cannot be obtained (never carries the secret itself). */
export class CredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

// Refresh a token this long before ECR says it expires, so a long copy never starts with a dying token.
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

/**
 * Credentials for Amazon ECR hosts from the AWS credential chain: one GetAuthorizationToken call per account and
 * region, cached until shortly before the token expires (12 hours). Any non-ECR host gets undefined (anonymous).
 * `makeClient` lets callers (and tests) supply the ECR client of a region; by default one client per region is created.
 * `now` is the clock the expiry is judged by (injected so tests do not depend on today's date).
 */
export function ecrCredentialProvider(
  makeClient?: (region: string) => ECRClient,
  now: () => number = Date.now,
): CredentialProvider {
  const clients = new Map<string, ECRClient>();
  const cache = new Map<string, Promise<{ credentials: BasicCredentials; expiresAt: number }>>();
  const clientFor = (region: string): ECRClient => {
    let client = clients.get(region);
    if (!client) {
      client = makeClient ? makeClient(region) : new ECRClient({ region });
      clients.set(region, client);
    }
    return client;
  };
  return async (registryHost: string) => {
    const ecr = isEcrHost(registryHost);
    if (!ecr) return undefined;
    const key = `${ecr.accountId}/${ecr.region}`;
    const cached = cache.get(key);
    if (cached) {
      try {
        const entry = await cached;
        if (entry.expiresAt - EXPIRY_MARGIN_MS > now()) return entry.credentials;
      } catch {
        // A failed fetch is not cached: fall through and ask again.
      }
    }
    const pending = fetchEcrToken(clientFor(ecr.region), ecr.accountId, ecr.region, now);
    cache.set(key, pending);
    try {
      return (await pending).credentials;
    } catch (error) {
      cache.delete(key);
      throw error;
    }
  };
}

async function fetchEcrToken(
  client: ECRClient,
  accountId: string,
  region: string,
  now: () => number,
): Promise<{ credentials: BasicCredentials; expiresAt: number }> {
  const call = `ECR GetAuthorizationToken for account ${accountId} in ${region}`;
  let output;
  try {
    output = await client.send(new GetAuthorizationTokenCommand({ registryIds: [accountId] }));
  } catch (error) {
    const name = (error as Error).name ?? 'Error';
    throw new CredentialsError(`${call} failed: ${name}: ${(error as Error).message}`, { cause: error });
  }
  const data = output.authorizationData?.[0];
  if (!data?.authorizationToken) {
    throw new CredentialsError(`${call} returned no token`);
  }
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw new CredentialsError(`${call} returned a malformed token`);
  }
  return {
    credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
    expiresAt: data.expiresAt ? data.expiresAt.getTime() : now() + 12 * 60 * 60 * 1000,
  };
}

/** Parses `USER:PASS` (the password may itself contain colons). */
export function parseBasicCredentials(text: string, what = 'credentials'): BasicCredentials {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new CredentialsError(`${what} must be USER:PASS`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Normalizes the `BasicCredentials | CredentialProvider` option into a provider. */
export function toCredentialProvider(
  credentials: CredentialProvider | BasicCredentials | undefined,
): CredentialProvider {
  if (credentials === undefined) return async () => undefined;
  if (typeof credentials === 'function') return credentials;
  return async () => credentials;
}
