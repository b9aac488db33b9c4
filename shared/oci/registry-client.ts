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
    return new URL(`${this.origin}/v2/${this.repository}/${path}`);
  }

  /** The registry's origin (scheme, host and port): the only place its credentials and tokens are sent. */
  get origin(): string {
    const scheme = this.transport.plainHttp(this.host) ? 'http' : 'https';
    return new URL(`${scheme}://${this.host}`).origin;
  }

  /** True for URLs of the registry's own origin (redirects and upload Locations may point elsewhere). */
  isOwnOrigin(url: URL): boolean {
    return url.origin === this.origin;
  }

  /**
   * The Authorization header for `url`, if one may go there: only to the registry's own origin, and never in
   * cleartext (plain HTTP) when it carries the user's credentials or a token obtained with them.
   */
  private async authorizationFor(url: URL): Promise<string | undefined> {
    if (!this.isOwnOrigin(url)) return undefined;
    if (url.protocol === 'https:') return this.authorization();
    // Plain HTTP: only an anonymous bearer token (a public pull), never anything the user's credentials buy.
    if (this.state.kind === 'bearer' && !(await this.getCredentials())) return this.authorization();
    return undefined;
  }

  /** Resolves a Location header (absolute or relative) against the URL it answered. */
  resolve(location: string | undefined, base: URL, what: string): URL {
    if (!location) throw new CopyError('registry', `${this.host} answered ${what} without a Location header`);
    return new URL(location, base);
  }

  /**
   * Sends a request with an optional in-memory body, answering an authentication challenge once. 401/403 after
   * that become CopyError 'auth'. With `followRedirects`, 3xx answers are followed; credentials go only to the
   * registry's own origin (scheme, host and port), so a redirect elsewhere (a pre-signed storage URL, or a
   * downgrade to http:) gets none. `stream` marks a blob download: no total request timeout applies.
   */
  async request(
    method: string,
    url: URL,
    options: {
      headers?: OutgoingHttpHeaders;
      body?: Buffer;
      followRedirects?: boolean;
      stream?: boolean;
    } = {},
  ): Promise<IncomingMessage> {
    let target = url;
    for (let hop = 0; ; hop++) {
      let response = await this.sendOnce(method, target, options);
      if (response.statusCode === 401 && this.isOwnOrigin(target)) {
        const challenged = await this.answerChallenge(response, target);
        if (challenged) response = await this.sendOnce(method, target, options);
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
    const authorization = await this.authorizationFor(url);
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

  /** Cleans a registry-supplied text (a header, a Location) of the copy's secrets, to one short line. */
  clean(text: string, maxLength = 200): string {
    return this.transport.redactor.clean(text, maxLength);
  }

  /** Throws CopyError 'auth' for 401/403 (reading the registry's explanation). */
  async throwIfDenied(response: IncomingMessage, method: string, url: URL): Promise<void> {
    const status = response.statusCode ?? 0;
    if (status !== 401 && status !== 403) return;
    const error = await statusError(response, `${method} ${url.host}${url.pathname}`);
    const verb = status === 401 ? 'authentication failed' : 'access denied';
    const credentials = await this.getCredentials();
    const hint = !credentials
      ? 'no credentials were given'
      : url.protocol !== 'https:' && this.isOwnOrigin(url)
        ? `credentials are never sent over plain HTTP (${this.host} is spoken to over http:)`
        : !this.isOwnOrigin(url)
          ? `${url.origin} is not the registry's origin ${this.origin}, so no credentials were sent there`
          : 'check the credentials';
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
    options: { headers?: OutgoingHttpHeaders; body?: Buffer; stream?: boolean },
  ): Promise<IncomingMessage> {
    const authorization = await this.authorizationFor(url);
    const headers = { ...options.headers, ...(authorization ? { authorization } : {}) };
    return sendRequest(this.transport, method, url, headers, options.body, this.signal, options.stream);
  }

  private getCredentials(): Promise<BasicCredentials | undefined> {
    if (!this.credentials) {
      const redactor = this.transport.redactor;
      this.credentials = this.credentialsProvider(this.host).then((credentials) => {
        // From now on every text this copy shows is cleaned of them.
        redactor.addCredentials(credentials);
        return credentials;
      });
      this.credentials = this.credentials.catch((error: unknown) => {
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
  private async answerChallenge(response: IncomingMessage, url: URL): Promise<boolean> {
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
      // Basic credentials over plain HTTP would travel in cleartext: throwIfDenied says so instead.
      if (url.protocol !== 'https:') return false;
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
    let url: URL;
    try {
      url = new URL(state.realm);
    } catch (error) {
      throw new CopyError(
        'auth',
        `${this.host} named a token realm that is not a URL: ${this.clean(state.realm)}`,
        {
          cause: error,
        },
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new CopyError('auth', `${this.host} named a token realm with scheme ${this.clean(url.protocol)}`);
    }
    if (state.service) url.searchParams.set('service', state.service);
    for (const scope of this.scopes) url.searchParams.append('scope', scope);
    const credentials = await this.getCredentials();
    if (credentials && url.protocol !== 'https:') {
      // The realm is the registry's to name, but credentials never travel in cleartext.
      throw new CopyError(
        'auth',
        `refusing to send the credentials for ${this.host} to its token realm ${url.origin}: it is not https:`,
      );
    }
    const authorization = basicAuthorization(credentials);
    const headers: OutgoingHttpHeaders = authorization ? { authorization } : {};
    // A token service is an HTTP call like any other: no redirects followed, bounded by the request timeout.
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
    let body: { token?: unknown; access_token?: unknown; expires_in?: number };
    try {
      body = JSON.parse((await readBody(response, 1024 * 1024)).toString('utf8')) as typeof body;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw new CopyError(
        'auth',
        `the token service of ${this.host} answered with something other than JSON`,
      );
    }
    const value = body.token ?? body.access_token;
    if (!value || typeof value !== 'string')
      throw new CopyError('auth', `the token service of ${this.host} returned no token`);
    this.transport.redactor.add(value);
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
