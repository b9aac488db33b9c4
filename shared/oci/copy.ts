import { copyBlob, type BlobOutcome } from './blob';
import { toCredentialProvider, type BasicCredentials, type CredentialProvider } from './credentials';
import { CopyError } from './errors';
import {
  DEFAULT_HTTP_TIMEOUTS,
  HttpStatusError,
  NetworkError,
  TlsError,
  createTransport,
  type HttpTimeouts,
} from './http';
import { parseManifest, type Descriptor, type RawManifest } from './manifest';
import { fetchManifest, headManifest, putManifest } from './manifest-io';
import { copyReferrers, type ReferrerResult } from './referrers';
import { apiHost, formatReference, type ImageReference } from './reference';
import { RegistryClient } from './registry-client';
import { DEFAULT_RETRY, RetryableError, withRetry, type RetryPolicy } from './retry';
import { Redactor } from '../redact/redact';
import { formatDuration } from './duration';

export { CopyError, type CopyErrorCode } from './errors';

/** Progress reported while copying; bytes count blob bytes streamed to the destination. */
export interface CopyProgress {
  phase: 'resolving' | 'blobs' | 'manifests' | 'done';
  blobsTotal: number;
  /** Blobs finished: copied, found present or mounted. */
  blobsDone: number;
  blobsSkipped: number;
  /** Sum of the sizes of every blob that has to be checked (known once the manifests are read). */
  bytesTotal: number;
  /** Bytes streamed plus the sizes of blobs found present or mounted. */
  bytesDone: number;
}

export interface CopyOptions {
  source: ImageReference;
  /** Tag and/or digest of the destination; with neither, the source's tag (or digest) is used. */
  destination: ImageReference;
  sourceCredentials?: CredentialProvider | BasicCredentials;
  destinationCredentials?: CredentialProvider | BasicCredentials;
  /** Speak plain HTTP to every host (true) or to the hosts for which the function returns true. @default false */
  plainHttp?: boolean | ((host: string) => boolean);
  /** Skip TLS certificate verification (self-signed registries). @default false */
  insecureTls?: boolean;
  /** Blobs transferred at the same time. @default 4 */
  concurrency?: number;
  /** Blobs larger than this are uploaded in PATCH chunks of this size; at least 5 MiB (ECR's minimum part). @default 64 MiB */
  chunkSize?: number;
  onProgress?: (progress: CopyProgress) => void;
  signal?: AbortSignal;
  /** Retries on 429, 5xx and connection resets, with exponential backoff and jitter. @default { attempts: 5, baseDelayMs: 500 } */
  retry?: RetryPolicy;
  /** Per-call and per-blob time bounds (see CopyDeadlines); each field defaults separately. */
  deadlines?: Partial<CopyDeadlines>;
  /** The whole copy fails with CopyError 'timeout' after this many milliseconds (the CLI's --timeout). @default none */
  timeoutMs?: number;
  /**
   * Also copy what refers to the image: OCI 1.1 referrers (signatures, SBOMs, attestations; through the referrers
   * API or the referrers tag schema `sha256-<hex>`) and cosign's `sha256-<hex>.sig|.att|.sbom` tags.
   * @default true
   */
  referrers?: boolean;
}

/**
 * How long a copy waits for a registry. A stalled source, or one that trickles bytes, fails within these bounds
 * instead of holding the copy for as long as a socket stays open.
 */
export interface CopyDeadlines extends HttpTimeouts {
  /** A blob transfer slower than this over a whole window is dropped and retried. @default 32768 (32 KiB/s) */
  minBytesPerSecond: number;
  /** The window over which the throughput is judged. @default 30000 */
  throughputWindowMs: number;
  /**
   * The longest one blob may take, all retries included (then CopyError 'timeout', not retried).
   * @default 10 minutes plus 1 second per 512 KiB of the blob
   */
  blobMs: number | ((size: number) => number);
}

export const DEFAULT_DEADLINES: CopyDeadlines = {
  ...DEFAULT_HTTP_TIMEOUTS,
  minBytesPerSecond: 32 * 1024,
  throughputWindowMs: 30_000,
  blobMs: (size) => 600_000 + Math.ceil(size / (512 * 1024)) * 1000,
};

export interface CopyResult {
  /** Digest of the top-level manifest (or index) now at the destination. */
  digest: string;
  /** Blob bytes streamed to the destination (0 for a re-copy). */
  bytesCopied: number;
  blobsCopied: number;
  /** Blobs already present at the destination or mounted from another repository of the same registry. */
  blobsSkipped: number;
  seconds: number;
  /** What happened to the image's signatures, SBOMs and attestations (absent with `referrers: false`). */
  referrers?: ReferrerResult;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;
export const MIN_CHUNK_SIZE = 5 * 1024 * 1024;

/**
 * Copies one image, or an index with all its children, from source to destination. Blobs go first (skipped when
 * present, mounted when both sides are one registry), then child manifests by digest, then the top manifest under
 * its tag, so a tag only ever points at a complete, verified image.
 */
export async function copyImage(options: CopyOptions): Promise<CopyResult> {
  const started = performance.now();
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new RangeError(`concurrency must be an integer from 1 to 64, got ${concurrency}`);
  }
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE) {
    throw new RangeError(
      `chunkSize must be an integer of at least ${MIN_CHUNK_SIZE} bytes (5 MiB), got ${chunkSize}`,
    );
  }
  const retry = options.retry ?? DEFAULT_RETRY;
  const deadlines = resolveDeadlines(options.deadlines);
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`);
  }
  // One controller for the whole copy: the caller's signal, the timeout, or the first failed blob stops every transfer.
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const signal = controller.signal;
  let timedOut: CopyError | undefined;
  const timeout =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = new CopyError(
            'timeout',
            `the copy did not finish within its timeout of ${formatDuration(options.timeoutMs as number)}`,
          );
          controller.abort(timedOut);
        }, options.timeoutMs);
  timeout?.unref();
  const redactor = new Redactor();
  const transport = createTransport({
    plainHttp: options.plainHttp,
    insecureTls: options.insecureTls,
    maxSockets: concurrency * 2 + 2,
    timeouts: deadlines,
    redactor,
  });
  const { source, destination } = options;
  const sourceHost = apiHost(source.registry);
  const destinationHost = apiHost(destination.registry);
  const sameRegistry = sourceHost === destinationHost && source.repository !== destination.repository;
  const src = new RegistryClient({
    host: sourceHost,
    repository: source.repository,
    actions: ['pull'],
    credentials: toCredentialProvider(options.sourceCredentials),
    transport,
    signal,
  });
  const dst = new RegistryClient({
    host: destinationHost,
    repository: destination.repository,
    actions: ['pull', 'push'],
    extraScopes: sameRegistry ? [`repository:${source.repository}:pull`] : [],
    // Same registry without separate destination credentials: the source's serve both (mount needs one identity).
    credentials: toCredentialProvider(
      options.destinationCredentials ?? (sameRegistry ? options.sourceCredentials : undefined),
    ),
    transport,
    signal,
  });
  const progress: CopyProgress = {
    phase: 'resolving',
    blobsTotal: 0,
    blobsDone: 0,
    blobsSkipped: 0,
    bytesTotal: 0,
    bytesDone: 0,
  };
  const emit = () => options.onProgress?.({ ...progress });
  const result = (
    digest: string,
    bytesCopied: number,
    blobsCopied: number,
    referrers?: ReferrerResult,
  ): CopyResult => {
    progress.phase = 'done';
    emit();
    return {
      digest,
      bytesCopied,
      blobsCopied,
      blobsSkipped: progress.blobsSkipped,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      ...(referrers ? { referrers } : {}),
    };
  };

  try {
    emit();
    const top = await withRetry(
      retry,
      () => fetchManifest(src, source.digest ?? source.tag ?? 'latest', source.digest),
      signal,
    );
    if (destination.digest && destination.digest !== top.digest) {
      throw new CopyError(
        'digest-mismatch',
        `source ${formatReference(source)} is ${top.digest}, but the destination reference asks for ${destination.digest}`,
      );
    }
    const destinationTag = destination.tag ?? (destination.digest ? undefined : source.tag);

    let bytesCopied = 0;
    let blobsCopied = 0;
    const context = {
      source: src,
      destination: dst,
      mountFrom: sameRegistry ? source.repository : undefined,
      chunkSize,
      retry,
      signal,
      deadlines,
      onBytes: (delta: number) => {
        progress.bytesDone += delta;
        emit();
      },
    };
    /** Blobs first, then child manifests by digest, then the manifest itself under `ref`. */
    const transfer = async (manifest: RawManifest, ref: string): Promise<void> => {
      const children: RawManifest[] = [];
      const blobs = new Map<string, Descriptor>();
      await collect(manifest, src, dst, retry, signal, children, blobs);
      progress.phase = 'blobs';
      progress.blobsTotal += blobs.size;
      progress.bytesTotal += [...blobs.values()].reduce((sum, blob) => sum + blob.size, 0);
      emit();
      await runPool([...blobs.values()], concurrency, controller, async (blob) => {
        const outcome: BlobOutcome = await copyBlob(context, blob);
        if (outcome === 'copied') {
          bytesCopied += blob.size;
          blobsCopied += 1;
        } else {
          progress.blobsSkipped += 1;
          progress.bytesDone += blob.size;
        }
        progress.blobsDone += 1;
        emit();
      });
      progress.phase = 'manifests';
      emit();
      for (const child of children)
        await withRetry(retry, () => putManifest(dst, child.digest, child), signal);
      await withRetry(retry, () => putManifest(dst, ref, manifest), signal);
    };

    // Already there: at most the tag moves, and no blob byte does.
    const atTag =
      destinationTag !== undefined &&
      (await withRetry(retry, () => headManifest(dst, destinationTag), signal)) === top.digest;
    if (!atTag) {
      if ((await withRetry(retry, () => headManifest(dst, top.digest), signal)) === top.digest) {
        if (destinationTag) await withRetry(retry, () => putManifest(dst, destinationTag, top), signal);
      } else {
        await transfer(top, destinationTag ?? top.digest);
      }
    }
    // After the image, so a signature never arrives before what it signs; checked on a re-copy too, so a
    // signature added since the last copy travels, while one already there moves nothing.
    const referrers =
      options.referrers === false
        ? undefined
        : await copyReferrers(
            {
              source: src,
              destination: dst,
              retry,
              signal,
              transfer: (manifest) => transfer(manifest, manifest.digest),
            },
            top,
          );
    return result(top.digest, bytesCopied, blobsCopied, referrers);
  } catch (error) {
    throw redactor.cleanError(timedOut ?? toCopyError(error, options.signal));
  } finally {
    if (timeout) clearTimeout(timeout);
    options.signal?.removeEventListener('abort', onCallerAbort);
    transport.close();
  }
}

function resolveDeadlines(given: Partial<CopyDeadlines> = {}): CopyDeadlines {
  const deadlines = { ...DEFAULT_DEADLINES, ...given };
  for (const key of [
    'connectMs',
    'requestMs',
    'idleMs',
    'minBytesPerSecond',
    'throughputWindowMs',
  ] as const) {
    const value = deadlines[key];
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`deadlines.${key} must be a non-negative number, got ${String(value)}`);
    }
  }
  return deadlines;
}

/** Options to talk to one registry (used by `manifestDigest`). */
export interface RegistryAccess {
  credentials?: CredentialProvider | BasicCredentials;
  plainHttp?: boolean | ((host: string) => boolean);
  insecureTls?: boolean;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  timeouts?: Partial<HttpTimeouts>;
}

/** HEADs a manifest: its digest when the reference's digest (or tag) exists, undefined when it does not. */
export async function manifestDigest(
  reference: ImageReference,
  access: RegistryAccess = {},
): Promise<string | undefined> {
  const redactor = new Redactor();
  const transport = createTransport({
    plainHttp: access.plainHttp,
    insecureTls: access.insecureTls,
    maxSockets: 2,
    timeouts: access.timeouts,
    redactor,
  });
  const client = new RegistryClient({
    host: apiHost(reference.registry),
    repository: reference.repository,
    actions: ['pull'],
    credentials: toCredentialProvider(access.credentials),
    transport,
    signal: access.signal,
  });
  try {
    const ref = reference.digest ?? reference.tag ?? 'latest';
    return await withRetry(access.retry ?? DEFAULT_RETRY, () => headManifest(client, ref), access.signal);
  } catch (error) {
    throw redactor.cleanError(toCopyError(error, access.signal));
  } finally {
    transport.close();
  }
}

/** Walks an index down to its images: children to push (deepest first) and the unique blobs they need. */
async function collect(
  manifest: RawManifest,
  src: RegistryClient,
  dst: RegistryClient,
  retry: RetryPolicy,
  signal: AbortSignal,
  children: RawManifest[],
  blobs: Map<string, Descriptor>,
): Promise<void> {
  const parsed = parseManifest(manifest);
  if (parsed.kind === 'image') {
    for (const blob of parsed.blobs) if (!blobs.has(blob.digest)) blobs.set(blob.digest, blob);
    return;
  }
  for (const child of parsed.manifests) {
    if (children.some((c) => c.digest === child.digest)) continue;
    // A child the destination already has comes with all its blobs (registries refuse manifests with missing blobs).
    if ((await withRetry(retry, () => headManifest(dst, child.digest), signal)) === child.digest) continue;
    const raw = await withRetry(
      retry,
      () => fetchManifest(src, child.digest, child.digest, child.size),
      signal,
    );
    await collect(raw, src, dst, retry, signal, children, blobs);
    children.push(raw);
  }
}

/** Runs `work` over items, `concurrency` at a time; the first failure aborts the rest and is rethrown. */
async function runPool<T>(
  items: T[],
  concurrency: number,
  controller: AbortController,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        if (!failure) {
          failure = { error };
          controller.abort(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw failure.error;
}

function toCopyError(error: unknown, callerSignal?: AbortSignal): CopyError {
  if (error instanceof CopyError) return error;
  if (callerSignal?.aborted) return new CopyError('aborted', 'the copy was cancelled', { cause: error });
  if (error instanceof TlsError) return new CopyError('tls', error.message, { cause: error });
  if (error instanceof NetworkError)
    return new CopyError('network', `${error.message} (gave up after retries)`, { cause: error });
  if (error instanceof HttpStatusError) {
    return new CopyError(error.status === 404 ? 'not-found' : 'registry', error.message, {
      cause: error,
      status: error.status,
    });
  }
  if (error instanceof RetryableError)
    return new CopyError('registry', `${error.message} (gave up after retries)`, { cause: error });
  return new CopyError('registry', (error as Error)?.message ?? String(error), { cause: error });
}
