import {
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, type ImageTagMutability } from '@aws-sdk/client-ecr';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import type { AwsClients } from './aws';
import {
  functionAssetDir,
  type CloudAssembly,
  type StackArtifact,
  type TemplateResource,
} from './cloud-assembly';
import { resolve, type PhysicalResource } from './intrinsics';

/**
 * Creates in moto what the synthesized templates define, generically: every queue, topic, subscription,
 * table, repository, rule and function of every stack, with names derived from the stack and logical id
 * (like CloudFormation's). Resource types the sandbox does not emulate (IAM, logs, alarms, dashboards,
 * registry-level ECR settings) are counted in `skipped`, never silently dropped from the report.
 */

export interface QueueResource {
  readonly key: string;
  readonly region: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeout: number;
  readonly redrive?: { readonly deadLetterArn: string; readonly maxReceiveCount: number };
  /** True when some other queue's redrive policy points here. */
  isDeadLetterQueue: boolean;
}

export interface FunctionResource {
  readonly key: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly assetDir: string;
  /** `index.handler` */
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

/** AWS::Lambda::EventSourceMapping from a queue. */
export interface QueueEventSource {
  readonly key: string;
  readonly functionKey: string;
  readonly queueKey: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxConcurrency?: number;
}

/** A function subscribed to a topic: SNS invokes it asynchronously (retries, then the on-failure destination). */
export interface TopicFunctionSubscription {
  readonly key: string;
  readonly functionKey: string;
  readonly topicArn: string;
  /** The sandbox's stand-in for SNS's invoke: an SQS queue subscribed with the same filter policy. */
  readonly deliveryQueueUrl: string;
  readonly maximumRetryAttempts: number;
  readonly onFailureQueueArn?: string;
}

/** A subscription the sandbox cannot deliver to (email, https, ...), watched by a probe queue with its filter policy. */
export interface SubscriptionProbe {
  readonly key: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly filterPolicy?: unknown;
  readonly queueUrl: string;
}

export interface RuleResource {
  readonly key: string;
  readonly region: string;
  readonly name: string;
  readonly pattern: Record<string, unknown>;
  readonly targets: readonly { readonly queueArn: string; readonly deadLetterArn?: string }[];
  /** Targets that are another region's default bus (cross-region forwarding): the event goes there as it is. */
  readonly forwards: readonly {
    readonly busRegion: string;
    readonly busArn: string;
    readonly deadLetterArn?: string;
  }[];
}

export interface Provisioned {
  readonly account: string;
  readonly queues: Map<string, QueueResource>;
  readonly topics: Map<string, { key: string; region: string; arn: string; tapQueueUrl: string }>;
  readonly tables: Map<string, { key: string; region: string; name: string }>;
  readonly repositories: Map<string, { key: string; region: string; name: string }>;
  readonly functions: Map<string, FunctionResource>;
  readonly eventSources: QueueEventSource[];
  readonly topicFunctions: TopicFunctionSubscription[];
  readonly probes: SubscriptionProbe[];
  readonly rules: RuleResource[];
  readonly secrets: string[];
  /** Resource types present in the templates and not emulated, with their counts. */
  readonly skipped: Record<string, number>;
  /** `stack/logicalId` -> what Ref/GetAtt resolve to. */
  readonly physical: Map<string, PhysicalResource>;
  queueByArn(arn: string): QueueResource;
}

export interface ProvisionOptions {
  readonly assembly: CloudAssembly;
  readonly clients: AwsClients;
  readonly account: string;
  /** Region of environment-agnostic stacks. */
  readonly defaultRegion: string;
  /** Placeholder secrets the config names: name -> value. */
  readonly secrets: Record<string, string>;
  /** Region the secrets live in (the config's). */
  readonly secretsRegion: string;
}

const NOT_EMULATED = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::CDK::Metadata',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::Lambda::Permission',
  'AWS::ECR::RepositoryCreationTemplate',
  'AWS::ECR::PullThroughCacheRule',
  'AWS::ECR::RegistryScanningConfiguration',
  'AWS::ECR::ReplicationConfiguration',
  'AWS::ECR::SigningConfiguration',
  'AWS::ECR::PullTimeUpdateExclusion',
]);

/** Physical names as CloudFormation makes them: stack name, logical id, and a short unique suffix. */
function physicalName(stack: string, logicalId: string, max: number): string {
  const suffix = randomUUID().slice(0, 8);
  return (
    `${stack}-${logicalId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, max - suffix.length - 1) + `-${suffix}`
  );
}

/**
 * ECR tag-mutability exclusion filters are wildcards (`v*.*.*`); moto applies them with Python's re.match,
 * where `v*.*.*` matches nearly every tag. Handing moto the equivalent anchored regex keeps ECR's meaning.
 */
export function wildcardAsMotoRegex(filter: string): string {
  return `${filter
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')}$`;
}

export async function provision(options: ProvisionOptions): Promise<Provisioned> {
  const { assembly, clients, account } = options;
  const physical = new Map<string, PhysicalResource>();
  const queues = new Map<string, QueueResource>();
  const result: Provisioned = {
    account,
    queues,
    topics: new Map(),
    tables: new Map(),
    repositories: new Map(),
    functions: new Map(),
    eventSources: [],
    topicFunctions: [],
    probes: [],
    rules: [],
    secrets: [],
    skipped: {},
    physical,
    queueByArn(arn) {
      const queue = [...queues.values()].find((q) => q.arn === arn);
      if (!queue) throw new Error(`no emulated queue has ARN ${arn}`);
      return queue;
    },
  };
  const regionOf = (stack: StackArtifact) => stack.region ?? options.defaultRegion;
  const contextOf = (stack: StackArtifact) => ({
    stackName: stack.name,
    account,
    region: regionOf(stack),
    physical: (id: string) => physical.get(`${stack.name}/${id}`),
  });
  const each = function* (type: string) {
    for (const stack of assembly.stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
        if (resource.Type === type) yield { stack, logicalId, resource, key: `${stack.name}/${logicalId}` };
      }
    }
  };
  /** Resolves the properties the sandbox uses (`only`), or all of them. */
  const props = (stack: StackArtifact, resource: TemplateResource, where: string, only?: string[]) => {
    const all = resource.Properties ?? {};
    const picked = only ? Object.fromEntries(Object.entries(all).filter(([k]) => only.includes(k))) : all;
    return resolve(picked, contextOf(stack), where) as Record<string, unknown>;
  };

  // Resources only referred to by ARN (KMS keys encrypt topics; moto does not need them to exist).
  for (const { stack, logicalId, key } of each('AWS::KMS::Key')) {
    const id = randomUUID();
    physical.set(key, {
      ref: id,
      attributes: { Arn: `arn:aws:kms:${regionOf(stack)}:${account}:key/${id}` },
    });
    void logicalId;
  }

  // Queues first without redrive (a redrive policy needs its dead-letter queue's ARN), then their policies.
  for (const { stack, logicalId, resource, key } of each('AWS::SQS::Queue')) {
    const region = regionOf(stack);
    const p = resource.Properties ?? {};
    const name = typeof p.QueueName === 'string' ? p.QueueName : physicalName(stack.name, logicalId, 80);
    const attributes: Record<string, string> = {};
    if (p.VisibilityTimeout !== undefined) attributes.VisibilityTimeout = String(p.VisibilityTimeout);
    if (p.MessageRetentionPeriod !== undefined)
      attributes.MessageRetentionPeriod = String(p.MessageRetentionPeriod);
    if (p.DelaySeconds !== undefined) attributes.DelaySeconds = String(p.DelaySeconds);
    const out = await clients
      .sqs(region)
      .send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const arn = `arn:aws:sqs:${region}:${account}:${name}`;
    physical.set(key, {
      ref: out.QueueUrl!,
      attributes: { Arn: arn, QueueName: name, QueueUrl: out.QueueUrl! },
    });
    queues.set(key, {
      key,
      region,
      name,
      url: out.QueueUrl!,
      arn,
      visibilityTimeout: Number(p.VisibilityTimeout ?? 30),
      isDeadLetterQueue: false,
    });
  }
  for (const { stack, resource, key } of each('AWS::SQS::Queue')) {
    const p = props(stack, resource, key);
    const redrive = p.RedrivePolicy as { deadLetterTargetArn: string; maxReceiveCount: number } | undefined;
    if (!redrive) continue;
    const queue = queues.get(key)!;
    await clients.sqs(queue.region).send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: { RedrivePolicy: JSON.stringify(redrive) },
      }),
    );
    queues.set(key, {
      ...queue,
      redrive: {
        deadLetterArn: redrive.deadLetterTargetArn,
        maxReceiveCount: Number(redrive.maxReceiveCount),
      },
    });
    result.queueByArn(redrive.deadLetterTargetArn).isDeadLetterQueue = true;
  }

  for (const { stack, logicalId, resource, key } of each('AWS::SNS::Topic')) {
    const region = regionOf(stack);
    const p = props(stack, resource, key);
    const name = typeof p.TopicName === 'string' ? p.TopicName : physicalName(stack.name, logicalId, 256);
    const out = await clients.sns(region).send(new CreateTopicCommand({ Name: name }));
    const arn = out.TopicArn!;
    physical.set(key, { ref: arn, attributes: { TopicArn: arn, TopicName: name } });
    // The tap: an unfiltered subscriber, so the sandbox can say what was published to the topic.
    const tap = await createQueue(clients, region, physicalName(stack.name, `${logicalId}Tap`, 80));
    await subscribeQueue(clients, region, arn, tap.arn, undefined, false);
    result.topics.set(key, { key, region, arn, tapQueueUrl: tap.url });
  }

  for (const { stack, logicalId, resource, key } of each('AWS::DynamoDB::Table')) {
    const region = regionOf(stack);
    const p = props(stack, resource, key);
    const name = typeof p.TableName === 'string' ? p.TableName : physicalName(stack.name, logicalId, 255);
    const input: CreateTableCommandInput = {
      TableName: name,
      KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      BillingMode: (p.BillingMode as 'PAY_PER_REQUEST' | undefined) ?? 'PROVISIONED',
      ...(p.BillingMode === 'PAY_PER_REQUEST'
        ? {}
        : {
            ProvisionedThroughput: (p.ProvisionedThroughput as never) ?? {
              ReadCapacityUnits: 5,
              WriteCapacityUnits: 5,
            },
          }),
      ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as never } : {}),
      ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes as never } : {}),
      ...(p.StreamSpecification
        ? { StreamSpecification: { StreamEnabled: true, ...(p.StreamSpecification as object) } }
        : {}),
    };
    await clients.dynamodb(region).send(new CreateTableCommand(input));
    const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
    if (ttl?.Enabled) {
      await clients
        .dynamodb(region)
        .send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }));
    }
    const arn = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
    physical.set(key, { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/sandbox` } });
    result.tables.set(key, { key, region, name });
  }

  for (const { stack, logicalId, resource, key } of each('AWS::ECR::Repository')) {
    const region = regionOf(stack);
    const p = props(stack, resource, key);
    const name =
      typeof p.RepositoryName === 'string'
        ? p.RepositoryName
        : physicalName(stack.name, logicalId, 256).toLowerCase();
    const filters =
      (p.ImageTagMutabilityExclusionFilters as
        { ImageTagMutabilityExclusionFilterValue: string }[] | undefined) ?? [];
    await clients.ecr(region).send(
      new CreateRepositoryCommand({
        repositoryName: name,
        imageTagMutability: (p.ImageTagMutability as ImageTagMutability | undefined) ?? 'MUTABLE',
        ...(filters.length > 0
          ? {
              imageTagMutabilityExclusionFilters: filters.map((f) => ({
                filterType: 'WILDCARD',
                filter: wildcardAsMotoRegex(f.ImageTagMutabilityExclusionFilterValue),
              })),
            }
          : {}),
        imageScanningConfiguration: {
          scanOnPush: Boolean((p.ImageScanningConfiguration as { ScanOnPush?: boolean })?.ScanOnPush),
        },
      }),
    );
    const arn = `arn:aws:ecr:${region}:${account}:repository/${name}`;
    physical.set(key, {
      ref: name,
      attributes: { Arn: arn, RepositoryUri: `${account}.dkr.ecr.${region}.amazonaws.com/${name}` },
    });
    result.repositories.set(key, { key, region, name });
  }

  for (const [name, value] of Object.entries(options.secrets)) {
    await clients
      .secrets(options.secretsRegion)
      .send(new CreateSecretCommand({ Name: name, SecretString: value }));
    result.secrets.push(name);
  }

  // Functions: only named here (their ARNs are referred to by subscriptions and permissions); the runner starts them.
  for (const { stack, logicalId, key } of each('AWS::Lambda::Function')) {
    const name = physicalName(stack.name, logicalId, 64);
    const arn = `arn:aws:lambda:${regionOf(stack)}:${account}:function:${name}`;
    physical.set(key, { ref: name, attributes: { Arn: arn } });
  }
  for (const { stack, logicalId, resource, key } of each('AWS::Lambda::Function')) {
    // Role, logging and tracing settings are not emulated: only what the function runs with is resolved.
    const p = props(stack, resource, key, ['Environment', 'Handler', 'Timeout', 'MemorySize']);
    const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {}) as Record<string, unknown>;
    result.functions.set(key, {
      key,
      stack: stack.name,
      logicalId,
      region: regionOf(stack),
      name: physical.get(key)!.ref,
      arn: physical.get(key)!.attributes.Arn,
      assetDir: functionAssetDir(assembly, logicalId, resource),
      handler: String(p.Handler ?? 'index.handler'),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
    });
  }
  const functionByRef = (stack: StackArtifact, value: string): FunctionResource => {
    const fn = [...result.functions.values()].find(
      (f) => f.stack === stack.name && (f.name === value || f.arn === value),
    );
    if (!fn) throw new Error(`${stack.name}: no emulated function is ${value}`);
    return fn;
  };

  for (const { stack, resource, key } of each('AWS::Lambda::EventSourceMapping')) {
    const p = props(stack, resource, key);
    const sourceArn = String(p.EventSourceArn);
    if (!sourceArn.startsWith('arn:aws:sqs:'))
      throw new Error(`${key}: only SQS event sources are emulated, got ${sourceArn}`);
    result.eventSources.push({
      key,
      functionKey: functionByRef(stack, String(p.FunctionName)).key,
      queueKey: result.queueByArn(sourceArn).key,
      batchSize: Number(p.BatchSize ?? 10),
      batchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
      reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
        'ReportBatchItemFailures',
      ),
      ...((p.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency
        ? { maxConcurrency: (p.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency }
        : {}),
    });
  }

  const invokeConfigs = [...each('AWS::Lambda::EventInvokeConfig')].map(({ stack, resource, key }) => ({
    stack,
    p: props(stack, resource, key),
  }));
  for (const { stack, logicalId, resource, key } of each('AWS::SNS::Subscription')) {
    const region = regionOf(stack);
    const p = props(stack, resource, key);
    const topicArn = String(p.TopicArn);
    const protocol = String(p.Protocol);
    const endpoint = String(p.Endpoint);
    const filterPolicy = p.FilterPolicy;
    if (p.FilterPolicyScope && p.FilterPolicyScope !== 'MessageAttributes') {
      throw new Error(`${key}: FilterPolicyScope ${String(p.FilterPolicyScope)} is not emulated`);
    }
    if (protocol === 'sqs') {
      await subscribeQueue(clients, region, topicArn, endpoint, filterPolicy, Boolean(p.RawMessageDelivery));
      continue;
    }
    // Every other protocol gets a probe queue with the template's own filter policy (what that endpoint would get).
    const probe = await createQueue(clients, region, physicalName(stack.name, `${logicalId}Probe`, 80));
    await subscribeQueue(clients, region, topicArn, probe.arn, filterPolicy, false);
    if (protocol === 'lambda') {
      const fn = functionByRef(stack, endpoint);
      const invokeConfig = invokeConfigs.find(
        ({ stack: s, p: c }) =>
          s.name === stack.name && functionByRef(s, String(c.FunctionName)).key === fn.key,
      )?.p;
      const onFailure = (
        invokeConfig?.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined
      )?.OnFailure?.Destination;
      result.topicFunctions.push({
        key,
        functionKey: fn.key,
        topicArn,
        deliveryQueueUrl: probe.url,
        // Lambda's default for asynchronous invocation: two retries.
        maximumRetryAttempts: Number(invokeConfig?.MaximumRetryAttempts ?? 2),
        ...(onFailure ? { onFailureQueueArn: onFailure } : {}),
      });
    } else {
      result.probes.push({
        key,
        topicArn,
        protocol,
        endpoint,
        ...(filterPolicy ? { filterPolicy } : {}),
        queueUrl: probe.url,
      });
    }
  }

  for (const { stack, logicalId, resource, key } of each('AWS::Events::Rule')) {
    const region = regionOf(stack);
    // The role a bus target assumes is IAM, which the sandbox does not emulate: targets are resolved without it.
    const p = props(stack, resource, key, ['EventBusName', 'State', 'EventPattern']);
    if (p.EventBusName && p.EventBusName !== 'default')
      throw new Error(`${key}: only the default event bus is emulated`);
    if (p.State && p.State !== 'ENABLED') continue;
    const pattern = p.EventPattern as Record<string, unknown>;
    const rawTargets = (resource.Properties?.Targets ?? []) as Record<string, unknown>[];
    const resolved = rawTargets.map((raw) => {
      const withoutRole = { ...raw };
      delete withoutRole.RoleArn;
      return resolve(withoutRole, contextOf(stack), `${key} target`) as Record<string, unknown>;
    });
    const targets: { queueArn: string; deadLetterArn?: string; id: string }[] = [];
    const forwards: { busRegion: string; busArn: string; deadLetterArn?: string; id: string }[] = [];
    for (const target of resolved) {
      for (const unsupported of ['Input', 'InputPath', 'InputTransformer']) {
        if (target[unsupported] !== undefined)
          throw new Error(
            `${key}: target ${String(target.Id)} uses ${unsupported}, which the sandbox does not emulate`,
          );
      }
      const arn = String(target.Arn);
      const deadLetterArn = (target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
      const dlq = deadLetterArn ? { deadLetterArn } : {};
      const bus = /^arn:aws:events:([a-z0-9-]+):\d{12}:event-bus\/default$/.exec(arn);
      if (bus) {
        forwards.push({ busRegion: bus[1], busArn: arn, ...dlq, id: String(target.Id) });
        continue;
      }
      if (!arn.startsWith('arn:aws:sqs:'))
        throw new Error(`${key}: only SQS and default-bus rule targets are emulated, got ${arn}`);
      targets.push({ queueArn: arn, ...dlq, id: String(target.Id) });
    }
    const name = physicalName(stack.name, logicalId, 64);
    // The rule exists in moto as synthesized (list-rules shows it); delivery is the sandbox's (see event-bus.ts).
    await clients.json('events', region, 'AWSEvents.PutRule', {
      Name: name,
      EventPattern: JSON.stringify(pattern),
      State: 'ENABLED',
    });
    await clients.json('events', region, 'AWSEvents.PutTargets', {
      Rule: name,
      Targets: [
        ...targets.map((t) => ({
          Id: t.id,
          Arn: t.queueArn,
          ...(t.deadLetterArn ? { DeadLetterConfig: { Arn: t.deadLetterArn } } : {}),
        })),
        ...forwards.map((t) => ({ Id: t.id, Arn: t.busArn })),
      ],
    });
    result.rules.push({
      key,
      region,
      name,
      pattern,
      targets: targets.map(({ queueArn, deadLetterArn }) => ({
        queueArn,
        ...(deadLetterArn ? { deadLetterArn } : {}),
      })),
      forwards: forwards.map(({ busRegion, busArn, deadLetterArn }) => ({
        busRegion,
        busArn,
        ...(deadLetterArn ? { deadLetterArn } : {}),
      })),
    });
  }

  const handled = new Set([
    'AWS::KMS::Key',
    'AWS::SQS::Queue',
    'AWS::SNS::Topic',
    'AWS::SNS::Subscription',
    'AWS::DynamoDB::Table',
    'AWS::ECR::Repository',
    'AWS::Lambda::Function',
    'AWS::Lambda::EventSourceMapping',
    'AWS::Lambda::EventInvokeConfig',
    'AWS::Events::Rule',
  ]);
  for (const stack of assembly.stacks) {
    for (const resource of Object.values(stack.template.Resources)) {
      if (handled.has(resource.Type)) continue;
      if (!NOT_EMULATED.has(resource.Type)) {
        // An unknown type is worth a line: a new resource the sandbox may need to learn.
        process.emitWarning(`sandbox: ${resource.Type} is not emulated`);
      }
      result.skipped[resource.Type] = (result.skipped[resource.Type] ?? 0) + 1;
    }
  }
  return result;
}

async function createQueue(
  clients: AwsClients,
  region: string,
  name: string,
): Promise<{ url: string; arn: string }> {
  const out = await clients.sqs(region).send(new CreateQueueCommand({ QueueName: name }));
  const account = new URL(out.QueueUrl!).pathname.split('/')[1];
  return { url: out.QueueUrl!, arn: `arn:aws:sqs:${region}:${account}:${name}` };
}

async function subscribeQueue(
  clients: AwsClients,
  region: string,
  topicArn: string,
  queueArn: string,
  filterPolicy: unknown,
  raw: boolean,
): Promise<void> {
  const attributes: Record<string, string> = {};
  if (filterPolicy !== undefined) attributes.FilterPolicy = JSON.stringify(filterPolicy);
  if (raw) attributes.RawMessageDelivery = 'true';
  await clients.sns(region).send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      Attributes: attributes,
    }),
  );
}
