import type { BasicCredentials, CredentialProvider } from './credentials';
import type { ImageReference } from './reference';

/** What went wrong, for callers that react differently (alert, retry later, fix credentials). */
export type CopyErrorCode =
  | 'auth' // 401/403 or credentials could not be obtained
  | 'digest-mismatch' // bytes read from the source do not hash to the descriptor's digest (or size differs)
  | 'not-found' // the source manifest or a blob does not exist
  | 'network' // connection failures that outlived the retries
  | 'registry' // any other unexpected registry answer that outlived the retries
  | 'unsupported' // a manifest media type the engine does not copy
  | 'aborted'; // the caller's AbortSignal fired

/** A failed copy. Nothing is tagged at the destination when a copy fails. Messages never contain credentials. */
export class CopyError extends Error {
  readonly code: CopyErrorCode;
  /** HTTP status of the answer that decided the failure, when there was one. */
  readonly status?: number;
  constructor(code: CopyErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CopyError';
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** Progress reported while copying; bytes count blob bytes streamed to the destination. */
export interface CopyProgress {
  phase: 'resolving' | 'blobs' | 'manifests' | 'done';
  blobsTotal: number;
  blobsDone: number;
  blobsSkipped: number;
  /** Sum of the sizes of every blob that has to be checked (known once the manifests are read). */
  bytesTotal: number;
  /** Bytes streamed plus bytes of blobs found already present or mounted. */
  bytesDone: number;
}

export interface CopyOptions {
  source: ImageReference;
  /** Tag and/or digest of the destination; with neither, the source's tag (or digest) is used. */
  destination: ImageReference;
  sourceCredentials?: CredentialProvider | BasicCredentials;
  destinationCredentials?: CredentialProvider | BasicCredentials;
  /** Speak plain HTTP to every host (true) or the hosts for which the function returns true. @default false */
  plainHttp?: boolean | ((host: string) => boolean);
  /** Skip TLS certificate verification (self-signed registries). @default false */
  insecureTls?: boolean;
  /** Blobs transferred at the same time. @default 4 */
  concurrency?: number;
  /** Blobs larger than this are uploaded in PATCH chunks of this size (min 5 MiB, ECR's minimum part). @default 16 MiB */
  chunkSize?: number;
  onProgress?: (progress: CopyProgress) => void;
  signal?: AbortSignal;
  /** Retries on 429, 5xx and connection resets, with exponential backoff and full jitter. @default { attempts: 5, baseDelayMs: 250 } */
  retry?: { attempts: number; baseDelayMs: number };
}

export interface CopyResult {
  /** Digest of the top-level manifest (or index) now at the destination. */
  digest: string;
  /** Blob bytes actually streamed to the destination (0 for a re-copy). */
  bytesCopied: number;
  blobsCopied: number;
  /** Blobs already present at the destination or mounted from another repository of the same registry. */
  blobsSkipped: number;
  seconds: number;
}

/** Copies one image (or a multi-arch index with all its children) from source to destination. */
export async function copyImage(options: CopyOptions): Promise<CopyResult> {
  void options;
  throw new CopyError('unsupported', 'copyImage is being built');
}

/** Options to talk to one registry (used by `manifestDigest`). */
export interface RegistryAccess {
  credentials?: CredentialProvider | BasicCredentials;
  plainHttp?: boolean | ((host: string) => boolean);
  insecureTls?: boolean;
  signal?: AbortSignal;
}

/** HEADs a manifest: its digest when the tag/digest exists, undefined when it does not (404). */
export async function manifestDigest(
  reference: ImageReference,
  access: RegistryAccess = {},
): Promise<string | undefined> {
  void reference;
  void access;
  throw new CopyError('unsupported', 'manifestDigest is being built');
}
