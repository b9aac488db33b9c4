import { HttpStatusError, NetworkError } from './http';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500 };
const MAX_DELAY_MS = 20_000;

/** An error that marks its operation as worth another attempt (e.g. an upload session to start over). */
export class RetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** 429, 408 and 5xx answers, connection failures and explicitly retryable errors are retried. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof RetryableError) return true;
  if (error instanceof HttpStatusError)
    return error.status === 429 || error.status === 408 || error.status >= 500;
  return false;
}

/** Exponential backoff with equal jitter: half the exponential step plus a random share of the other half. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(MAX_DELAY_MS, policy.baseDelayMs * 2 ** attempt);
  return Math.round(step / 2 + random() * (step / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `operation` until it succeeds, fails with a non-retryable error, or `policy.attempts` are used up. */
export async function withRetry<T>(
  policy: RetryPolicy,
  operation: (attempt: number) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const attempts = Math.max(1, policy.attempts);
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted || attempt + 1 >= attempts || !isRetryable(error)) throw error;
      const hinted = error instanceof HttpStatusError ? error.retryAfterMs : undefined;
      await sleep(hinted ?? backoffDelay(policy, attempt), signal);
    }
  }
}
