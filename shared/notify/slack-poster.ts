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

/** Removes every occurrence of the webhook URL (and its path) from a text before it goes into an error. */
function scrub(text: string, url: string): string {
  let out = text.split(url).join('<webhook>');
  try {
    const path = new URL(url).pathname;
    if (path.length > 1) out = out.split(path).join('<webhook-path>');
  } catch {
    // Not a URL: nothing more to scrub.
  }
  return out;
}

/**
 * Posts a payload to a Slack incoming webhook. Honours 429 Retry-After and retries 5xx and network errors,
 * at most `maxAttempts` times in all; a 4xx other than 429 (bad payload, revoked webhook) fails at once.
 */
export async function postToSlack(
  webhookUrl: string,
  payload: SlackPayload,
  options: SlackPostOptions = {},
): Promise<SlackPostResult> {
  const maxAttempts = options.maxAttempts ?? 3;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 10;
  const backoffMs = options.backoffMs ?? 500;
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
      });
    } catch (error) {
      const err = error as Error;
      lastFailure = `network error (${scrub(`${err.name}: ${err.message}`, webhookUrl)})`;
      lastCause = new Error(lastFailure);
      if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1));
      continue;
    }
    if (response.ok) return { attempts: attempt };

    const text = scrub((await response.text().catch(() => '')).slice(0, 200), webhookUrl);
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
