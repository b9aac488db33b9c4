import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { BasicCredentials, CredentialProvider } from './credentials';
import { CopyError } from './errors';
import {
  discardBody,
  openRequest,
  readBody,
  sendRequest,
  statusError,
  type OpenedRequest,
  type Transport,
} from './http';
import { isEcrHost } from './reference';

type AuthState =
  | { kind: 'unknown' }
  | { kind: 'anonymous' }
  | { kind: 'basic' }
  | { kind: 'bearer'; realm: string; service?: string };

export interface RegistryClientOptions {
  /** Registry host (with port) the API answers on. */
  host: string;
  repository: string;
  /** Repository actions this client needs: `pull`, or `pull` and `push`. */
  actions: ('pull' | 'push')[];
  /** More token scopes, e.g. `repository:other:pull` for a cross-repository mount. */
  extraScopes?: string[];
  credentials: CredentialProvider;
  transport: Transport;
  signal?: AbortSignal;
}

/** A challenge from WWW-Authenticate: the scheme and its parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let param: RegExpExecArray | null;
  while ((param = paramPattern.exec(match[2])) !== null) {
    params[param[1].toLowerCase()] = (param[2] ?? param[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1].toLowerCase(), params };
}

const MAX_REDIRECTS = 5;

/**
 * Talks to one repository of one registry: builds URLs, authenticates (anonymous, basic, or the bearer-token
 * challenge flow with the token cached until it expires) and follows redirects for blob downloads.
 */
export class RegistryClient {
  readonly host: string;
  readonly repository: string;
  private readonly scopes: string[];
  private readonly credentialsProvider: CredentialProvider;
  private readonly transport: Transport;
  private readonly signal?: AbortSignal;
  private state: AuthState;
  private token?: { value: string; expiresAt: number; pending?: Promise<string> };
  private credentials?: Promise<BasicCredentials | undefined>;

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.repository = options.repository;
    this.scopes = [
      `repository:${options.repository}:${options.actions.join(',')}`,
      ...(options.extraScopes ?? []),
    ];
    this.credentialsProvider = options.credentials;
    this.transport = options.transport;
    this.signal = options.signal;
    // ECR always asks for basic auth; skip the anonymous round trip.
    this.state = isEcrHost(options.host) ? { kind: 'basic' } : { kind: 'unknown' };
  }

  /** `scheme://host/v2/<repository>/<path>`. */
  url(path: string): URL {
    const scheme = this.transport.plainHttp(this.host) ? 'http' : 'https';
    return new URL(`${scheme}://${this.host}/v2/${this.repository}/${path}`);
  }

  /** Resolves a Location header (absolute or relative) against the URL it answered. */
  resolve(location: string | undefined, base: URL, what: string): URL {
    if (!location) throw new CopyError('registry', `${this.host} answered ${what} without a Location header`);
    return new URL(location, base);
  }

  /**
   * Sends a request with an optional in-memory body, answering an authentication challenge once. 401/403 after
   * that become CopyError 'auth'. With `followRedirects`, 3xx answers are followed (without credentials when the
   * redirect leaves the registry's host, as for pre-signed storage URLs).
   */
  async request(
    method: string,
    url: URL,
    options: { headers?: OutgoingHttpHeaders; body?: Buffer; followRedirects?: boolean } = {},
  ): Promise<IncomingMessage> {
    let target = url;
    for (let hop = 0; ; hop++) {
      const sameHost = target.host === this.host;
      let response = await this.sendOnce(method, target, options, sameHost);
      if (response.statusCode === 401 && sameHost) {
        const challenged = await this.answerChallenge(response);
        if (challenged) response = await this.sendOnce(method, target, options, true);
      }
      await this.throwIfDenied(response, method, target);
      const status = response.statusCode ?? 0;
      if (
        options.followRedirects &&
        status >= 300 &&
        status < 400 &&
        response.headers.location &&
        hop < MAX_REDIRECTS
      ) {
        await discardBody(response);
        target = new URL(response.headers.location, target);
        continue;
      }
      return response;
    }
  }

  /**
   * Opens a request whose body the caller streams. Authentication must already be settled by an earlier request
   * (the copy always reads a manifest first); a 401 here means the token expired and is handled by the caller.
   */
  async open(method: string, url: URL, headers: OutgoingHttpHeaders): Promise<OpenedRequest> {
    const authorization = await this.authorization();
    return openRequest(
      this.transport,
      method,
      url,
      { ...headers, ...(authorization ? { authorization } : {}) },
      this.signal,
    );
  }

  /** Forgets a token the registry no longer accepts (a bearer token, or an ECR token used as basic auth). */
  invalidateToken(): void {
    this.token = undefined;
    this.credentials = undefined;
  }

  /** Throws CopyError 'auth' for 401/403 (reading the registry's explanation). */
  async throwIfDenied(response: IncomingMessage, method: string, url: URL): Promise<void> {
    const status = response.statusCode ?? 0;
    if (status !== 401 && status !== 403) return;
    const error = await statusError(response, `${method} ${url.host}${url.pathname}`);
    const verb = status === 401 ? 'authentication failed' : 'access denied';
    const hint = (await this.getCredentials()) ? 'check the credentials' : 'no credentials were given';
    throw new CopyError(
      'auth',
      `${verb} at ${this.host} for ${this.repository} (${error.message}); ${hint}`,
      {
        status,
        cause: error,
      },
    );
  }

  private async sendOnce(
    method: string,
    url: URL,
    options: { headers?: OutgoingHttpHeaders; body?: Buffer },
    withAuth: boolean,
  ): Promise<IncomingMessage> {
    const authorization = withAuth ? await this.authorization() : undefined;
    const headers = { ...options.headers, ...(authorization ? { authorization } : {}) };
    return sendRequest(this.transport, method, url, headers, options.body, this.signal);
  }

  private getCredentials(): Promise<BasicCredentials | undefined> {
    if (!this.credentials) {
      this.credentials = this.credentialsProvider(this.host).catch((error: unknown) => {
        this.credentials = undefined;
        throw new CopyError(
          'auth',
          `could not get credentials for ${this.host}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      });
    }
    return this.credentials;
  }

  private async authorization(): Promise<string | undefined> {
    switch (this.state.kind) {
      case 'unknown':
      case 'anonymous':
        return undefined;
      case 'basic':
        return basicAuthorization(await this.getCredentials());
      case 'bearer':
        return `Bearer ${await this.bearerToken(this.state)}`;
    }
  }

  /** Reads a 401's challenge and switches to that scheme; false when there is nothing new to try. */
  private async answerChallenge(response: IncomingMessage): Promise<boolean> {
    const header = response.headers['www-authenticate'];
    const challenge = parseChallenge(Array.isArray(header) ? header[0] : (header ?? ''));
    if (!challenge) return false;
    if (challenge.scheme === 'bearer' && challenge.params.realm) {
      const fresh = this.state.kind !== 'bearer' || this.token !== undefined;
      this.state = { kind: 'bearer', realm: challenge.params.realm, service: challenge.params.service };
      this.token = undefined;
      await discardBody(response);
      return fresh;
    }
    if (challenge.scheme === 'basic') {
      if (this.state.kind === 'basic') return false;
      this.state = { kind: 'basic' };
      if (!(await this.getCredentials())) return false;
      await discardBody(response);
      return true;
    }
    return false;
  }

  private async bearerToken(state: { realm: string; service?: string }): Promise<string> {
    const cached = this.token;
    if (cached?.pending) return cached.pending;
    if (cached && cached.expiresAt > Date.now()) return cached.value;
    const pending = this.fetchToken(state);
    this.token = { value: '', expiresAt: 0, pending };
    try {
      const value = await pending;
      return value;
    } catch (error) {
      this.token = undefined;
      throw error;
    }
  }

  private async fetchToken(state: { realm: string; service?: string }): Promise<string> {
    const url = new URL(state.realm);
    if (state.service) url.searchParams.set('service', state.service);
    for (const scope of this.scopes) url.searchParams.append('scope', scope);
    const authorization = basicAuthorization(await this.getCredentials());
    const headers: OutgoingHttpHeaders = authorization ? { authorization } : {};
    const response = await sendRequest(this.transport, 'GET', url, headers, undefined, this.signal);
    const status = response.statusCode ?? 0;
    if (status === 401 || status === 403) {
      const error = await statusError(response, `token service ${url.host}`);
      throw new CopyError(
        'auth',
        `authentication failed at ${this.host}: the token service refused the credentials (${error.message})`,
        {
          status,
          cause: error,
        },
      );
    }
    if (status !== 200) throw await statusError(response, `token service ${url.host}`);
    const body = JSON.parse((await readBody(response, 1024 * 1024)).toString('utf8')) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const value = body.token ?? body.access_token;
    if (!value) throw new CopyError('auth', `the token service of ${this.host} returned no token`);
    // Tokens default to 60 s; renew 10 s early so a request never carries an expiring one.
    const lifetime = Math.max(10, (body.expires_in ?? 60) - 10) * 1000;
    this.token = { value, expiresAt: Date.now() + lifetime };
    return value;
  }
}

/** The `Basic` authorization header value for credentials (registry requests and token requests alike). */
function basicAuthorization(credentials: BasicCredentials | undefined): string | undefined {
  return credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    : undefined;
}
