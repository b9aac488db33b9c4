import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Sits between the functions and moto: counts every AWS call by service and operation (the DESIGN's "AWS
 * calls per event" budgets) and enforces request-rate quotas moto does not have, answering over the rate
 * exactly as the service does: HTTP 400, `ThrottlingException`, so the SDK's own retry logic is what copes.
 */
export interface RateQuota {
  /** `ecr.PutImage` */
  readonly operation: string;
  /** Requests per second, per region (ECR's PutImage: 10). */
  readonly perSecond: number;
}

export interface ProxyStats {
  readonly calls: Record<string, number>;
  readonly throttled: Record<string, number>;
}

const TARGET_SERVICES: Record<string, string> = {
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
  DynamoDB_20120810: 'dynamodb',
  AmazonSQS: 'sqs',
  secretsmanager: 'secretsmanager',
  AWSEvents: 'events',
};

/**
 * DynamoDB writes moto applies one at a time. Its threaded server checks a ConditionExpression and then writes
 * without a lock, so two conditional writes of one item can both pass (two events both claimed an image's
 * lease, seen as a doubled alert); DynamoDB's conditional writes are atomic, and one at a time they are here too.
 */
const SERIALIZED = new Set(
  ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'].map(
    (op) => `dynamodb.${op}`,
  ),
);

export class AwsProxy {
  readonly stats: ProxyStats = { calls: {}, throttled: {} };
  private server?: http.Server;
  /** Token buckets per operation and region. */
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();
  /** The DynamoDB write in progress: the next waits for it (see SERIALIZED). */
  private writing: Promise<void> = Promise.resolve();
  endpoint = '';

  constructor(
    private readonly upstream: string,
    private quotas: readonly RateQuota[] = [],
    private readonly now: () => number = () => Date.now(),
  ) {}

  setQuotas(quotas: readonly RateQuota[]): void {
    this.quotas = quotas;
    this.buckets.clear();
  }

  resetStats(): void {
    for (const key of Object.keys(this.stats.calls)) delete this.stats.calls[key];
    for (const key of Object.keys(this.stats.throttled)) delete this.stats.throttled[key];
  }

  async start(): Promise<string> {
    const upstream = new URL(this.upstream);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const { operation, region } = identify(req.headers, body);
        this.stats.calls[operation] = (this.stats.calls[operation] ?? 0) + 1;
        if (!this.admit(operation, region)) {
          this.stats.throttled[operation] = (this.stats.throttled[operation] ?? 0) + 1;
          res.writeHead(400, {
            'Content-Type': 'application/x-amz-json-1.1',
            'x-amzn-ErrorType': 'ThrottlingException',
          });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
        const send = () =>
          new Promise<void>((done) => {
            // Whatever ends the exchange lets the next write go, a caller hanging up included.
            res.once('close', done);
            const forward = http.request(
              {
                host: upstream.hostname,
                port: upstream.port,
                method: req.method,
                path: req.url,
                headers: req.headers,
                agent,
              },
              (upstreamRes) => {
                res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
                upstreamRes.pipe(res);
                upstreamRes.once('end', done);
                upstreamRes.once('error', done);
              },
            );
            forward.on('error', (error) => {
              res.writeHead(502);
              res.end(String(error.message));
              done();
            });
            forward.end(body);
          });
        if (!SERIALIZED.has(operation)) return void send();
        this.writing = this.writing.then(send);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  private admit(operation: string, region: string): boolean {
    const quota = this.quotas.find((q) => q.operation === operation);
    if (!quota) return true;
    const key = `${operation}/${region}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: quota.perSecond, updated: now };
    bucket.tokens = Math.min(
      quota.perSecond,
      bucket.tokens + ((now - bucket.updated) / 1000) * quota.perSecond,
    );
    bucket.updated = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** `service.Operation` and region of a request: from X-Amz-Target (JSON protocols) or Action= (query protocol). */
export function identify(
  headers: http.IncomingHttpHeaders,
  body: Buffer,
): { operation: string; region: string } {
  const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  const region = scope?.[1] ?? 'unknown';
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) {
    const [prefix, op] = target.split('.');
    return { operation: `${TARGET_SERVICES[prefix] ?? scope?.[2] ?? prefix}.${op}`, region };
  }
  const action = new URLSearchParams(body.toString('utf8')).get('Action');
  return { operation: `${scope?.[2] ?? 'unknown'}.${action ?? 'unknown'}`, region };
}
