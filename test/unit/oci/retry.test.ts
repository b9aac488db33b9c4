import { HttpStatusError, NetworkError } from '../../../shared/oci/http';
import { RetryableError, backoffDelay, isRetryable, withRetry } from '../../../shared/oci/retry';

describe('backoffDelay', () => {
  it('doubles per attempt with jitter in the upper half of each step, capped at 20 s', () => {
    // Prepare
    const policy = { attempts: 10, baseDelayMs: 100 };

    // Act / Assess
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(policy, attempt, () => 0))).toEqual([
      50, 100, 200, 400,
    ]);
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(policy, attempt, () => 1))).toEqual([
      100, 200, 400, 800,
    ]);
    expect(backoffDelay(policy, 20, () => 1)).toBe(20_000);
  });
});

describe('isRetryable', () => {
  it.each([
    [new NetworkError('reset', { code: 'ECONNRESET' }), true],
    [new HttpStatusError('throttled', 429), true],
    [new HttpStatusError('unavailable', 503), true],
    [new RetryableError('upload gone'), true],
    [new HttpStatusError('bad request', 400), false],
    [new HttpStatusError('not found', 404), false],
    [new Error('bug'), false],
  ])('%s -> %s', (error, expected) => {
    expect(isRetryable(error)).toBe(expected);
  });
});

describe('withRetry', () => {
  it('retries retryable failures up to the number of attempts, then rethrows the last', async () => {
    // Prepare
    const operation = jest.fn().mockRejectedValue(new HttpStatusError('unavailable', 503));

    // Act
    const failure = await withRetry({ attempts: 3, baseDelayMs: 1 }, operation).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(operation).toHaveBeenCalledTimes(3);
    expect((failure as HttpStatusError).status).toBe(503);
  });

  it('stops at once on a failure that is not worth retrying', async () => {
    // Prepare
    const operation = jest.fn().mockRejectedValue(new HttpStatusError('bad request', 400));

    // Act
    await expect(withRetry({ attempts: 5, baseDelayMs: 1 }, operation)).rejects.toThrow('bad request');

    // Assess
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('returns the first success', async () => {
    // Prepare
    const operation = jest
      .fn()
      .mockRejectedValueOnce(new NetworkError('refused', { code: 'ECONNREFUSED' }))
      .mockResolvedValue('done');

    // Act
    const result = await withRetry({ attempts: 5, baseDelayMs: 1 }, operation);

    // Assess
    expect(result).toBe('done');
    expect(operation).toHaveBeenCalledTimes(2);
  });
});
