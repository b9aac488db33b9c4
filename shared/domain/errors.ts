/**
 * The base of Harbormaster's own errors. `retryable` says what a queue handler should make of a record that
 * failed with it: true when the same record will succeed later unchanged (another event holds the image,
 * the scan verdict is not recorded yet), false when retrying cannot help (bad input, a misrouted event,
 * a refused message): the record is still reported as failed, so the queue dead-letters it, but one is
 * logged as a deferral and the other as a failure.
 */
export class HarbormasterError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options?: { readonly cause?: unknown; readonly retryable?: boolean }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.retryable = options?.retryable ?? false;
  }
}

/** Whether `error` says the same record will succeed later (a HarbormasterError with `retryable`). */
export function isRetryable(error: unknown): boolean {
  return error instanceof HarbormasterError && error.retryable;
}
