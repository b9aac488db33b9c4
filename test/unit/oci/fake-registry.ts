import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { selfSignedCertificate } from '../../support/registries';
import type { AddressInfo } from 'node:net';

/** One request as the fake registry saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

export interface FakeRegistryOptions {
  /** Require basic auth (ECR style: 401 with a Basic challenge) or the bearer-token flow with these credentials. */
  auth?: { scheme: 'basic' | 'bearer'; username: string; password: string };
  /** Behave like Amazon ECR: PATCH answers 201 with a Range stuck at the first part; parts under 5 MiB except the last fail the upload. */
  ecr?: boolean;
  /** Drop the connection half-way through the body of the PATCH with this 0-based index (once). */
  dropPatch?: number;
  /** Answer the PATCH with this 0-based index with 503 at once, without reading its body (once). */
  rejectPatch?: number;
  /** Serve HTTPS with a self-signed certificate (credentials are never sent over plain HTTP). */
  tls?: boolean;
  /** Answer this many HEAD requests with 429 + Retry-After: 0 before behaving. */
  throttleHeads?: number;
}

const ECR_MIN_PART = 5 * 1024 * 1024;

/**
 * A small in-memory OCI distribution server for unit tests of behaviour real registries do not show on demand
 * (ECR's 201 and part minimum, dropped connections, throttling, bearer tokens).
 */
export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly requests: SeenRequest[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly uploads = new Map<string, { parts: Buffer[] }>();
  private server?: http.Server | https.Server;
  private throttled = 0;
  private patches = 0;
  host = '';

  constructor(private readonly options: FakeRegistryOptions = {}) {}

  async start(): Promise<string> {
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      this.handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    };
    this.server = this.options.tls
      ? https.createServer(await selfSignedCertificate(), handler)
      : http.createServer(handler);
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.host;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  putBlob(bytes: Buffer): string {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    this.blobs.set(digest, bytes);
    return digest;
  }

  putManifest(repository: string, tag: string, value: unknown, mediaType: string): string {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    this.manifests.set(`${repository}@${digest}`, { bytes, mediaType });
    this.manifests.set(`${repository}:${tag}`, { bytes, mediaType });
    return digest;
  }

  /** Sizes of the PATCH parts that completed, per upload, in order. */
  readonly completedParts: number[][] = [];

  private authorized(request: IncomingMessage): boolean {
    const auth = this.options.auth;
    if (!auth) return true;
    const header = request.headers.authorization ?? '';
    if (auth.scheme === 'basic') {
      return header === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    }
    return header === 'Bearer fake-token';
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${this.host}`);
    if (url.pathname === '/token') return this.token(request, url, response);
    const seen: SeenRequest = {
      method: request.method ?? '',
      path: url.pathname + url.search,
      headers: request.headers,
      bodyBytes: 0,
    };
    this.requests.push(seen);
    if (!this.authorized(request)) {
      await drain(request);
      const auth = this.options.auth;
      response.setHeader(
        'www-authenticate',
        auth?.scheme === 'bearer'
          ? `Bearer realm="${this.options.tls ? 'https' : 'http'}://${this.host}/token",service="fake-registry"`
          : `Basic realm="https://${this.host}/",service="ecr.amazonaws.com"`,
      );
      response.statusCode = 401;
      response.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'Not Authorized' }] }));
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!match) return void response.writeHead(404).end();
    const [, repository, kind, rest] = match;
    if (kind === 'manifests') return this.manifest(request, response, repository, rest);
    if (rest === 'uploads/' || rest.startsWith('uploads/'))
      return this.upload(request, response, url, repository, rest.slice('uploads/'.length), seen);
    return this.blob(request, response, rest);
  }

  private async token(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
    this.tokenRequests.push(url.searchParams);
    const auth = this.options.auth;
    const expected = auth
      ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
      : '';
    if (request.headers.authorization !== expected) return void response.writeHead(401).end('{}');
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ token: 'fake-token', expires_in: 300 }));
  }

  private async manifest(
    request: IncomingMessage,
    response: ServerResponse,
    repository: string,
    ref: string,
  ): Promise<void> {
    const key = ref.startsWith('sha256:') ? `${repository}@${ref}` : `${repository}:${ref}`;
    if (request.method === 'PUT') {
      const bytes = await readAll(request);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      this.manifests.set(key, { bytes, mediaType: String(request.headers['content-type']) });
      this.manifests.set(`${repository}@${digest}`, {
        bytes,
        mediaType: String(request.headers['content-type']),
      });
      response.setHeader('docker-content-digest', digest);
      return void response.writeHead(201).end();
    }
    const found = this.manifests.get(key);
    if (!found) return void response.writeHead(404).end();
    if (request.method === 'HEAD' && this.throttled < (this.options.throttleHeads ?? 0)) {
      this.throttled += 1;
      response.setHeader('retry-after', '0');
      return void response.writeHead(429).end();
    }
    response.setHeader('content-type', found.mediaType);
    response.setHeader(
      'docker-content-digest',
      `sha256:${createHash('sha256').update(found.bytes).digest('hex')}`,
    );
    response.setHeader('content-length', found.bytes.length);
    response.writeHead(200).end(request.method === 'HEAD' ? undefined : found.bytes);
  }

  private async blob(request: IncomingMessage, response: ServerResponse, digest: string): Promise<void> {
    const bytes = this.blobs.get(digest);
    if (!bytes) return void response.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(String(request.headers.range ?? ''));
    if (range && request.method === 'GET') {
      const start = Number(range[1]);
      response.setHeader('content-range', `bytes ${start}-${bytes.length - 1}/${bytes.length}`);
      response.setHeader('content-length', bytes.length - start);
      return void response.writeHead(206).end(bytes.subarray(start));
    }
    response.setHeader('content-length', bytes.length);
    response.writeHead(200).end(request.method === 'HEAD' ? undefined : bytes);
  }

  private async upload(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    repository: string,
    id: string,
    seen: SeenRequest,
  ): Promise<void> {
    const location = (uploadId: string) => `/v2/${repository}/blobs/uploads/${uploadId}`;
    if (request.method === 'POST') {
      const uploadId = randomUUID();
      this.uploads.set(uploadId, { parts: [] });
      response.setHeader('location', location(uploadId));
      response.setHeader('range', '0-0');
      return void response.writeHead(202).end();
    }
    const upload = this.uploads.get(id);
    if (!upload)
      return void response.writeHead(404).end(JSON.stringify({ errors: [{ code: 'BLOB_UPLOAD_UNKNOWN' }] }));
    const received = upload.parts.reduce((sum, part) => sum + part.length, 0);
    if (request.method === 'GET') {
      response.setHeader('range', `0-${Math.max(0, received - 1)}`);
      response.setHeader('location', location(id));
      return void response.writeHead(204).end();
    }
    if (request.method === 'PATCH') {
      const patchIndex = this.patches++;
      const range = /^(\d+)-(\d+)$/.exec(String(request.headers['content-range'] ?? ''));
      if (!range || Number(range[1]) !== received) {
        await drain(request);
        return void response.writeHead(416).end();
      }
      if (patchIndex === this.options.rejectPatch) {
        response.setHeader('connection', 'close');
        return void response
          .writeHead(503)
          .end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'try later' }] }));
      }
      if (patchIndex === this.options.dropPatch) {
        // Read part of the body, keep none of it, and cut the connection.
        const socket = request.socket;
        await readSome(request, Number(request.headers['content-length']) / 2);
        socket.destroy();
        return;
      }
      const body = await readAll(request);
      seen.bodyBytes = body.length;
      upload.parts.push(body);
      const end = this.options.ecr ? upload.parts[0].length - 1 : received + body.length - 1;
      response.setHeader('location', location(id));
      response.setHeader('range', `0-${end}`);
      return void response.writeHead(this.options.ecr ? 201 : 202).end();
    }
    if (request.method === 'PUT') {
      const body = await readAll(request);
      seen.bodyBytes = body.length;
      if (body.length > 0) upload.parts.push(body);
      const parts = upload.parts.map((part) => part.length);
      if (this.options.ecr && parts.slice(0, -1).some((size) => size < ECR_MIN_PART)) {
        return void response
          .writeHead(400)
          .end(JSON.stringify({ errors: [{ code: 'PART_TOO_SMALL', message: 'part under 5 MiB' }] }));
      }
      const bytes = Buffer.concat(upload.parts);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (digest !== url.searchParams.get('digest')) {
        return void response.writeHead(400).end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID' }] }));
      }
      this.completedParts.push(parts);
      this.blobs.set(digest, bytes);
      this.uploads.delete(id);
      response.setHeader('docker-content-digest', digest);
      return void response.writeHead(201).end();
    }
    if (request.method === 'DELETE') {
      this.uploads.delete(id);
      return void response.writeHead(204).end();
    }
    response.writeHead(405).end();
  }
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of request) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function readSome(request: IncomingMessage, count: number): Promise<void> {
  let read = 0;
  for await (const chunk of request) {
    read += (chunk as Buffer).length;
    if (read >= count) return;
  }
}

async function drain(request: IncomingMessage): Promise<void> {
  for await (const _chunk of request) void _chunk;
}

/** An OCI image manifest over the given blobs (the first is the config). */
export function imageManifest(
  config: { digest: string; size: number },
  layers: { digest: string; size: number }[],
): unknown {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer })),
  };
}
