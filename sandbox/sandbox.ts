import { DescribeImagesCommand, StartImageScanCommand, type ImageDetail } from '@aws-sdk/client-ecr';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AuditStore } from '../shared/audit/timeline-store';
import { loadConfig } from '../shared/config/load';
import type { HarbormasterConfig } from '../shared/config/schema';
import type { AuditEntry } from '../shared/domain/types';
import { ecrRegistryHost } from '../shared/replication/destination-ref';
import { ENV } from '../shared/runtime/env-names';
import { AwsClients } from './aws';
import { AwsProxy, type RateQuota } from './aws-proxy';
import { loadAssembly, synthesize, type CloudAssembly } from './cloud-assembly';
import { EventBus, type BusEvent, type Delivery } from './event-bus';
import { QueueEventSourceRunner, TopicFunctionRunner, type Timing } from './event-sources';
import { FunctionPool } from './function-runner';
import { buildImage, pushToRegistry, putImageInEcr, type BuiltImage } from './images';
import { startMoto, type Moto } from './moto';
import { provision, type Provisioned, type QueueResource } from './provision';
import { startLocalRegistry, type LocalRegistry } from './registries';
import { SlackSink } from './slack-sink';
import { createTls, type SandboxTls } from './tls';
import { DOCKER_REGISTRY, MOTO, OPENSSL, requireTools } from './tools';

export interface SandboxOptions {
  /** The Harbormaster config to synthesize. @default harbormaster.config.yaml */
  readonly configFile?: string;
  /** Reuse this cloud assembly instead of synthesizing (it must come from the same config). */
  readonly cdkOut?: string;
  /** The emulated account. @default the config's env.account, else 111122223333 */
  readonly account?: string;
  /** Execution environments per function when the mapping sets no MaximumConcurrency. @default 2 */
  readonly concurrency?: number;
  /** Per event source: replaces the template's MaximumConcurrency (the burst bench tries values). */
  readonly maxConcurrencyOverride?: number;
  /** Request-rate quotas enforced in front of moto. @default none */
  readonly quotas?: readonly RateQuota[];
  /** @default { retryDelaySeconds: 1 } (see event-sources.ts) */
  readonly timing?: Timing;
  /** Where logs, certificates and registry storage go. @default a new temp dir, removed on stop unless kept */
  readonly workDir?: string;
  readonly keepWorkDir?: boolean;
  /** Progress lines (stderr). */
  readonly log?: (line: string) => void;
}

/** The Slack placeholder: an https URL on Slack's host, which the network shim sends to the local sink. */
const SLACK_HOST = 'hooks.slack.com';
const SLACK_PLACEHOLDER = `https://${SLACK_HOST}/services/T0SANDBOX/B0SANDBOX/sandbox-placeholder`;

/** Placeholder values for the secrets the config names: shaped as each reader expects, never a real credential. */
export function placeholderSecrets(config: HarbormasterConfig): Record<string, string> {
  const secrets: Record<string, string> = {};
  if (config.notifications.slackWebhookSecret) {
    secrets[config.notifications.slackWebhookSecret] = JSON.stringify({ url: SLACK_PLACEHOLDER });
  }
  for (const rule of config.gatedReplication) {
    for (const destination of rule.destinations) {
      if (destination.type === 'registry' && destination.credentialsSecret) {
        secrets[destination.credentialsSecret] = JSON.stringify({
          username: 'sandbox',
          password: 'sandbox-placeholder',
        });
      }
    }
  }
  for (const rule of config.pullThroughCache ?? []) {
    if (rule.credentialSecret) {
      secrets[rule.credentialSecret] = JSON.stringify({
        username: 'sandbox',
        accessToken: 'sandbox-placeholder',
      });
    }
  }
  return secrets;
}

/** Every registry host a function may speak to: ECR of each region and account involved, and external hosts. */
export function standInHosts(
  config: HarbormasterConfig,
  account: string,
  regions: readonly string[],
): { ecr: string[]; external: string[] } {
  const ecr = new Set(regions.map((region) => ecrRegistryHost(account, region)));
  const external = new Set<string>();
  for (const rule of config.gatedReplication) {
    for (const destination of rule.destinations) {
      if (destination.type === 'ecr')
        ecr.add(ecrRegistryHost(destination.account ?? account, destination.region));
      else external.add(destination.host.replace(/:\d+$/, ''));
    }
  }
  return { ecr: [...ecr], external: [...external] };
}

export interface ImageSummary {
  readonly repository: string;
  readonly region: string;
  readonly digest: string;
  readonly tags: string[];
  readonly audit: AuditEntry[];
}

/**
 * The synthesized stacks running on a local AWS: moto (provisioned from the templates), local registries
 * standing in for ECR's registry hosts and external registries, the functions run from their bundles and fed
 * by their event sources. One instance per demo, replay, test file or bench run.
 */
export class Sandbox {
  readonly published = new Map<string, unknown[]>();
  readonly probeMessages = new Map<string, unknown[]>();
  readonly deadLetters = new Map<string, { body: string; receiveCount: number }[]>();

  private constructor(
    readonly config: HarbormasterConfig,
    readonly account: string,
    readonly region: string,
    readonly workDir: string,
    readonly assembly: CloudAssembly,
    readonly moto: Moto,
    readonly proxy: AwsProxy,
    readonly clients: AwsClients,
    readonly tls: SandboxTls,
    readonly registries: Map<string, LocalRegistry>,
    readonly slack: SlackSink,
    readonly resources: Provisioned,
    readonly bus: EventBus,
    readonly pools: Map<string, FunctionPool>,
    readonly queueSources: QueueEventSourceRunner[],
    readonly topicRunners: TopicFunctionRunner[],
    private readonly removeWorkDir: boolean,
  ) {}

  static async start(options: SandboxOptions = {}): Promise<Sandbox> {
    const log = options.log ?? (() => undefined);
    const tools = requireTools([MOTO, DOCKER_REGISTRY, OPENSSL]);
    const configFile = options.configFile ?? 'harbormaster.config.yaml';
    const config = loadConfig(configFile);
    const account = options.account ?? config.env.account ?? '111122223333';
    const region = config.env.region;
    const workDir = options.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'harbormaster-sandbox-')));
    await mkdir(path.join(workDir, 'logs'), { recursive: true });
    const cleanup: (() => Promise<void>)[] = [];
    try {
      let assembly: CloudAssembly;
      if (options.cdkOut) {
        assembly = loadAssembly(options.cdkOut);
      } else {
        log(`synthesizing ${configFile} ...`);
        assembly = await synthesize(configFile, path.join(workDir, 'cdk.out'));
      }
      log('starting moto_server ...');
      const moto = await startMoto(tools.moto_server, account);
      cleanup.push(() => moto.stop());
      const regions = [...new Set([region, ...assembly.stacks.map((s) => s.region ?? region)])];
      const hosts = standInHosts(config, account, regions);
      const tlsDir = path.join(workDir, 'tls');
      await mkdir(tlsDir, { recursive: true });
      const tls = await createTls(tlsDir, [...hosts.ecr, ...hosts.external, SLACK_HOST]);
      log(`starting ${hosts.ecr.length + hosts.external.length} docker-registry stand-ins ...`);
      const registries = new Map<string, LocalRegistry>();
      await Promise.all(
        [...hosts.ecr, ...hosts.external].map(async (host, i) => {
          const registry = await startLocalRegistry(
            tools['docker-registry'],
            host,
            path.join(workDir, `registry-${i}`),
            tls,
          );
          cleanup.push(() => registry.stop());
          registries.set(host, registry);
        }),
      );
      const slack = new SlackSink();
      await slack.start(tls);
      cleanup.push(() => slack.stop());
      const proxy = new AwsProxy(moto.endpoint, options.quotas ?? []);
      await proxy.start();
      cleanup.push(() => proxy.stop());
      const clients = new AwsClients(moto.endpoint);

      log("creating the templates' resources in moto ...");
      const resources = await provision({
        assembly,
        clients,
        account,
        defaultRegion: region,
        secrets: placeholderSecrets(config),
        secretsRegion: region,
      });
      const hostPorts: Record<string, number> = { [SLACK_HOST]: slack.port };
      for (const [host, registry] of registries) hostPorts[host] = registry.port;
      const runnerEnv = {
        endpoint: proxy.endpoint,
        caFile: tls.caFile,
        hosts: hostPorts,
        logDir: path.join(workDir, 'logs'),
      };
      const timing = options.timing ?? { retryDelaySeconds: 1 };
      const pools = new Map<string, FunctionPool>();
      for (const fn of resources.functions.values()) {
        const source = resources.eventSources.find((s) => s.functionKey === fn.key);
        const limit = options.maxConcurrencyOverride ?? source?.maxConcurrency;
        pools.set(fn.key, new FunctionPool(fn, runnerEnv, limit ?? options.concurrency ?? 2));
      }
      const queueSources = resources.eventSources.map((source) => {
        const queue = resources.queues.get(source.queueKey)!;
        const effective =
          options.maxConcurrencyOverride !== undefined
            ? { ...source, maxConcurrency: options.maxConcurrencyOverride }
            : source;
        return new QueueEventSourceRunner(
          effective,
          queue,
          pools.get(source.functionKey)!,
          clients.sqs(queue.region),
          timing,
        );
      });
      const topicRunners = resources.topicFunctions.map((subscription) => {
        const fn = resources.functions.get(subscription.functionKey)!;
        const onFailure = subscription.onFailureQueueArn
          ? resources.queueByArn(subscription.onFailureQueueArn).url
          : undefined;
        return new TopicFunctionRunner(
          subscription,
          pools.get(fn.key)!,
          clients.sqs(fn.region),
          onFailure,
          timing,
        );
      });
      const sandbox = new Sandbox(
        config,
        account,
        region,
        workDir,
        assembly,
        moto,
        proxy,
        clients,
        tls,
        registries,
        slack,
        resources,
        new EventBus(clients, resources, region),
        pools,
        queueSources,
        topicRunners,
        !options.workDir && !options.keepWorkDir,
      );
      cleanup.length = 0;
      for (const runner of [...queueSources, ...topicRunners]) runner.start();
      return sandbox;
    } catch (error) {
      for (const step of cleanup.reverse()) await step().catch(() => undefined);
      if (!options.workDir && !options.keepWorkDir) await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.queueSources, ...this.topicRunners].map((r) => r.stop()));
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
    await this.proxy.stop();
    await this.slack.stop();
    await Promise.all([...this.registries.values()].map((r) => r.stop()));
    await this.moto.stop();
    this.clients.destroy();
    if (this.removeWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }

  /** The audit table's name, as the functions' environment names it. */
  get auditTableName(): string {
    const name = [...this.resources.functions.values()]
      .map((f) => f.environment[ENV.AUDIT_TABLE])
      .find(Boolean);
    if (!name) throw new Error(`no function has ${ENV.AUDIT_TABLE} in its environment`);
    return name;
  }

  /** The queue feeding a function, found by the function's folder (its Powertools service name). */
  queueOf(service: string): QueueResource {
    const fn = [...this.resources.functions.values()].find(
      (f) => f.environment.POWERTOOLS_SERVICE_NAME === service,
    );
    const source = fn && this.resources.eventSources.find((s) => s.functionKey === fn.key);
    if (!source) throw new Error(`no queue feeds the ${service} function`);
    return this.resources.queues.get(source.queueKey)!;
  }

  /** How many times the function was handed each message of a queue (by SQS message id). */
  deliveriesOf(queue: QueueResource): Map<string, number> {
    const source = this.queueSources.find((s) => s.queue.key === queue.key);
    if (!source) throw new Error(`no event source reads ${queue.key}`);
    return source.deliveries;
  }

  /** The dead-letter queue of a queue's redrive policy. */
  deadLetterQueueOf(queue: QueueResource): QueueResource {
    if (!queue.redrive) throw new Error(`${queue.key} has no redrive policy`);
    return this.resources.queueByArn(queue.redrive.deadLetterArn);
  }

  /** Pushes an image as CI would: blobs and manifest to the region's ECR registry host, and the image into ECR. */
  async pushImage(repository: string, image: BuiltImage, tag?: string, region = this.region): Promise<void> {
    const registry = this.registries.get(ecrRegistryHost(this.account, region));
    if (!registry) throw new Error(`no registry stands in for ECR in ${region}`);
    await pushToRegistry(registry.address, repository, image, this.tls.caFile, tag);
    await putImageInEcr(this.clients.ecr(region), repository, image, tag);
  }

  buildImage(seed: string): BuiltImage {
    return buildImage(seed);
  }

  /**
   * The findings ECR's DescribeImageScanFindings returns for one image (moto's API for canned scan results):
   * the sandbox's stand-in for what the scanner found.
   */
  async setScanFindings(
    repository: string,
    digest: string,
    findings: Record<string, unknown>,
    region = this.region,
  ): Promise<void> {
    // moto answers DescribeImageScanFindings only for an image whose scan was started (scan on push does it in ECR).
    await this.clients
      .ecr(region)
      .send(new StartImageScanCommand({ repositoryName: repository, imageId: { imageDigest: digest } }));
    const response = await fetch(`${this.moto.endpoint}/moto-api/static/ecr/scan-finding-results`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        account_id: this.account,
        region,
        results: [
          {
            registryId: this.account,
            repositoryName: repository,
            imageId: { imageDigest: digest },
            imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
            imageScanFindings: findings,
          },
        ],
      }),
    });
    if (!response.ok) throw new Error(`moto scan findings: HTTP ${response.status}`);
  }

  /** Puts one event on the bus of its region; returns the rule deliveries. */
  put(event: BusEvent): Promise<Delivery[]> {
    return this.bus.put(event);
  }

  /** Sends a message body straight to a queue (a redelivery, a replication request). */
  async send(queue: QueueResource, body: string): Promise<void> {
    await this.clients
      .sqs(queue.region)
      .send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
  }

  /**
   * Waits until every queue a function reads is empty (visible, in flight and delayed) and no invocation runs,
   * twice in a row (a function may enqueue more work as it finishes).
   */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline)
        throw new Error(`queues not drained after ${timeoutMs} ms: ${await this.backlog()}`);
      const busy = [...this.queueSources, ...this.topicRunners].some((r) => r.inFlight > 0);
      const backlog = busy ? 'busy' : await this.backlog();
      quiet = backlog === '' ? quiet + 1 : 0;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async backlog(): Promise<string> {
    const urls = [
      ...this.queueSources.map((s) => ({ url: s.queue.url, region: s.queue.region, name: s.queue.name })),
      ...this.topicRunners.map((t) => ({
        url: t.subscription.deliveryQueueUrl,
        region: this.region,
        name: t.subscription.key,
      })),
    ];
    const parts: string[] = [];
    for (const { url, region, name } of urls) {
      const out = await this.clients.sqs(region).send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const total = Object.values(out.Attributes ?? {}).reduce((sum, v) => sum + Number(v), 0);
      if (total > 0) parts.push(`${name}: ${total}`);
    }
    return parts.join(', ');
  }

  /** Moves every message of a queue into `into` (receive + delete), returning them with their receive counts. */
  private async collect(url: string, region: string): Promise<{ body: string; receiveCount: number }[]> {
    const got: { body: string; receiveCount: number }[] = [];
    for (;;) {
      const out = await this.clients.sqs(region).send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return got;
      // The count SQS kept across the redrive, less this read's own receive: how often consumers got it.
      for (const m of messages)
        got.push({
          body: m.Body ?? '',
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1) - 1,
        });
      await this.clients.sqs(region).send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }

  /** Everything published to each topic so far (SNS notifications, kept across calls), keyed by topic ARN. */
  async topicMessages(): Promise<Map<string, unknown[]>> {
    for (const topic of this.resources.topics.values()) {
      const seen = this.published.get(topic.arn) ?? [];
      for (const m of await this.collect(topic.tapQueueUrl, topic.region)) seen.push(JSON.parse(m.body));
      this.published.set(topic.arn, seen);
    }
    return this.published;
  }

  /** What each non-SQS subscriber (email, ...) would have received through its filter policy, keyed by endpoint. */
  async subscriberMessages(): Promise<Map<string, unknown[]>> {
    for (const probe of this.resources.probes) {
      const label = `${probe.protocol}:${probe.endpoint}`;
      const seen = this.probeMessages.get(label) ?? [];
      for (const m of await this.collect(probe.queueUrl, this.region)) seen.push(JSON.parse(m.body));
      this.probeMessages.set(label, seen);
    }
    return this.probeMessages;
  }

  /** Every dead-letter queue's messages so far (moved out of the queue into this record), keyed by queue name. */
  async deadLetterMessages(): Promise<Map<string, { body: string; receiveCount: number }[]>> {
    for (const queue of this.resources.queues.values()) {
      if (!queue.isDeadLetterQueue && !this.isDestinationQueue(queue)) continue;
      const seen = this.deadLetters.get(queue.name) ?? [];
      seen.push(...(await this.collect(queue.url, queue.region)));
      this.deadLetters.set(queue.name, seen);
    }
    return this.deadLetters;
  }

  private isDestinationQueue(queue: QueueResource): boolean {
    return (
      this.resources.rules.some((r) =>
        [...r.targets, ...r.forwards].some((t) => t.deadLetterArn === queue.arn),
      ) || this.resources.topicFunctions.some((t) => t.onFailureQueueArn === queue.arn)
    );
  }

  /** The tags of every image in every emulated repository. */
  async images(): Promise<{ repository: string; region: string; digest: string; tags: string[] }[]> {
    const out: { repository: string; region: string; digest: string; tags: string[] }[] = [];
    for (const repository of this.resources.repositories.values()) {
      let token: string | undefined;
      do {
        const page = await this.clients
          .ecr(repository.region)
          .send(new DescribeImagesCommand({ repositoryName: repository.name, nextToken: token }));
        for (const image of page.imageDetails ?? ([] as ImageDetail[])) {
          out.push({
            repository: repository.name,
            region: repository.region,
            digest: image.imageDigest!,
            tags: [...(image.imageTags ?? [])].sort(),
          });
        }
        token = page.nextToken;
      } while (token);
    }
    return out;
  }

  /** The audit store the CLI reads, on the sandbox. */
  auditStore(): AuditStore {
    return new AuditStore(this.clients.dynamodb(this.region), {
      tableName: this.auditTableName,
      retentionDays: 1,
    });
  }

  /** An image's audit timeline, oldest first. */
  async timeline(repository: string, digest: string): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.auditStore().imageTimeline(repository, digest, {
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      entries.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor);
    return entries.reverse();
  }

  /** Environment for a CLI or SDK process pointed at the sandbox. */
  cliEnv(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.moto.endpoint,
      AWS_REGION: this.region,
      AWS_ACCESS_KEY_ID: 'AKIDSANDBOX',
      AWS_SECRET_ACCESS_KEY: 'sandbox-secret',
      HARBORMASTER_AUDIT_TABLE: this.auditTableName,
    };
  }
}
