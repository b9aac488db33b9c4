import { SlackDeliveryError, postToSlack } from '../../../shared/notify/slack-poster';

const URL = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN';
const PAYLOAD = { text: 'hello', blocks: [] };

function response(status: number, headers: Record<string, string> = {}, body = ''): Response {
  return new Response(body || null, { status, headers });
}

describe('postToSlack', () => {
  let sleeps: number[];
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
  };

  beforeEach(() => {
    sleeps = [];
  });

  it('posts the JSON payload once when Slack answers 200', async () => {
    // Prepare
    const fetchMock = jest.fn(async () => response(200, {}, 'ok'));

    // Act
    const result = await postToSlack(URL, PAYLOAD, { fetch: fetchMock as unknown as typeof fetch, sleep });

    // Assess
    expect(result).toEqual({ attempts: 1 });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledWith(URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(PAYLOAD),
      redirect: 'manual',
      signal: expect.any(AbortSignal),
    });
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    // Prepare
    const fetchMock = jest
      .fn()
      .mockResolvedValueOnce(response(429, { 'retry-after': '3' }, 'rate_limited'))
      .mockResolvedValueOnce(response(200, {}, 'ok'));

    // Act
    const result = await postToSlack(URL, PAYLOAD, { fetch: fetchMock, sleep });

    // Assess
    expect(result).toEqual({ attempts: 2 });
    expect(sleeps).toEqual([3000]);
  });

  it('gives up after maxAttempts with SlackDeliveryError carrying a cause but never the URL', async () => {
    // Prepare
    const fetchMock = jest.fn(async () => response(429, { 'retry-after': '1' }, `rate_limited at ${URL}`));

    // Act
    const error = await postToSlack(URL, PAYLOAD, {
      fetch: fetchMock as unknown as typeof fetch,
      sleep,
      maxAttempts: 3,
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(sleeps).toEqual([1000, 1000]);
    const err = error as SlackDeliveryError;
    expect(err.message).toBe('Slack delivery failed after 3 attempts: HTTP 429 rate_limited at <redacted>');
    expect((err.cause as Error).message).not.toContain('SECRETTOKEN');
    expect(JSON.stringify({ m: err.message, c: String(err.cause), s: err.stack })).not.toContain(
      'SECRETTOKEN',
    );
  });

  it('fails at once when Retry-After is longer than it is willing to wait', async () => {
    // Prepare
    const fetchMock = jest.fn(async () => response(429, { 'retry-after': '120' }));

    // Act
    const error = await postToSlack(URL, PAYLOAD, {
      fetch: fetchMock as unknown as typeof fetch,
      sleep,
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect((error as Error).message).toContain('rate-limited the webhook for 120s');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a 4xx such as a revoked webhook', async () => {
    // Prepare
    const fetchMock = jest.fn(async () => response(404, {}, 'no_service'));

    // Act
    const error = await postToSlack(URL, PAYLOAD, {
      fetch: fetchMock as unknown as typeof fetch,
      sleep,
    }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe('Slack rejected the message: HTTP 404 no_service');
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('retries network errors and 5xx with backoff, scrubbing the URL from the error', async () => {
    // Prepare
    const fetchMock = jest
      .fn()
      .mockRejectedValueOnce(new TypeError(`fetch failed for ${URL}`))
      .mockResolvedValueOnce(response(503))
      .mockResolvedValueOnce(response(200));

    // Act
    const result = await postToSlack(URL, PAYLOAD, { fetch: fetchMock, sleep, backoffMs: 100 });

    // Assess
    expect(result).toEqual({ attempts: 3 });
    expect(sleeps).toEqual([100, 200]);
  });
});
