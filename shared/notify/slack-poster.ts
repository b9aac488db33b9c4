import { Redactor } from '../redact/redact';
import type { SlackPayload } from './slack-blocks';

/** Posting to Slack failed for good. Never carries the webhook URL (it is a secret). */
export class SlackDeliveryError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SlackDeliveryError';
  }
}

export interface SlackPostOptions {
  /** @default 3 */
  readonly maxAttempts?: number;
  /** Longest Retry-After the poster waits for; a longer one fails at once so the caller's retry takes over. @default 10 */
  readonly maxRetryAfterSeconds?: number;
  /** Wait before retrying a 5xx or network error, doubled each attempt. @default 500 */
  readonly backoffMs?: number;
  /** One attempt (connect, send, answer) longer than this is abandoned as a network error. @default 10000 */
  readonly timeoutMs?: number;
  /** @default global fetch */
  readonly fetch?: typeof fetch;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface SlackPostResult {
  readonly attempts: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry-After is seconds (or an HTTP date); unknown values fall back to 1 second. */
function retryAfterSeconds(header: string | null, now = Date.now()): number {
  if (!header) return 1;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1 : Math.max(0, (date - now) / 1000);
}

/**
 * The webhook URL is the secret: a redactor for it, its path and its token segment, in every form (raw,
 * URL-encoded, base64), so nothing Slack (or a proxy) echoes puts it into an error.
 */
function webhookRedactor(url: string): Redactor {
  const redactor = new Redactor([url]);
  try {
    const parsed = new URL(url);
    redactor.add(parsed.href);
    if (parsed.pathname.length > 1) redactor.add(parsed.pathname);
    // hooks.slack.com/services/T…/B…/<token>: the last segment alone is enough to post.
    for (const segment of parsed.pathname.split('/')) if (segment.length >= 8) redactor.add(segment);
    if (parsed.search) redactor.add(parsed.search.slice(1));
  } catch {
    // Not a URL: the raw text is all there is to scrub.
  }
  return redactor;
}

const TEXT_LIMIT = 200;

/**
 * Posts a payload to a Slack incoming webhook. Honours 429 Retry-After and retries 5xx and network errors
 * (a timed-out attempt is one), at most `maxAttempts` times in all; a 4xx other than 429 (bad payload, revoked
 * webhook) fails at once. Redirects are not followed: the payload goes to the webhook's host or nowhere, and a
 * 3xx is a failure, never a delivery. Error texts are cleaned of the webhook URL and cut to one short line.
 */
export async function postToSlack(
  webhookUrl: string,
  payload: SlackPayload,
  options: SlackPostOptions = {},
): Promise<SlackPostResult> {
  const maxAttempts = options.maxAttempts ?? 3;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 10;
  const backoffMs = options.backoffMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const redactor = webhookRedactor(webhookUrl);
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const body = JSON.stringify(payload);

  let lastFailure = 'no attempt made';
  let lastCause: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    let response: Response;
    try {
      response = await doFetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const err = error as Error;
      const what =
        err?.name === 'TimeoutError'
          ? `no answer within ${timeoutMs / 1000}s`
          : `${err?.name}: ${err?.message}`;
      const detail = (err?.cause as Error | undefined)?.message;
      lastFailure = `network error (${redactor.clean(detail ? `${what}: ${detail}` : what, TEXT_LIMIT)})`;
      lastCause = new Error(lastFailure);
      if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1));
      continue;
    }
    // An opaque redirect (status 0) or any 3xx: Slack's webhooks answer 200; a redirect means the URL is wrong or
    // something between wants the payload elsewhere. Following it would post the alert to another host.
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      const where = location ? ` to ${redactor.clean(location, TEXT_LIMIT)}` : '';
      throw new SlackDeliveryError(
        `Slack webhook answered with a redirect (HTTP ${response.status || '3xx'})${where}; redirects are not followed, the message was not delivered`,
        attempt,
      );
    }
    if (response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { attempts: attempt };
    }

    const text = redactor.clean(await response.text().catch(() => ''), TEXT_LIMIT);
    lastFailure = `HTTP ${response.status}${text ? ` ${text}` : ''}`;
    lastCause = new Error(lastFailure);
    if (response.status === 429) {
      const wait = retryAfterSeconds(response.headers.get('retry-after'));
      if (wait > maxRetryAfter) {
        throw new SlackDeliveryError(
          `Slack rate-limited the webhook for ${wait}s (more than the ${maxRetryAfter}s this function waits)`,
          attempt,
          { cause: lastCause },
        );
      }
      if (attempt < maxAttempts) await sleep(wait * 1000);
      continue;
    }
    if (response.status >= 500) {
      if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1));
      continue;
    }
    // 4xx: the payload or the webhook is wrong; retrying cannot help.
    throw new SlackDeliveryError(`Slack rejected the message: ${lastFailure}`, attempt, { cause: lastCause });
  }
  throw new SlackDeliveryError(
    `Slack delivery failed after ${maxAttempts} attempts: ${lastFailure}`,
    maxAttempts,
    {
      cause: lastCause,
    },
  );
}
