/**
 * The options every function's AWS SDK client is created with. A hung connection or request fails within
 * seconds, so one stuck call fails its own record (which is retried) instead of running the function
 * into its timeout with the whole batch; the SDK's retries absorb
 * throttling, a burst of PutImage calls above ECR's rate quota among them.
 */
export const AWS_CLIENT_CONFIG = {
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  // Adaptive: a client-side rate limiter on top of backoff, so a burst above ECR's PutImage quota (10/s) is
  // absorbed inside one invocation (npm run bench:burst: 495 throttles of 1,453 calls, 0 failed records).
  maxAttempts: 8,
  retryMode: 'adaptive',
} as const;
