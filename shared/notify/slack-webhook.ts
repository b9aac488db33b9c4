import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The Slack webhook secret is missing or malformed. The message names the secret, never its value. */
export class SlackWebhookSecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlackWebhookSecretError';
  }
}

/** Reads the URL out of the secret string: the URL itself, or JSON `{"url": "https://..."}`. */
export function parseWebhookSecret(secretString: string, secretId: string): string {
  const trimmed = secretString.trim();
  let candidate: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      candidate = (JSON.parse(trimmed) as { url?: unknown }).url;
    } catch {
      throw new SlackWebhookSecretError(
        `secret ${secretId}: expected a webhook URL or JSON {"url": "https://..."}, got invalid JSON`,
      );
    }
  }
  if (typeof candidate !== 'string' || !/^https:\/\/[^\s/]+\/\S+$/.test(candidate)) {
    throw new SlackWebhookSecretError(
      `secret ${secretId}: expected a https webhook URL or JSON {"url": "https://..."} (value not shown)`,
    );
  }
  return candidate;
}

/**
 * Returns a function that reads the webhook URL from Secrets Manager once per container and then serves it
 * from memory. A failed read is not cached, so the next invocation tries again.
 */
export function slackWebhookReader(client: SecretsManagerClient, secretId: string): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= (async () => {
      let secretString: string | undefined;
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        secretString = out.SecretString;
      } catch (cause) {
        throw new SlackWebhookSecretError(`secret ${secretId}: could not be read`, { cause });
      }
      if (!secretString) throw new SlackWebhookSecretError(`secret ${secretId}: has no SecretString`);
      return parseWebhookSecret(secretString, secretId);
    })().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
