import { createHash, type Hash } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { CopyError } from './errors';
import {
  EarlyResponseError,
  NetworkError,
  discardBody,
  statusError,
  toNetworkError,
  writeBody,
  type HttpTimeouts,
} from './http';
import { formatDuration } from './duration';
import type { Descriptor } from './manifest';
import type { RegistryClient } from './registry-client';
import { RetryableError, withRetry, type RetryPolicy } from './retry';

export interface BlobContext {
  source: RegistryClient;
  destination: RegistryClient;
  /** Source repository to mount from, when source and destination are the same registry. */
  mountFrom?: string;
  /** Blobs above this size are sent in PATCH chunks of this size. */
  chunkSize: number;
  retry: RetryPolicy;
  signal?: AbortSignal;
  deadlines: BlobDeadlines;
  /** Called with the bytes streamed to the destination (negative when a restarted upload gives some back). */
  onBytes: (delta: number) => void;
}

/** Time bounds of one blob (see CopyDeadlines in copy.ts). */
export interface BlobDeadlines extends HttpTimeouts {
  minBytesPerSecond: number;
  throughputWindowMs: number;
  blobMs: number | ((size: number) => number);
}

/** `present`: already at the destination; `mounted`: cross-repository mount; `copied`: bytes streamed. */
export type BlobOutcome = 'present' | 'mounted' | 'copied';

/** Where an upload stands between attempts: its URL, and the byte count (and hash state) the registry confirmed. */
interface UploadState {
  url?: URL;
  confirmed: number;
  hashAtConfirmed?: Hash;
  /** After a failure, ask the registry how far the upload got before continuing. */
  interrupted: boolean;
  /** Bytes reported through onBytes for this blob so far. */
  reported: number;
  /** What the watchdog sees: the reader and request of the attempt under way, and what it waits for. */
  phase: 'other' | 'stream' | 'answer';
  phaseStartedAt: number;
  /** Reader position when the current throughput window started. */
  windowPosition: number;
  reader?: SourceReader;
  request?: ClientRequest;
  /** Set by the watchdog: the error the current attempt fails with (the socket errors it causes are not the story). */
  tripped?: Error;
}

const OCTET_STREAM = 'application/octet-stream';

/**
 * Copies one blob unless the destination has it, verifying its sha256 and size while streaming. A watchdog
 * bounds it: the whole blob (retries included) within its deadline, the stream at a minimum throughput, and the
 * answer to a complete upload within the request timeout.
 */
export async function copyBlob(ctx: BlobContext, blob: Descriptor): Promise<BlobOutcome> {
  const state: UploadState = {
    confirmed: 0,
    interrupted: false,
    reported: 0,
    phase: 'other',
    phaseStartedAt: 0,
    windowPosition: 0,
  };
  const watchdog = startWatchdog(ctx, blob, state);
  try {
    if (await withRetry(ctx.retry, () => blobExists(ctx.destination, blob.digest), watchdog.signal))
      return 'present';
    return await withRetry(
      ctx.retry,
      async () => {
        if (watchdog.expired) throw watchdog.expired;
        try {
          return await attemptUpload(ctx, blob, state);
        } catch (error) {
          state.interrupted = true;
          const tripped = state.tripped;
          state.tripped = undefined;
          throw tripped ?? error;
        } finally {
          setPhase(state, 'other');
          state.reader = undefined;
          state.request = undefined;
        }
      },
      watchdog.signal,
    );
  } catch (error) {
    if (state.url) await cancelUpload(ctx.destination, state.url);
    throw watchdog.expired ?? error;
  } finally {
    watchdog.stop();
  }
}

function setPhase(state: UploadState, phase: UploadState['phase'], request?: ClientRequest): void {
  state.phase = phase;
  state.phaseStartedAt = performance.now();
  state.windowPosition = state.reader?.position ?? state.confirmed;
  if (request) state.request = request;
}

/**
 * Two timers per blob, none per chunk: the deadline, and a periodic check of the phase under way. A stream slower
 * than the minimum over a whole window, or an answer slower than the request timeout, fails the attempt
 * (retried); the deadline fails the blob (CopyError 'timeout', not retried).
 */
function startWatchdog(
  ctx: BlobContext,
  blob: Descriptor,
  state: UploadState,
): { signal: AbortSignal; expired?: CopyError; stop: () => void } {
  const { minBytesPerSecond, throughputWindowMs, requestMs } = ctx.deadlines;
  const blobMs =
    typeof ctx.deadlines.blobMs === 'function' ? ctx.deadlines.blobMs(blob.size) : ctx.deadlines.blobMs;
  const controller = new AbortController();
  const onCopyAbort = () => controller.abort(ctx.signal?.reason);
  if (ctx.signal?.aborted) onCopyAbort();
  ctx.signal?.addEventListener('abort', onCopyAbort, { once: true });
  const trip = (error: Error) => {
    if (state.tripped) return;
    state.tripped = error;
    state.reader?.abort(error);
    state.request?.destroy(error);
  };
  const watchdog: { signal: AbortSignal; expired?: CopyError; stop: () => void } = {
    signal: controller.signal,
    stop: () => {
      clearTimeout(deadline);
      clearInterval(check);
      ctx.signal?.removeEventListener('abort', onCopyAbort);
    },
  };
  const deadline = setTimeout(() => {
    const error = new CopyError(
      'timeout',
      `blob ${blob.digest} (${blob.size} bytes) was not copied within its deadline of ${formatDuration(blobMs)}`,
    );
    watchdog.expired = error;
    trip(error);
    controller.abort(error);
  }, blobMs);
  deadline.unref();
  const period = Math.max(10, Math.min(throughputWindowMs, requestMs) / 2);
  const check = setInterval(() => {
    const elapsed = performance.now() - state.phaseStartedAt;
    if (state.phase === 'stream' && elapsed >= throughputWindowMs) {
      const position = state.reader?.position ?? state.windowPosition;
      const rate = ((position - state.windowPosition) * 1000) / elapsed;
      if (rate < minBytesPerSecond) {
        trip(
          new NetworkError(
            `blob ${blob.digest}: ${position - state.windowPosition} bytes in ${formatDuration(elapsed)}, below the minimum of ${minBytesPerSecond} bytes/s`,
            { code: 'ETIMEDOUT' },
          ),
        );
        return;
      }
      state.windowPosition = position;
      state.phaseStartedAt = performance.now();
    } else if (state.phase === 'answer' && elapsed >= requestMs) {
      trip(
        new NetworkError(`blob ${blob.digest}: no answer to the upload within ${formatDuration(requestMs)}`, {
          code: 'ETIMEDOUT',
        }),
      );
    }
  }, period);
  check.unref();
  return watchdog;
}

async function blobExists(client: RegistryClient, digest: string): Promise<boolean> {
  const url = client.url(`blobs/${digest}`);
  const response = await client.request('HEAD', url);
  await discardBody(response);
  if (response.statusCode === 200) return true;
  if (response.statusCode === 404) return false;
  throw await statusError(response, `HEAD blob ${digest} at ${client.host}`);
}

async function attemptUpload(ctx: BlobContext, blob: Descriptor, state: UploadState): Promise<BlobOutcome> {
  let remoteOffset = 0;
  if (state.interrupted) {
    // The last attempt may have completed before its answer was lost.
    if (await blobExists(ctx.destination, blob.digest)) return 'copied';
    const resumable = state.url ? await uploadOffset(ctx.destination, state.url) : undefined;
    if (resumable && resumable.offset >= state.confirmed && resumable.offset <= blob.size) {
      state.url = resumable.url;
      remoteOffset = resumable.offset;
    } else {
      if (state.url) await cancelUpload(ctx.destination, state.url);
      state.url = undefined;
    }
  }
  if (!state.url) {
    const started = await startUpload(ctx, blob);
    if (started === 'mounted') return 'mounted';
    state.url = started;
    state.confirmed = 0;
    state.hashAtConfirmed = undefined;
    remoteOffset = 0;
  }
  state.interrupted = false;
  // Give back progress past the confirmed offset that a failed attempt reported.
  ctx.onBytes(state.confirmed - state.reported);
  state.reported = state.confirmed;

  // Waiting for the source's answer counts as a stream that moves no bytes.
  setPhase(state, 'stream');
  const reader = await openSource(ctx, blob, state.confirmed, state.hashAtConfirmed);
  state.reader = reader;
  if (state.tripped) reader.abort(state.tripped);
  try {
    if (state.confirmed === 0 && remoteOffset === 0 && blob.size <= ctx.chunkSize) {
      await putMonolithic(ctx, blob, state, reader);
    } else {
      await uploadChunks(ctx, blob, state, reader, remoteOffset);
    }
  } finally {
    reader.close();
  }
  state.url = undefined;
  return 'copied';
}

/** POST an upload (asking for a mount when the source is another repository of the same registry). */
async function startUpload(ctx: BlobContext, blob: Descriptor): Promise<URL | 'mounted'> {
  const client = ctx.destination;
  const url = client.url('blobs/uploads/');
  if (ctx.mountFrom) {
    url.searchParams.set('mount', blob.digest);
    url.searchParams.set('from', ctx.mountFrom);
  }
  const response = await client.request('POST', url);
  await discardBodyUnlessError(response);
  if (response.statusCode === 201 && ctx.mountFrom) return 'mounted';
  if (response.statusCode === 202) return client.resolve(response.headers.location, url, 'an upload POST');
  throw await statusError(response, `start upload of ${blob.digest} at ${client.host}`);
}

/** GET the upload URL: how many bytes the registry holds, or undefined when the upload cannot be resumed. */
async function uploadOffset(
  client: RegistryClient,
  url: URL,
): Promise<{ offset: number; url: URL } | undefined> {
  const response = await client.request('GET', url);
  await discardBodyUnlessError(response);
  if (response.statusCode !== 204 && response.statusCode !== 200) {
    if ((response.statusCode ?? 0) >= 500 || response.statusCode === 429) {
      throw await statusError(response, `upload status at ${client.host}`);
    }
    await discardBody(response);
    return undefined;
  }
  const range = /^0-(\d+)$/.exec(String(response.headers.range ?? ''));
  if (!range) return undefined;
  // Distribution answers "0-0" for an empty upload and "0-(size-1)" otherwise.
  const end = Number(range[1]);
  const offset = end === 0 ? 0 : end + 1;
  const next = response.headers.location ? new URL(response.headers.location, url) : url;
  return { offset, url: next };
}

async function cancelUpload(client: RegistryClient, url: URL): Promise<void> {
  try {
    const response = await client.request('DELETE', url);
    await discardBody(response);
  } catch {
    // Best effort: registries expire abandoned uploads themselves.
  }
}

async function discardBodyUnlessError(response: IncomingMessage): Promise<void> {
  const status = response.statusCode ?? 0;
  if (status < 400) await discardBody(response);
}

/** Reads a blob from the source, hashing every byte as it passes, never holding more than one socket read. */
class SourceReader {
  position: number;
  readonly hash: Hash;
  private readonly iterator: AsyncIterator<Buffer>;
  private leftover?: Buffer;

  constructor(
    private readonly response: IncomingMessage,
    private readonly blob: Descriptor,
    start: number,
    hash: Hash,
  ) {
    this.position = start;
    this.hash = hash;
    this.iterator = (response as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes, counted and hashed, or null at the end of the stream. */
  async read(max: number): Promise<Buffer | null> {
    const piece = await this.readRaw(max);
    if (!piece) return null;
    this.position += piece.length;
    if (this.position > this.blob.size) throw this.tooLong();
    this.hash.update(piece);
    return piece;
  }

  /** Drops `count` bytes without hashing them (a source that ignored the Range header resent them). */
  async skip(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const saved = this.position;
      const piece = await this.readRaw(left);
      if (!piece) throw new RetryableError(`source ended while skipping to offset ${saved + count}`);
      left -= piece.length;
    }
  }

  /** Up to `max` bytes as they come (neither counted nor hashed), or null at the end of the stream. */
  private async readRaw(max: number): Promise<Buffer | null> {
    let piece = this.leftover;
    this.leftover = undefined;
    if (!piece) {
      const next = await this.iterator.next().catch((error: unknown) => {
        throw toNetworkError(error, 'GET', undefined);
      });
      if (next.done) return null;
      piece = next.value;
    }
    if (piece.length > max) {
      this.leftover = piece.subarray(max);
      piece = piece.subarray(0, max);
    }
    return piece;
  }

  private tooLong(): CopyError {
    return mismatch(this.blob, `the source sent more than the ${this.blob.size} bytes its descriptor gives`);
  }

  /** Checks that the stream ended exactly at the descriptor's size and hashes to its digest. */
  async verify(): Promise<void> {
    if (this.position === this.blob.size && (await this.read(1)) !== null) throw this.tooLong();
    if (this.position !== this.blob.size) {
      throw mismatch(
        this.blob,
        `the source sent ${this.position} bytes, its descriptor gives ${this.blob.size}`,
      );
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.blob.digest) throw mismatch(this.blob, `the bytes read hash to ${actual}`);
  }

  close(): void {
    if (!this.response.complete) this.response.destroy();
  }

  /** Stops the stream: the pending read rejects. */
  abort(error: Error): void {
    this.response.destroy(error);
  }
}

function mismatch(blob: Descriptor, detail: string): CopyError {
  return new CopyError('digest-mismatch', `blob ${blob.digest} failed verification: ${detail}`);
}

async function openSource(
  ctx: BlobContext,
  blob: Descriptor,
  from: number,
  hashAt?: Hash,
): Promise<SourceReader> {
  const client = ctx.source;
  const url = client.url(`blobs/${blob.digest}`);
  const headers = from > 0 ? { range: `bytes=${from}-` } : {};
  const response = await client.request('GET', url, { headers, followRedirects: true, stream: true });
  const status = response.statusCode ?? 0;
  if (status === 404) {
    await discardBody(response);
    throw new CopyError('not-found', `blob ${blob.digest} not found in ${client.host}/${client.repository}`, {
      status,
    });
  }
  if (status !== 200 && status !== 206)
    throw await statusError(response, `GET blob ${blob.digest} from ${client.host}`);
  const length = Number(response.headers['content-length']);
  if (status === 200 && response.headers['content-length'] !== undefined && length !== blob.size) {
    response.destroy();
    throw mismatch(blob, `the source serves ${length} bytes, its descriptor gives ${blob.size}`);
  }
  const hash = hashAt ? hashAt.copy() : createHash('sha256');
  if (status === 200 && from > 0) {
    const reader = new SourceReader(response, blob, from, hash);
    await reader.skip(from);
    return reader;
  }
  return new SourceReader(response, blob, from, hash);
}

async function putMonolithic(
  ctx: BlobContext,
  blob: Descriptor,
  state: UploadState,
  reader: SourceReader,
): Promise<void> {
  const client = ctx.destination;
  const url = new URL(state.url as URL);
  url.searchParams.set('digest', blob.digest);
  const { request, response } = await client.open('PUT', url, {
    'content-type': OCTET_STREAM,
    'content-length': blob.size,
  });
  state.request = request;
  try {
    for (;;) {
      const piece = await reader.read(Number.MAX_SAFE_INTEGER);
      if (piece === null || reader.position >= blob.size) {
        // Hold the last bytes back until the digest is verified, so a corrupt blob is never committed.
        await reader.verify();
        if (piece) await writeBody(request, piece);
        if (piece) report(ctx, state, piece.length);
        request.end();
        setPhase(state, 'answer');
        break;
      }
      await writeBody(request, piece);
      report(ctx, state, piece.length);
    }
  } catch (error) {
    await failedBodyWrite(ctx, error, request, response, `PUT ${blob.digest} to ${url.host}`, url);
  }
  await expectCommitted(ctx, blob, await response, url);
}

async function uploadChunks(
  ctx: BlobContext,
  blob: Descriptor,
  state: UploadState,
  reader: SourceReader,
  remoteOffset: number,
): Promise<void> {
  const client = ctx.destination;
  // The registry already holds bytes past the last confirmed chunk: hash them, send nothing.
  while (reader.position < remoteOffset) {
    if ((await reader.read(remoteOffset - reader.position)) === null) break;
  }
  if (remoteOffset > state.confirmed) {
    state.confirmed = remoteOffset;
    state.hashAtConfirmed = reader.hash.copy();
    report(ctx, state, remoteOffset - state.reported);
  }
  while (reader.position < blob.size) {
    const start = reader.position;
    const end = Math.min(start + ctx.chunkSize, blob.size);
    const url = state.url as URL;
    const { request, response } = await client.open('PATCH', url, {
      'content-type': OCTET_STREAM,
      'content-length': end - start,
      'content-range': `${start}-${end - 1}`,
    });
    setPhase(state, 'stream', request);
    try {
      while (reader.position < end) {
        const piece = await reader.read(end - reader.position);
        if (piece === null) {
          // Shorter than its descriptor: verify() names the mismatch.
          request.destroy();
          await reader.verify();
          return;
        }
        await writeBody(request, piece);
        report(ctx, state, piece.length);
      }
      request.end();
      setPhase(state, 'answer');
    } catch (error) {
      await failedBodyWrite(
        ctx,
        error,
        request,
        response,
        `PATCH ${start}-${end - 1} of ${blob.digest}`,
        url,
      );
    }
    const answer = await response;
    const status = answer.statusCode ?? 0;
    // The spec says 202; ECR answers 201. Either way the next URL is in Location.
    if (status === 202 || status === 201 || status === 204) {
      await discardBody(answer);
      state.url = answer.headers.location ? new URL(answer.headers.location, url) : url;
      // ECR's Range header can lag behind what it stored, so the offset is what was sent and acknowledged.
      state.confirmed = end;
      state.hashAtConfirmed = reader.hash.copy();
      continue;
    }
    await handleFailedUploadAnswer(ctx, answer, `PATCH ${start}-${end - 1} of ${blob.digest}`, url);
  }
  await reader.verify();
  const url = new URL(state.url as URL);
  url.searchParams.set('digest', blob.digest);
  const { request, response } = await client.open('PUT', url, {
    'content-type': OCTET_STREAM,
    'content-length': 0,
  });
  setPhase(state, 'answer', request);
  request.end();
  await expectCommitted(ctx, blob, await response, url);
}

function report(ctx: BlobContext, state: UploadState, delta: number): void {
  if (delta === 0) return;
  state.reported += delta;
  ctx.onBytes(delta);
}

async function expectCommitted(
  ctx: BlobContext,
  blob: Descriptor,
  answer: IncomingMessage,
  url: URL,
): Promise<void> {
  const status = answer.statusCode ?? 0;
  if (status === 201 || status === 204 || status === 200) {
    await discardBody(answer);
    const digest = answer.headers['docker-content-digest'];
    if (typeof digest === 'string' && digest !== '' && digest !== blob.digest) {
      throw mismatch(blob, `the destination stored it as ${ctx.destination.clean(digest, 100)}`);
    }
    return;
  }
  await handleFailedUploadAnswer(ctx, answer, `PUT ${blob.digest} to ${url.host}`, url);
}

/**
 * Sending a body failed. Answered before the body was complete (EarlyResponseError): read why, then drop the
 * connection (it cannot be reused). Anything else: drop the connection and rethrow.
 */
async function failedBodyWrite(
  ctx: BlobContext,
  error: unknown,
  request: ClientRequest,
  response: Promise<IncomingMessage>,
  what: string,
  url: URL,
): Promise<never> {
  if (!(error instanceof EarlyResponseError)) {
    request.destroy();
    throw error;
  }
  return handleFailedUploadAnswer(ctx, await response, what, url).finally(() => request.destroy());
}

async function handleFailedUploadAnswer(
  ctx: BlobContext,
  answer: IncomingMessage,
  what: string,
  url: URL,
): Promise<never> {
  const status = answer.statusCode ?? 0;
  const error = await statusError(answer, what);
  const client = ctx.destination;
  if (status === 401 && !client.isOwnOrigin(url)) {
    // The registry sent the upload to another origin, which gets no credentials: a retry cannot change that.
    throw new CopyError(
      'auth',
      `${error.message}: the upload location ${url.origin} is not the registry's origin ${client.origin}, and credentials go only to their origin`,
      { status, cause: error },
    );
  }
  if (status === 401) {
    // A bearer token can expire during a long upload: fetch a new one and resume.
    client.invalidateToken();
    throw new RetryableError(`${error.message}; renewing the token`, { cause: error });
  }
  if (status === 403)
    throw new CopyError('auth', `access denied: ${error.message}`, { status, cause: error });
  // 404: the upload session is gone; 416: the registry disagrees about the offset. Ask it and resume or restart.
  if (status === 404 || status === 416 || status === 400) {
    throw new RetryableError(error.message, { cause: error });
  }
  throw error;
}
