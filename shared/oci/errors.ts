/** What went wrong, for callers that react differently (alert, retry later, fix credentials). */
export type CopyErrorCode =
  | 'auth' // 401/403, credentials refused or not obtainable
  | 'digest-mismatch' // bytes read from the source do not hash to the descriptor's digest (or the size differs)
  | 'not-found' // the source manifest or a blob does not exist
  | 'network' // connection failures that outlived the retries
  | 'tls' // the registry's certificate was refused
  | 'registry' // any other unexpected registry answer that outlived the retries
  | 'unsupported' // a manifest media type the engine does not copy
  | 'too-large' // a manifest over the 4 MiB the distribution spec allows; refused at once, not retried
  | 'timeout' // a blob missed its deadline, or the whole copy its timeout
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
