import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ClientRequest, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Redactor } from '../redact/redact';

/** How long a registry may take, per HTTP call. */
export interface HttpTimeouts {
  /** Opening a connection (TCP and TLS handshake). @default 10000 */
  connectMs: number;
  /** A whole non-streaming call: request sent, answer and its (small) body read. @default 60000 */
  requestMs: number;
  /** A connection on which nothing moves either way, streaming calls included. @default 120000 */
  idleMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, requestMs: 60_000, idleMs: 120_000 };

/** Connection settings shared by every request of one copy: keep-alive agents, TLS and plain-HTTP choices. */
export interface Transport {
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
  readonly timeouts: HttpTimeouts;
  /** The secrets of this copy (credentials, tokens): every registry-supplied text is cleaned with them. */
  readonly redactor: Redactor;
  /** True when this host is spoken to over plain HTTP. */
  plainHttp(host: string): boolean;
  close(): void;
}

// Large socket buffers keep a blob stream moving while the other side briefly stalls.
const SOCKET_HIGH_WATER_MARK = 1024 * 1024;

export function createTransport(options: {
  plainHttp?: boolean | ((host: string) => boolean);
  insecureTls?: boolean;
  maxSockets?: number;
  timeouts?: Partial<HttpTimeouts>;
  redactor?: Redactor;
}): Transport {
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.timeouts };
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 16,
    timeout: timeouts.idleMs,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent({ ...agentOptions, rejectUnauthorized: !options.insecureTls });
  const plain = options.plainHttp;
  return {
    httpAgent,
    httpsAgent,
    timeouts,
    redactor: options.redactor ?? new Redactor(),
    plainHttp: (host) => (typeof plain === 'function' ? plain(host) : plain === true),
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** A failure to talk to a registry at all (refused, reset, timed out); worth retrying. */
export class NetworkError extends Error {
  readonly code?: string;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'NetworkError';
    if (options?.code) this.code = options.code;
  }
}

/** An answer with an unexpected status code; `body` is a short excerpt of the registry's error document. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly retryAfterMs?: number;
  constructor(message: string, status: number, retryAfterMs?: number) {
    super(message);
    this.name = 'HttpStatusError';
    this.status = status;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

export interface OpenedRequest {
  readonly request: ClientRequest;
  /** Settles with the response, or rejects with a NetworkError. */
  readonly response: Promise<IncomingMessage>;
}

// The redactor of the transport that received a response, so statusError cleans with the copy's secrets.
const responseRedactors = new WeakMap<IncomingMessage, Redactor>();

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

/**
 * Opens a request whose body the caller writes (with `writeBody`) and ends. Every request gets the transport's
 * connect and idle timeouts; `totalMs` also bounds the whole call (for calls that are not blob streams).
 */
export function openRequest(
  transport: Transport,
  method: string,
  url: URL,
  headers: OutgoingHttpHeaders,
  signal?: AbortSignal,
  totalMs?: number,
): OpenedRequest {
  const secure = url.protocol === 'https:';
  const requestOptions = { method, headers, highWaterMark: SOCKET_HIGH_WATER_MARK, signal };
  const request = secure
    ? https.request(url, { ...requestOptions, agent: transport.httpsAgent })
    : http.request(url, { ...requestOptions, agent: transport.httpAgent });
  const { connectMs, idleMs } = transport.timeouts;
  request.setTimeout(idleMs, () => {
    request.destroy(timeoutError(`no activity for ${idleMs / 1000}s`));
  });
  request.once('socket', (socket: Socket) => {
    // A reused keep-alive socket is already connected; only a new one can hang in the handshake.
    if (!socket.connecting) return;
    const timer = setTimeout(
      () => request.destroy(timeoutError(`could not connect within ${connectMs / 1000}s`)),
      connectMs,
    );
    timer.unref();
    socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
  let answer: IncomingMessage | undefined;
  if (totalMs !== undefined) {
    const timer = setTimeout(() => {
      const error = timeoutError(`no complete answer within ${totalMs / 1000}s`);
      // A body already being read fails with this reason, not with the reset that destroying the request causes.
      answer?.destroy(error);
      request.destroy(error);
    }, totalMs);
    timer.unref();
    request.once('close', () => clearTimeout(timer));
  }
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', (received: IncomingMessage) => {
      answer = received;
      responseRedactors.set(received, transport.redactor);
      resolve(received);
    });
    request.once('error', (error) => reject(toNetworkError(error, method, url)));
  });
  // The caller may stop writing and await something else first; never leave this rejection unhandled.
  response.catch(() => undefined);
  return { request, response };
}

/** Writes one buffer honouring back-pressure; rejects if the connection closes or the server already answered. */
export function writeBody(request: ClientRequest, chunk: Buffer): Promise<void> {
  const closed = () => new NetworkError('connection closed while sending', { code: 'EPIPE' });
  if (request.destroyed) return Promise.reject(closed());
  if (request.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      request.off('drain', onDrain);
      request.off('close', onClose);
      request.off('response', onResponse);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(closed());
    };
    const onResponse = () => {
      cleanup();
      reject(new EarlyResponseError());
    };
    request.on('drain', onDrain);
    request.on('close', onClose);
    request.on('response', onResponse);
  });
}

/** The server answered before the whole body was sent (usually an error status): read the response instead. */
export class EarlyResponseError extends Error {
  constructor() {
    super('the registry answered before the request body was complete');
    this.name = 'EarlyResponseError';
  }
}

/** Sends a request with an optional in-memory body and returns the response (body not yet read). */
export async function sendRequest(
  transport: Transport,
  method: string,
  url: URL,
  headers: OutgoingHttpHeaders,
  body?: Buffer,
  signal?: AbortSignal,
  /** A blob stream: bounded by the idle timeout and the blob's deadline, not by the request timeout. */
  stream = false,
): Promise<IncomingMessage> {
  const finalHeaders = { ...headers };
  if (body !== undefined) finalHeaders['content-length'] = body.length;
  else if (method === 'PUT' || method === 'POST' || method === 'PATCH') finalHeaders['content-length'] = 0;
  const { request, response } = openRequest(
    transport,
    method,
    url,
    finalHeaders,
    signal,
    stream ? undefined : transport.timeouts.requestMs,
  );
  request.end(body);
  return response;
}

/** A response body over the reader's limit: a retry gets the same body, so this is never retried. */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`response body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** Reads a whole (small) response body; refuses bodies over `limit` bytes (by Content-Length, or as they come). */
export async function readBody(response: IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const announced = Number(response.headers['content-length']);
  if (Number.isFinite(announced) && announced > limit) {
    response.destroy();
    throw new BodyTooLargeError(limit);
  }
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) {
        response.destroy();
        throw new BodyTooLargeError(limit);
      }
      parts.push(chunk);
    }
  } catch (error) {
    if (error instanceof NetworkError || error instanceof BodyTooLargeError) throw error;
    throw toNetworkError(error, 'read', undefined);
  }
  return Buffer.concat(parts, total);
}

/** Discards a response body so the keep-alive connection can be reused. */
export async function discardBody(response: IncomingMessage): Promise<void> {
  try {
    await readBody(response, Number.MAX_SAFE_INTEGER);
  } catch {
    // Nothing to do: the connection is dropped with the body.
  }
}

/** Longest excerpt of a registry's error text that goes into a message. */
export const ERROR_TEXT_LIMIT = 300;

/**
 * Turns a registry error answer into an HttpStatusError carrying the first error code/message of the body,
 * cleaned of the copy's secrets and of anything that looks like a credential, on one line and cut.
 */
export async function statusError(response: IncomingMessage, what: string): Promise<HttpStatusError> {
  const status = response.statusCode ?? 0;
  const redactor = responseRedactors.get(response) ?? new Redactor();
  let detail = '';
  try {
    const body = (await readBody(response, 64 * 1024)).toString('utf8');
    let text = body;
    try {
      const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
      const first = parsed.errors?.[0];
      if (first) text = [first.code, first.message].filter((part) => typeof part === 'string').join(': ');
    } catch {
      // Not the registry error document: show the text itself.
    }
    detail = redactor.clean(text, ERROR_TEXT_LIMIT);
  } catch {
    // The body is only an explanation; the status says enough.
  }
  const retryAfter = Number(response.headers['retry-after']);
  const retryAfterMs =
    Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.min(retryAfter, 60) * 1000 : undefined;
  return new HttpStatusError(`${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`, status, retryAfterMs);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
]);

export function toNetworkError(error: unknown, method: string, url: URL | undefined): Error {
  if (error instanceof NetworkError) return error;
  const err = error as NodeJS.ErrnoException;
  if (err?.name === 'AbortError') return err;
  const code = err?.code;
  const where = url ? ` ${method} ${url.host}` : '';
  if (code && NETWORK_CODES.has(code))
    return new NetworkError(`${code}${where}: ${err.message}`, { cause: error, code });
  if (err?.message === 'aborted' || err?.message === 'socket hang up') {
    return new NetworkError(`connection reset${where}: ${err.message}`, { cause: error, code: 'ECONNRESET' });
  }
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    return new TlsError(`TLS${where}: ${err.message} (use --insecure for a self-signed registry)`, {
      cause: error,
    });
  }
  return err instanceof Error ? err : new Error(String(error));
}

/** The registry's certificate was refused; not retried. */
export class TlsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsError';
  }
}
