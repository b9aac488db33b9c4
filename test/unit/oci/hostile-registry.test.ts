import { randomBytes } from 'node:crypto';
import { CopyError, copyImage, type CopyOptions } from '../../../shared/oci/copy';
import { HostileRegistry, readAll, type Intercept, type SeenRequest } from '../../support/hostile-registry';
import { haveTools } from '../../support/registries';

const CREDS = { username: 'robot', password: 'pa55:word-Secret/42' };
const PAIR = `${CREDS.username}:${CREDS.password}`;
const BASIC = `Basic ${Buffer.from(PAIR).toString('base64')}`;
const LAYER = randomBytes(64 * 1024);
// What an echo of the credentials can look like: raw, the header, base64 and URL-encoded forms.
const SECRET_FORMS = [
  CREDS.password,
  PAIR,
  BASIC,
  Buffer.from(PAIR).toString('base64'),
  Buffer.from(CREDS.password).toString('base64'),
  encodeURIComponent(CREDS.password),
  encodeURIComponent(PAIR),
];
// A generous bound on how long any deadline test may take (the deadlines themselves are a few hundred ms).
const WALL_CLOCK_BOUND_MS = 15_000;

const suite = haveTools(['openssl']) ? describe : describe.skip;

/** Every message and stack in an error's cause chain, for asserting nothing secret is anywhere in it. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    parts.push(current.message, current.stack ?? '');
  }
  return parts.join('\n');
}

function authorized(requests: SeenRequest[]): SeenRequest[] {
  return requests.filter((seen) => seen.headers.authorization !== undefined);
}

suite('copyImage against a hostile registry', () => {
  const servers: HostileRegistry[] = [];
  let log: SeenRequest[];
  let destination: HostileRegistry;

  const server = async (options: ConstructorParameters<typeof HostileRegistry>[0]) => {
    const started = await new HostileRegistry(options, log).start();
    servers.push(started);
    return started;
  };

  beforeEach(async () => {
    log = [];
    destination = await server({ name: 'destination' });
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  const copy = (source: HostileRegistry, extra: Partial<CopyOptions> = {}) =>
    copyImage({
      source: { registry: source.host, repository: 'team/app', tag: 'v1' },
      destination: { registry: destination.host, repository: 'mirror/app', tag: 'v1' },
      sourceCredentials: CREDS,
      plainHttp: (host) => host === destination.host,
      insecureTls: true,
      concurrency: 1,
      retry: { attempts: 3, baseDelayMs: 1 },
      ...extra,
    });

  /** An intercept for one method and path prefix of the source repository. */
  const on =
    (method: string, pathPrefix: string, answer: Intercept): Intercept =>
    (request, response, seen) =>
      seen.method === method && seen.path.startsWith(pathPrefix) ? answer(request, response, seen) : false;

  describe('credentials go only to their origin', () => {
    it.each([
      ['scheme (https -> http, same host and port)', (self: number) => `http://127.0.0.1:${self}`],
      ['host (127.0.0.1 -> localhost, same scheme and port)', (self: number) => `https://localhost:${self}`],
      ['port (another server)', (_self: number, other: number) => `https://127.0.0.1:${other}`],
    ])('follows a blob redirect across %s without any Authorization header', async (_case, target) => {
      // Prepare: the source redirects the layer download; the target serves it like a pre-signed URL.
      let digest = '';
      const serveStorage: Intercept = (_request, response, seen) => {
        if (!seen.path.startsWith('/storage/')) return false;
        response.writeHead(200, { 'content-length': LAYER.length }).end(LAYER);
        return true;
      };
      const storage = await server({ name: 'storage', tls: true, intercept: serveStorage });
      const source = await server({
        name: 'source',
        tls: true,
        basic: CREDS,
        intercept: async (request, response, seen) => {
          if (serveStorage(request, response, seen)) return true;
          if (seen.method !== 'GET' || seen.path !== `/v2/team/app/blobs/${digest}`) return false;
          if (seen.headers.authorization !== BASIC) return false; // the ordinary 401 challenge
          response
            .writeHead(307, { location: `${target(source.port, storage.port)}/storage/${digest}` })
            .end();
          return true;
        },
      });
      digest = source.putImage('team/app', 'v1', LAYER).layer;

      // Act
      const result = await copy(source);

      // Assess
      expect(result.blobsCopied).toBe(2);
      expect(destination.blobs.get(digest)?.equals(LAYER)).toBe(true);
      const downloads = log.filter((seen) => seen.path === `/storage/${digest}`);
      expect(downloads).toHaveLength(1);
      expect(downloads[0].headers.authorization).toBeUndefined();
      // The registry itself got the credentials (after its challenge); nothing else did.
      expect(authorized(log).every((seen) => seen.server === 'source' && seen.scheme === 'https')).toBe(true);
      expect(authorized(log).every((seen) => !seen.path.startsWith('/storage/'))).toBe(true);
    });

    it('sends no credentials to an upload Location on another port, and fails at once with the reason', async () => {
      // Prepare: the destination wants credentials and names an upload URL on another server.
      const collector = await server({
        name: 'collector',
        tls: true,
        intercept: async (request, response) => {
          await readAll(request);
          response.writeHead(401, { 'www-authenticate': 'Basic realm="collector"' }).end();
          return true;
        },
      });
      const secureDestination = await server({
        name: 'secure-destination',
        tls: true,
        basic: CREDS,
        intercept: on('POST', '/v2/mirror/app/blobs/uploads/', (_request, response, seen) => {
          if (seen.headers.authorization !== BASIC) return false;
          response.writeHead(202, { location: `${collector.origin}/upload/1` }).end();
          return true;
        }),
      });
      const source = await server({ name: 'source', tls: true });
      source.putImage('team/app', 'v1', LAYER);

      // Act
      const failure = await copy(source, {
        destination: { registry: secureDestination.host, repository: 'mirror/app', tag: 'v1' },
        sourceCredentials: undefined,
        destinationCredentials: CREDS,
        plainHttp: false,
      }).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(CopyError);
      expect((failure as CopyError).code).toBe('auth');
      expect((failure as CopyError).message).toContain(
        `the upload location ${collector.origin} is not the registry's origin ${secureDestination.origin}`,
      );
      expect(collector.requests.map((seen) => [seen.method, seen.path])).toEqual([
        ['PUT', expect.stringMatching(/^\/upload\/1\?digest=sha256%3A[0-9a-f]{64}$/)],
        // The abandoned upload is cancelled, anonymously too.
        ['DELETE', '/upload/1'],
      ]);
      expect(authorized(collector.requests)).toEqual([]);
    });

    it('refuses an http: token realm of an https registry before sending the credentials anywhere', async () => {
      // Prepare
      const tokens = await server({ name: 'tokens' });
      const source = await server({
        name: 'source',
        tls: true,
        intercept: (_request, response) => {
          response
            .writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.origin}/token",service="hostile"` })
            .end();
          return true;
        },
      });

      // Act
      const failure = await copy(source).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(CopyError);
      expect((failure as CopyError).code).toBe('auth');
      expect((failure as CopyError).message).toBe(
        `refusing to send the credentials for ${source.host} to its token realm ${tokens.origin}: it is not https:`,
      );
      expect(tokens.requests).toEqual([]);
      expect(source.requests).toHaveLength(1);
      expect(authorized(log)).toEqual([]);
    });

    it('never sends credentials over plain HTTP, even to the registry that asks for them', async () => {
      // Prepare
      const source = await server({ name: 'source', basic: CREDS });
      source.putImage('team/app', 'v1', LAYER);

      // Act
      const failure = await copy(source, { plainHttp: true }).catch((error: unknown) => error);

      // Assess
      expect((failure as CopyError).code).toBe('auth');
      expect((failure as CopyError).message).toContain(
        `credentials are never sent over plain HTTP (${source.host} is spoken to over http:)`,
      );
      expect(source.requests).toHaveLength(1);
      expect(authorized(log)).toEqual([]);
    });
  });

  describe('registry-supplied text is cleaned, one line and cut', () => {
    const echo = (request: { headers: { authorization?: string } }) =>
      [
        `you sent Authorization: ${request.headers.authorization}`,
        `decoded ${Buffer.from(String(request.headers.authorization).slice(6), 'base64').toString()}`,
        `url-encoded ${encodeURIComponent(CREDS.password)} and ${encodeURIComponent(PAIR)}`,
        `base64 ${Buffer.from(CREDS.password).toString('base64')}`,
      ].join('\n');

    it.each([
      ['a 400 with a text body', 400, (text: string) => text],
      [
        'a 403 with an error document',
        403,
        (text: string) => JSON.stringify({ errors: [{ code: 'DENIED', message: text }] }),
      ],
      ['a 500 with a text body (retried)', 500, (text: string) => text],
    ])('removes echoed credentials in every form from %s', async (_case, status, format) => {
      // Prepare
      const source = await server({
        name: 'source',
        tls: true,
        basic: CREDS,
        intercept: on('GET', '/v2/team/app/manifests/', async (request, response, seen) => {
          if (seen.headers.authorization !== BASIC) return false;
          await readAll(request);
          response.writeHead(status, { 'content-type': 'text/plain' }).end(format(echo(seen)));
          return true;
        }),
      });

      // Act
      const failure = await copy(source).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(CopyError);
      const text = errorText(failure);
      for (const form of SECRET_FORMS) expect(text).not.toContain(form);
      expect((failure as Error).message).toContain('<redacted>');
      expect((failure as Error).message).not.toMatch(/[\r\n]/);
      const manifestGets = source.requests.filter(
        (seen) => seen.method === 'GET' && seen.path.includes('/manifests/'),
      );
      // One anonymous probe answered by the challenge, then one authorized attempt per try (500 is retried).
      expect(manifestGets).toHaveLength(status === 500 ? 4 : 2);
    });

    it('puts a multi-line 30 KB error body on one line, cut to 300 characters', async () => {
      // Prepare
      const body = `first line\r\nharbormaster: copy succeeded (forged)\n${'x'.repeat(30_000)}`;
      const source = await server({
        name: 'source',
        tls: true,
        intercept: on('GET', '/v2/team/app/manifests/', (_request, response) => {
          response.writeHead(400).end(body);
          return true;
        }),
      });

      // Act
      const failure = await copy(source, { sourceCredentials: undefined }).catch((error: unknown) => error);

      // Assess
      const message = (failure as CopyError).message;
      expect(message).toBe(
        `GET manifest v1 from ${source.host}: HTTP 400 (first line harbormaster: copy succeeded (forged) ${'x'.repeat(
          300 - 'first line harbormaster: copy succeeded (forged) '.length,
        )}… (${body.length - 1 - 300} more characters))`,
      );
      expect(message).not.toMatch(/[\r\n]/);
      expect(source.requests).toHaveLength(1);
    });
  });

  describe('deadlines and what is not retried', () => {
    let layerDigest: string;
    let source: HostileRegistry;
    let blobBody: Intercept;
    const blobGets = () =>
      source.requests.filter((seen) => seen.path === `/v2/team/app/blobs/${layerDigest}`);

    beforeEach(async () => {
      source = await server({
        name: 'source',
        intercept: (request, response, seen) =>
          seen.method === 'GET' && seen.path === `/v2/team/app/blobs/${layerDigest}`
            ? blobBody(request, response, seen)
            : false,
      });
      layerDigest = source.putImage('team/app', 'v1', LAYER).layer;
    });

    const plainCopy = (extra: Partial<CopyOptions>) =>
      copy(source, { sourceCredentials: undefined, plainHttp: true, ...extra });

    it('drops a stalled blob stream after one throughput window and retries it, naming the blob', async () => {
      // Prepare: 10 bytes, then nothing.
      blobBody = (_request, response) => {
        response.writeHead(200, { 'content-length': LAYER.length });
        response.write(LAYER.subarray(0, 10));
        return true;
      };
      const started = performance.now();

      // Act
      const failure = await plainCopy({
        retry: { attempts: 2, baseDelayMs: 1 },
        deadlines: { throughputWindowMs: 200, minBytesPerSecond: 1024 },
      }).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(CopyError);
      expect((failure as CopyError).code).toBe('network');
      expect((failure as CopyError).message).toMatch(
        new RegExp(
          `^blob ${layerDigest}: 10 bytes in 0\\.\\ds, below the minimum of 1024 bytes/s \\(gave up after retries\\)$`,
        ),
      );
      expect(blobGets()).toHaveLength(2);
      expect(performance.now() - started).toBeLessThan(WALL_CLOCK_BOUND_MS);
    });

    it('fails a blob trickling one byte at a time at its deadline, not retried past it', async () => {
      // Prepare: a byte every 50 ms (a scaled-down "a byte every 2 s"), each window judged too slow, retried.
      const timers: NodeJS.Timeout[] = [];
      blobBody = (_request, response) => {
        response.writeHead(200, { 'content-length': LAYER.length });
        let sent = 0;
        const timer = setInterval(() => {
          if (response.destroyed) return clearInterval(timer);
          response.write(LAYER.subarray(sent, sent + 1));
          sent += 1;
        }, 50);
        timers.push(timer);
        return true;
      };
      const started = performance.now();

      // Act
      const failure = await plainCopy({
        retry: { attempts: 100, baseDelayMs: 1 },
        deadlines: { throughputWindowMs: 200, minBytesPerSecond: 1024, blobMs: 900 },
      }).catch((error: unknown) => error);
      timers.forEach(clearInterval);

      // Assess
      expect((failure as CopyError).code).toBe('timeout');
      expect((failure as CopyError).message).toBe(
        `blob ${layerDigest} (${LAYER.length} bytes) was not copied within its deadline of 0.9s`,
      );
      const attempts = blobGets().length;
      // Each attempt lasts at least one 200 ms window, so at most 5 fit in the deadline (fewer on a busy machine).
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(5);
      expect(performance.now() - started).toBeLessThan(WALL_CLOCK_BOUND_MS);
    });

    it('fails the whole copy at its timeout (the CLI --timeout), whatever the retries allow', async () => {
      // Prepare: the layer's stream stalls after 10 bytes, every time.
      blobBody = (_request, response) => {
        response.writeHead(200, { 'content-length': LAYER.length });
        response.write(LAYER.subarray(0, 10));
        return true;
      };
      const started = performance.now();

      // Act
      const failure = await plainCopy({
        timeoutMs: 700,
        retry: { attempts: 100, baseDelayMs: 1 },
        deadlines: { throughputWindowMs: 200, minBytesPerSecond: 1024 },
      }).catch((error: unknown) => error);

      // Assess
      expect((failure as CopyError).code).toBe('timeout');
      expect((failure as CopyError).message).toBe('the copy did not finish within its timeout of 0.7s');
      expect(
        destination.requests.filter((seen) => seen.method === 'PUT' && seen.path.includes('/manifests/')),
      ).toEqual([]);
      expect(performance.now() - started).toBeLessThan(WALL_CLOCK_BOUND_MS);
    });

    it('bounds a call that never answers by the request timeout', async () => {
      // Prepare: the manifest GET is accepted and never answered.
      const hung = await server({
        name: 'hung',
        intercept: on('GET', '/v2/team/app/manifests/', () => true),
      });
      const started = performance.now();

      // Act
      const failure = await copy(hung, {
        sourceCredentials: undefined,
        plainHttp: true,
        retry: { attempts: 2, baseDelayMs: 1 },
        deadlines: { requestMs: 300 },
      }).catch((error: unknown) => error);

      // Assess
      expect((failure as CopyError).code).toBe('network');
      expect((failure as CopyError).message).toBe(
        `ETIMEDOUT GET ${hung.host}: no complete answer within 0.3s (gave up after retries)`,
      );
      expect(hung.requests).toHaveLength(2);
      expect(performance.now() - started).toBeLessThan(WALL_CLOCK_BOUND_MS);
    });

    it('bounds a manifest body that trickles after its headers by the request timeout', async () => {
      // Prepare: headers at once, then a byte every 50 ms of a 10 KB body.
      const timers: NodeJS.Timeout[] = [];
      const slow = await server({
        name: 'slow',
        intercept: on('GET', '/v2/team/app/manifests/', (_request, response) => {
          response.writeHead(200, {
            'content-type': 'application/vnd.oci.image.manifest.v1+json',
            'content-length': 10_000,
          });
          const timer = setInterval(
            () => (response.destroyed ? clearInterval(timer) : response.write(' ')),
            50,
          );
          timers.push(timer);
          return true;
        }),
      });

      // Act
      const failure = await copy(slow, {
        sourceCredentials: undefined,
        plainHttp: true,
        retry: { attempts: 2, baseDelayMs: 1 },
        deadlines: { requestMs: 300 },
      }).catch((error: unknown) => error);
      timers.forEach(clearInterval);

      // Assess
      expect((failure as CopyError).code).toBe('network');
      expect((failure as CopyError).message).toMatch(
        /no complete answer within 0\.3s \(gave up after retries\)$/,
      );
      expect(slow.requests).toHaveLength(2);
    });

    it('bounds a TLS handshake that never completes by the connect timeout', async () => {
      // Prepare: a listener that accepts connections and never says a word.
      const sockets: import('node:net').Socket[] = [];
      const silent = (await import('node:net')).createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as import('node:net').AddressInfo).port;
      const started = performance.now();

      // Act
      const failure = await copyImage({
        source: { registry: `127.0.0.1:${port}`, repository: 'team/app', tag: 'v1' },
        destination: { registry: destination.host, repository: 'mirror/app', tag: 'v1' },
        plainHttp: (host) => host === destination.host,
        retry: { attempts: 2, baseDelayMs: 1 },
        deadlines: { connectMs: 200 },
      }).catch((error: unknown) => error);
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));

      // Assess
      expect((failure as CopyError).code).toBe('network');
      expect((failure as CopyError).message).toBe(
        `ETIMEDOUT GET 127.0.0.1:${port}: could not connect within 0.2s (gave up after retries)`,
      );
      expect(sockets).toHaveLength(2);
      expect(performance.now() - started).toBeLessThan(WALL_CLOCK_BOUND_MS);
    });

    it.each([
      ['with a Content-Length', true],
      ['streamed without a Content-Length', false],
    ])('refuses a 5 MiB manifest %s at once, with one request', async (_case, withLength) => {
      // Prepare
      const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
      const huge = await server({
        name: 'huge',
        intercept: on('GET', '/v2/team/app/manifests/', (_request, response) => {
          response.writeHead(200, {
            'content-type': 'application/vnd.oci.image.manifest.v1+json',
            ...(withLength ? { 'content-length': big.length } : {}),
          });
          response.end(big);
          return true;
        }),
      });

      // Act
      const failure = await copy(huge, { sourceCredentials: undefined, plainHttp: true }).catch(
        (error: unknown) => error,
      );

      // Assess
      expect((failure as CopyError).code).toBe('too-large');
      expect((failure as CopyError).message).toBe(
        `manifest team/app:v1 at ${huge.host} is larger than 4 MiB, the most a registry must accept; not copied`,
      );
      expect(huge.requests.map((seen) => `${seen.method} ${seen.path}`)).toEqual([
        'GET /v2/team/app/manifests/v1',
      ]);
    });

    it.each([
      [401, 'auth'],
      [403, 'auth'],
      [404, 'not-found'],
    ])('does not retry a %s', async (status, code) => {
      // Prepare
      const refusing = await server({
        name: 'refusing',
        intercept: on('GET', '/v2/team/app/manifests/', (_request, response) => {
          response.writeHead(status).end();
          return true;
        }),
      });

      // Act
      const failure = await copy(refusing, { sourceCredentials: undefined, plainHttp: true }).catch(
        (error: unknown) => error,
      );

      // Assess
      expect((failure as CopyError).code).toBe(code);
      expect(refusing.requests).toHaveLength(1);
    });
  });
});
