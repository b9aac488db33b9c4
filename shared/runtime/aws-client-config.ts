/**
 * The options every function's AWS SDK client is created with. A hung connection or request fails within
 * seconds, so one stuck call fails its own record (which is retried) instead of running the function
 * into its timeout with the whole batch; the SDK's standard retries (with backoff and jitter) absorb
 * throttling, a burst of PutImage calls above ECR's rate quota among them.
 */
export const AWS_CLIENT_CONFIG = {
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  maxAttempts: 5,
  retryMode: 'standard',
} as const;
