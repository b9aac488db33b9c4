import { SlackDeliveryError, postToSlack } from '../../../shared/notify/slack-poster';
import { HostileSlack } from '../../support/hostile-slack';

const TOKEN = 'xoxbSECRETtoken0123456789';
const PATH = `/services/T0001/B0002/${TOKEN}`;
const PAYLOAD = { text: 'CRITICAL in team/app', blocks: [] };
// Only the waits between attempts are skipped; each attempt's timeout is real (and small).
const noSleep = async (): Promise<void> => undefined;

describe('postToSlack against a hostile endpoint', () => {
  const servers: HostileSlack[] = [];
  const start = async (answer: ConstructorParameters<typeof HostileSlack>[0]) => {
    const server = await new HostileSlack(answer).start();
    servers.push(server);
    return server;
  };

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  it.each([301, 302, 307, 308])(
    'does not follow a %s to another server, which receives nothing, and does not count it delivered',
    async (status) => {
      // Prepare
      const elsewhere = await start((_seen, response) => response.writeHead(200).end('ok'));
      const webhook = await start((_seen, response) =>
        response.writeHead(status, { location: `${elsewhere.origin}/collect` }).end(),
      );

      // Act
      const failure = await postToSlack(`${webhook.origin}${PATH}`, PAYLOAD, { sleep: noSleep }).catch(
        (error: unknown) => error,
      );

      // Assess
      expect(failure).toBeInstanceOf(SlackDeliveryError);
      expect((failure as SlackDeliveryError).message).toBe(
        `Slack webhook answered with a redirect (HTTP ${status}) to ${elsewhere.origin}/collect; redirects are not followed, the message was not delivered`,
      );
      expect((failure as SlackDeliveryError).attempts).toBe(1);
      expect(webhook.requests).toHaveLength(1);
      expect(elsewhere.requests).toEqual([]);
    },
  );

  it('gives up on an endpoint that never answers after its timeout, each attempt bounded', async () => {
    // Prepare: the request is read and never answered.
    const webhook = await start(() => undefined);
    const started = performance.now();

    // Act
    const failure = await postToSlack(`${webhook.origin}${PATH}`, PAYLOAD, {
      sleep: noSleep,
      maxAttempts: 2,
      timeoutMs: 200,
    }).catch((error: unknown) => error);

    // Assess
    expect((failure as SlackDeliveryError).message).toBe(
      'Slack delivery failed after 2 attempts: network error (no answer within 0.2s)',
    );
    expect(webhook.requests).toHaveLength(2);
    expect(JSON.parse(webhook.requests[0].body)).toEqual(PAYLOAD);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('scrubs the webhook path echoed raw, URL-encoded and base64 from the error', async () => {
    // Prepare
    const webhook = await start((seen, response) =>
      response
        .writeHead(400)
        .end(
          [
            `no_service for ${seen.path}`,
            `encoded ${encodeURIComponent(seen.path)}`,
            `token ${TOKEN} base64 ${Buffer.from(`http://127.0.0.1${seen.path}`).toString('base64')}`,
            `url ${Buffer.from(PATH).toString('base64url')}`,
          ].join('\n'),
        ),
    );
    const url = `${webhook.origin}${PATH}`;

    // Act
    const failure = await postToSlack(url, PAYLOAD, { sleep: noSleep }).catch((error: unknown) => error);

    // Assess
    const message = (failure as SlackDeliveryError).message;
    expect(message.startsWith('Slack rejected the message: HTTP 400 no_service for <redacted>')).toBe(true);
    expect(message).not.toMatch(/[\r\n]/);
    for (const form of [
      TOKEN,
      PATH,
      encodeURIComponent(PATH),
      Buffer.from(PATH).toString('base64'),
      Buffer.from(PATH).toString('base64url'),
      Buffer.from(TOKEN).toString('base64'),
    ]) {
      expect(message).not.toContain(form);
    }
    expect(webhook.requests).toHaveLength(1);
  });

  it('delivers once to a well-behaved endpoint', async () => {
    // Prepare
    const webhook = await start((_seen, response) => response.writeHead(200).end('ok'));

    // Act
    const result = await postToSlack(`${webhook.origin}${PATH}`, PAYLOAD, { sleep: noSleep });

    // Assess
    expect(result).toEqual({ attempts: 1 });
    expect(webhook.requests.map((seen) => [seen.method, seen.path])).toEqual([['POST', PATH]]);
  });
});
