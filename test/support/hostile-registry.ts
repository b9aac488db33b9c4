import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { selfSignedCertificate } from './registries';

/** One request as a hostile server saw it: which server, over which scheme, and every header. */
export interface SeenRequest {
  server: string;
  scheme: 'http' | 'https';
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** Answers a request itself (returns true) or leaves it to the registry's ordinary behaviour (false). */
export type Intercept = (
  request: IncomingMessage,
  response: ServerResponse,
  seen: SeenRequest,
) => boolean | Promise<boolean>;

export interface HostileOptions {
  /** A name for the request log. */
  name: string;
  /**
   * Serve TLS (self-signed certificate for 127.0.0.1). The port also answers plain HTTP, so a redirect from
   * https://host:port to http://host:port (a downgrade on the same host and port) reaches the same server.
   */
  tls?: boolean;
  /** Demand Basic credentials (a 401 with a Basic challenge otherwise). */
  basic?: { username: string; password: string };
  /** Called before the ordinary behaviour for every request. */
  intercept?: Intercept;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * A registry written in the tests to misbehave on demand: a small, correct in-memory distribution server (pull and
 * push of blobs and manifests, Basic auth) whose every request can be intercepted, logging every header it
 * receives. Listens on 127.0.0.1 port 0; `log` may be shared between several servers.
 */
export class HostileRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  private readonly uploads = new Map<string, Buffer[]>();
  private listener?: net.Server;
  private readonly servers: (http.Server | https.Server)[] = [];
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly options: HostileOptions,
    readonly log: SeenRequest[] = [],
  ) {}

  /** `127.0.0.1:PORT` */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `https://127.0.0.1:PORT` or `http://…` */
  get origin(): string {
    return `${this.options.tls ? 'https' : 'http'}://${this.host}`;
  }

  /** The requests this server received. */
  get requests(): SeenRequest[] {
    return this.log.filter((seen) => seen.server === this.options.name);
  }

  async start(): Promise<this> {
    const plain = http.createServer((request, response) => this.dispatch('http', request, response));
    const secure = this.options.tls
      ? https.createServer(await selfSignedCertificate(), (request, response) =>
          this.dispatch('https', request, response),
        )
      : undefined;
    const internal: { server: http.Server | https.Server; port: number }[] = [];
    for (const server of secure ? [plain, secure] : [plain]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      internal.push({ server, port: (server.address() as AddressInfo).port });
      this.servers.push(server);
    }
    // One public port for both: a TLS ClientHello starts with 0x16, anything else is plain HTTP. The connection is
    // relayed to the matching internal server (a TLS server cannot take over a socket whose first bytes were read).
    this.listener = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.once('data', (first: Buffer) => {
        const target = secure && first[0] === 0x16 ? internal[1] : internal[0];
        const relay = net.connect(target.port, '127.0.0.1');
        this.sockets.add(relay);
        relay.on('close', () => {
          this.sockets.delete(relay);
          socket.destroy();
        });
        relay.on('error', () => socket.destroy());
        socket.on('close', () => relay.destroy());
        relay.write(first);
        socket.pipe(relay);
        relay.pipe(socket);
      });
    });
    await new Promise<void>((resolve) => this.listener?.listen(0, '127.0.0.1', resolve));
    this.port = (this.listener.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await new Promise<void>((resolve) => (this.listener ? this.listener.close(() => resolve()) : resolve()));
  }

  /** Stores a one-layer image under `repository:tag`; returns the digests. */
  putImage(
    repository: string,
    tag: string,
    layer: Buffer,
  ): { manifest: string; layer: string; config: string } {
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const configDigest = sha256(config);
    const layerDigest = sha256(layer);
    this.blobs.set(configDigest, config);
    this.blobs.set(layerDigest, layer);
    const mediaType = 'application/vnd.oci.image.manifest.v1+json';
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: layerDigest,
            size: layer.length,
          },
        ],
      }),
    );
    const manifest = sha256(bytes);
    this.manifests.set(`${repository}:${tag}`, { bytes, mediaType });
    this.manifests.set(`${repository}@${manifest}`, { bytes, mediaType });
    return { manifest, layer: layerDigest, config: configDigest };
  }

  private dispatch(scheme: 'http' | 'https', request: IncomingMessage, response: ServerResponse): void {
    const seen: SeenRequest = {
      server: this.options.name,
      scheme,
      method: request.method ?? '',
      path: request.url ?? '/',
      headers: { ...request.headers },
    };
    this.log.push(seen);
    void (async () => {
      if (this.options.intercept && (await this.options.intercept(request, response, seen))) return;
      await this.ordinary(request, response);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  }

  private authorized(request: IncomingMessage): boolean {
    const basic = this.options.basic;
    if (!basic) return true;
    const expected = `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
    return request.headers.authorization === expected;
  }

  /** The behaviour of a plain, correct registry. */
  private async ordinary(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readAll(request);
    if (!this.authorized(request)) {
      response.writeHead(401, {
        'www-authenticate': 'Basic realm="hostile"',
        'content-type': 'application/json',
      });
      response.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://x');
    const method = request.method ?? 'GET';
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      response.writeHead(200).end('{}');
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (match && match[2] === 'blobs' && match[3] === 'uploads/' && method === 'POST') {
      const id = randomUUID();
      this.uploads.set(id, []);
      response.writeHead(202, { location: `/v2/${match[1]}/blobs/uploads/${id}`, range: '0-0' }).end();
      return;
    }
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/.exec(url.pathname);
    if (upload) {
      const parts = this.uploads.get(upload[2]);
      if (!parts) {
        response.writeHead(404).end('{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]}');
        return;
      }
      if (body.length > 0) parts.push(body);
      if (method === 'PATCH') {
        const size = parts.reduce((sum, part) => sum + part.length, 0);
        response.writeHead(202, { location: url.pathname, range: `0-${Math.max(0, size - 1)}` }).end();
        return;
      }
      if (method === 'PUT') {
        const bytes = Buffer.concat(parts);
        const digest = url.searchParams.get('digest') ?? '';
        if (sha256(bytes) !== digest) {
          response.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID"}]}');
          return;
        }
        this.blobs.set(digest, bytes);
        this.uploads.delete(upload[2]);
        response.writeHead(201, { 'docker-content-digest': digest }).end();
        return;
      }
      if (method === 'DELETE') {
        this.uploads.delete(upload[2]);
        response.writeHead(204).end();
        return;
      }
    }
    if (match && match[2] === 'blobs') {
      const blob = this.blobs.get(match[3]);
      if (!blob) {
        response.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
        return;
      }
      response.writeHead(200, { 'content-length': blob.length, 'docker-content-digest': match[3] });
      response.end(method === 'HEAD' ? undefined : blob);
      return;
    }
    if (match && match[2] === 'manifests') {
      const ref = match[3];
      const key = ref.startsWith('sha256:') ? `${match[1]}@${ref}` : `${match[1]}:${ref}`;
      if (method === 'PUT') {
        const mediaType = String(request.headers['content-type'] ?? '');
        const digest = sha256(body);
        this.manifests.set(key, { bytes: body, mediaType });
        this.manifests.set(`${match[1]}@${digest}`, { bytes: body, mediaType });
        response.writeHead(201, { 'docker-content-digest': digest }).end();
        return;
      }
      const manifest = this.manifests.get(key);
      if (!manifest) {
        response.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
        return;
      }
      response.writeHead(200, {
        'content-type': manifest.mediaType,
        'content-length': manifest.bytes.length,
        'docker-content-digest': sha256(manifest.bytes),
      });
      response.end(method === 'HEAD' ? undefined : manifest.bytes);
      return;
    }
    response.writeHead(404).end();
  }
}

/** Reads a request body (small in these tests). */
export async function readAll(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}
