import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake answered (or held), in arrival order. */
export interface RecordedCall {
  /** `ecr:PutImage`, `sns:Publish`, `sqs:SendMessage`, ... */
  readonly operation: string;
  /** The JSON body (ECR, SQS) or the form fields (SNS). */
  readonly input: Record<string, unknown>;
  /** False for a held request: the connection hung before the service acted, so nothing changed. */
  readonly applied: boolean;
}

interface Image {
  readonly manifest: string;
  readonly mediaType: string;
  readonly tags: Set<string>;
  readonly findings: { name: string; severity: string }[];
}

/**
 * A stateful stand-in for the ECR, SNS and SQS endpoints the scan function calls: ECR's tags change as
 * PutImage and BatchDeleteImage say, and every request is recorded. `hangOn` holds the next request of
 * one operation open without answering or applying it, the way a black-holed connection does, so a test
 * can kill the caller while an effect hangs. The OS chooses the port (no race with other processes).
 */
export class FakeAws {
  readonly calls: RecordedCall[] = [];
  private readonly images = new Map<string, Image>();
  private readonly held: http.ServerResponse[] = [];
  private hang?: { operation: string; reached: () => void };
  private server?: http.Server;
  endpoint = '';

  /** An image in `repository` with its tags and the findings its scan reports. */
  addImage(
    repository: string,
    digest: string,
    tags: readonly string[],
    findings: { name: string; severity: string }[],
  ): void {
    this.images.set(`${repository}@${digest}`, {
      manifest: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' }),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      tags: new Set(tags),
      findings,
    });
  }

  tagsOf(repository: string, digest: string): string[] {
    return [...(this.images.get(`${repository}@${digest}`)?.tags ?? [])].sort();
  }

  /** Holds the next `operation` request; resolves once it has arrived. */
  hangOn(operation: string): Promise<void> {
    return new Promise((resolve) => {
      this.hang = { operation, reached: resolve };
    });
  }

  /** The calls that took effect, by operation. */
  applied(operation: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.applied && c.operation === operation).map((c) => c.input);
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.handle(request, Buffer.concat(chunks).toString('utf8'), response));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(request: http.IncomingMessage, body: string, response: http.ServerResponse): void {
    const target = String(request.headers['x-amz-target'] ?? '');
    const [service, operation, input] = target.startsWith('AmazonEC2ContainerRegistry_V20150921.')
      ? ['ecr', target.split('.')[1], JSON.parse(body) as Record<string, unknown>]
      : target.startsWith('AmazonSQS.')
        ? ['sqs', target.split('.')[1], JSON.parse(body) as Record<string, unknown>]
        : [
            'sns',
            new URLSearchParams(body).get('Action') ?? '?',
            Object.fromEntries(new URLSearchParams(body)),
          ];
    const name = `${service}:${operation}`;
    if (this.hang?.operation === name) {
      const { reached } = this.hang;
      this.hang = undefined;
      this.calls.push({ operation: name, input, applied: false });
      this.held.push(response);
      reached();
      return;
    }
    this.calls.push({ operation: name, input, applied: true });
    try {
      if (service === 'sns') {
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<${operation}Response><${operation}Result><MessageId>m-${this.calls.length}</MessageId></${operation}Result></${operation}Response>`,
        );
        return;
      }
      const out = service === 'ecr' ? this.ecr(operation, input) : { MessageId: `q-${this.calls.length}` };
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(out));
    } catch (error) {
      const { type, message } = error as { type: string; message: string };
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: type ?? 'InternalFailure', message }));
    }
  }

  private image(input: Record<string, unknown>, digest: string): Image {
    const image = this.images.get(`${String(input.repositoryName)}@${digest}`);
    if (!image) throw { type: 'ImageNotFoundException', message: `no image ${digest}` };
    return image;
  }

  private ecr(operation: string, input: Record<string, unknown>): unknown {
    const ids = (input.imageIds ?? []) as { imageDigest: string; imageTag?: string }[];
    switch (operation) {
      case 'DescribeImages':
        return {
          imageDetails: ids.map((id) => ({
            imageDigest: id.imageDigest,
            imageTags: [...this.image(input, id.imageDigest).tags],
          })),
        };
      case 'DescribeImageScanFindings': {
        const digest = (input.imageId as { imageDigest: string }).imageDigest;
        return { imageScanFindings: { findings: this.image(input, digest).findings } };
      }
      case 'BatchGetImage':
        return {
          images: ids.map((id) => {
            const image = this.image(input, id.imageDigest);
            return { imageId: id, imageManifest: image.manifest, imageManifestMediaType: image.mediaType };
          }),
          failures: [],
        };
      case 'PutImage': {
        const image = this.image(input, String(input.imageDigest));
        const tag = String(input.imageTag);
        if (image.tags.has(tag)) throw { type: 'ImageAlreadyExistsException', message: `${tag} is there` };
        image.tags.add(tag);
        return { image: { imageId: { imageDigest: input.imageDigest, imageTag: tag } } };
      }
      case 'BatchDeleteImage': {
        const failures: unknown[] = [];
        const removed: unknown[] = [];
        for (const id of ids) {
          const image = this.images.get(`${String(input.repositoryName)}@${id.imageDigest}`);
          if (image && id.imageTag && image.tags.delete(id.imageTag)) removed.push(id);
          else failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'not found' });
        }
        return { imageIds: removed, failures };
      }
      default:
        throw { type: 'UnknownOperationException', message: `the fake has no ${operation}` };
    }
  }
}
