import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Queue, type CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EventPipeline } from '../../infra/constructs/automation/event-pipeline';
import { imageEventPatterns, scanEventPatterns } from '../../infra/constructs/automation/event-patterns';
import { repositoryArn } from '../../infra/constructs/automation/function-grants';
import { AutomationStack } from '../../infra/stacks/automation-stack';
import { matchesPattern } from '../../sandbox/event-pattern';
import type { ConfigInput, HarbormasterConfig } from '../../shared/config/schema';
import { parseConfig } from '../../shared/config/load';
import { ENV } from '../../shared/runtime/env-names';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const REPOSITORIES = ['payments/api', 'payments/worker', 'platform/tools'];
const SLACK_SECRET_NAME = 'harbormaster/slack-webhook';

function config(overrides: Partial<ConfigInput> = {}): HarbormasterConfig {
  return parseConfig({
    env: { region: REGION, account: ACCOUNT },
    teams: {
      payments: { emails: ['payments-oncall@example.com', 'shared-sre@example.com'] },
      platform: { emails: ['platform-team@example.com', 'shared-sre@example.com'] },
    },
    repositories: [
      { name: 'payments/api', team: 'payments' },
      { name: 'payments/worker', team: 'payments' },
      { name: 'platform/tools', team: 'platform' },
    ],
    scanning: { type: 'ENHANCED', rules: [{ frequency: 'SCAN_ON_PUSH', filters: ['*'] }] },
    notifications: { slackWebhookSecret: SLACK_SECRET_NAME },
    ...overrides,
  });
}

interface Fixture {
  readonly stack: AutomationStack;
  readonly template: Template;
  readonly replicationQueue?: Queue;
}

/** Bundling skipped (fast): the assertions are about wiring, not bundles. */
function build(cfg: HarbormasterConfig = config(), withReplicationQueue = false): Fixture {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const env = { region: REGION, account: ACCOUNT };
  let replicationQueue: Queue | undefined;
  if (withReplicationQueue) {
    const other = new Stack(app, 'Replication', { env });
    replicationQueue = new Queue(other, 'ReplicationQueue', {
      encryptionMasterKey: new Key(other, 'ReplicationKey', { enableKeyRotation: true }),
      enforceSSL: true,
    });
  }
  const stack = new AutomationStack(app, 'Automation', { env, config: cfg, replicationQueue });
  return { stack, template: Template.fromStack(stack), replicationQueue };
}

type Resource = {
  Type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- template properties are free-form JSON, read by path in assertions
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const arnsOf = (stack: Stack, names: readonly string[]) =>
  names.map((name) => stack.resolve(repositoryArn(stack, name)));
const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnQueue);
const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const resourcesOf = (statement: Statement) =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

function rules(template: Template): Resource[] {
  return Object.values(template.findResources('AWS::Events::Rule')) as Resource[];
}

/** The rule for a detail type; index pushes (ECR Image Action with index media types) have their own rule. */
function ruleFor(template: Template, detailType: string): Resource {
  const matching = rules(template).filter(
    (rule) =>
      rule.Properties.EventPattern['detail-type'].includes(detailType) &&
      rule.Properties.EventPattern.detail['manifest-media-type'] === undefined,
  );
  expect(matching).toHaveLength(1);
  return matching[0];
}

/** Every statement of every IAM policy attached to the function's role. */
function statementsOf(fixture: Fixture, fn: { role?: unknown }): Statement[] {
  const roleId = fixture.stack.getLogicalId(
    (fn.role as { node: { defaultChild: CfnQueue } }).node.defaultChild,
  );
  const policies = Object.values(fixture.template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

function functions(template: Template): Resource[] {
  return Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
}

describe('AutomationStack event rules', () => {
  const fixture = build();
  const { stack, template } = fixture;

  it('sends ECR image and replication actions of managed repositories only to the image queue', () => {
    // Act
    const rule = ruleFor(template, 'ECR Image Action');

    // Assess
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action', 'ECR Replication Action'],
      account: [ACCOUNT],
      detail: { 'repository-name': REPOSITORIES },
    });
    expect(rule.Properties.State).not.toBe('DISABLED');
    expect(rule.Properties.EventBusName).toBeUndefined(); // the default bus
    expect(rule.Properties.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: { 'Fn::GetAtt': [logicalId(stack, stack.imageEvents.queue), 'Arn'] },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.imageEvents.deadLetterQueue), 'Arn'] },
        },
      },
    ]);
  });

  it('matches basic scans by repository name, Inspector scans by repository ARN and Inspector findings by the nested name', () => {
    // Act
    const basic = ruleFor(template, 'ECR Image Scan').Properties.EventPattern;
    const inspectorScan = ruleFor(template, 'Inspector2 Scan').Properties.EventPattern;
    const inspectorFinding = ruleFor(template, 'Inspector2 Finding').Properties.EventPattern;

    // Assess
    expect(basic).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Scan'],
      account: [ACCOUNT],
      detail: { 'repository-name': REPOSITORIES },
    });
    expect(inspectorScan).toEqual({
      source: ['aws.inspector2'],
      'detail-type': ['Inspector2 Scan'],
      account: [ACCOUNT],
      detail: { 'repository-name': arnsOf(stack, REPOSITORIES) },
    });
    expect(JSON.stringify(stack.resolve(repositoryArn(stack, 'payments/api')))).toContain(
      `:ecr:${REGION}:${ACCOUNT}:repository/payments/api`,
    );
    expect(inspectorFinding).toEqual({
      source: ['aws.inspector2'],
      'detail-type': ['Inspector2 Finding'],
      account: [ACCOUNT],
      detail: {
        resources: {
          type: ['AWS_ECR_CONTAINER_IMAGE'],
          details: { awsEcrContainerImage: { repositoryName: REPOSITORIES } },
        },
      },
    });
  });

  it('sends successful pushes of multi-arch indexes of managed repositories to the scan queue too', () => {
    // Act
    const [rule] = rules(template).filter((r) => r.Properties.EventPattern.detail['manifest-media-type']);

    // Assess
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      account: [ACCOUNT],
      detail: {
        'action-type': ['PUSH'],
        result: ['SUCCESS'],
        'manifest-media-type': [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
        ],
        'repository-name': REPOSITORIES,
      },
    });
    expect(rule.Properties.Targets[0].Arn).toEqual({
      'Fn::GetAtt': [logicalId(stack, stack.scanEvents.queue), 'Arn'],
    });
  });

  it('has exactly five rules, the scan rules (and the index pushes) targeting the scan queue', () => {
    // Act
    const all = rules(template);
    const scanRules = ['ECR Image Scan', 'Inspector2 Scan', 'Inspector2 Finding'].map((type) =>
      ruleFor(template, type),
    );

    // Assess
    expect(all).toHaveLength(5);
    for (const rule of scanRules) {
      expect(rule.Properties.Targets).toEqual([
        {
          Id: 'Target0',
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.scanEvents.queue), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalId(stack, stack.scanEvents.deadLetterQueue), 'Arn'] },
          },
        },
      ]);
    }
  });
});

/**
 * EventBridge's matching for the pattern features the rules use (exact values; a field inside an array of
 * objects matches when any element matches), applied to the published event samples under test/fixtures/events.
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return values.some((value) => pattern.includes(value));
  }
  if (Array.isArray(event)) return event.some((element) => matches(pattern, element));
  if (typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern as Record<string, unknown>).every(
    ([key, sub]) => key in event && matches(sub, (event as Record<string, unknown>)[key]),
  );
}

/** Renders the intrinsics a pattern may hold (ARNs built with the partition) as they resolve at deploy. */
function deployed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deployed);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record.Ref === 'AWS::Partition') return 'aws';
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(deployed).join(separator);
  }
  return Object.fromEntries(Object.entries(record).map(([key, sub]) => [key, deployed(sub)]));
}

describe('AutomationStack rules against the published event samples', () => {
  const fixture = (name: string) =>
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'events', `${name}.json`), 'utf8'));
  const { template } = build(
    config({
      // The repositories the samples name (test/fixtures/events/simulate-config.yaml).
      repositories: [
        { name: 'payments/api', team: 'payments' },
        { name: 'payments/worker', team: 'payments' },
        { name: 'platform/base-images/node', team: 'platform' },
        { name: 'platform/tools', team: 'platform' },
      ],
    }),
  );
  const ruleIds = (event: unknown) =>
    Object.entries(template.findResources('AWS::Events::Rule'))
      .filter(([, rule]) => matches(deployed(rule.Properties.EventPattern), event))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));

  it.each([
    ['ecr-image-push', 'ImageEventsEcrImageEvents'],
    ['ecr-image-delete', 'ImageEventsEcrImageEvents'],
    ['ecr-image-archive', 'ImageEventsEcrImageEvents'],
    ['ecr-replication-success', 'ImageEventsEcrImageEvents'],
    ['ecr-image-scan-basic', 'ScanEventsEcrImageScan'],
    ['inspector2-scan', 'ScanEventsInspectorScan'],
    ['inspector2-finding', 'ScanEventsInspectorFinding'],
  ])('routes %s of a managed repository to exactly one rule, %s', (name, ruleId) => {
    expect(ruleIds(fixture(name))).toEqual([ruleId]);
  });

  it.each(['ecr-image-push-unmanaged', 'ecr-pull-through-cache'])('matches no rule for %s', (name) => {
    expect(ruleIds(fixture(name))).toEqual([]);
  });

  it('matches no rule for a managed repository name in another account', () => {
    // Prepare
    const push = { ...fixture('ecr-image-push'), account: '999999999999' };
    const scan = fixture('inspector2-scan');
    const foreignScan = {
      ...scan,
      detail: {
        ...scan.detail,
        'repository-name': scan.detail['repository-name'].replace(ACCOUNT, '999999999999'),
      },
    };

    // Act / Assess
    expect(ruleIds(push)).toEqual([]);
    expect(ruleIds({ ...foreignScan, account: ACCOUNT })).toEqual([]);
  });
});

describe('event patterns for long repository lists', () => {
  const arnOf = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
  const names = Array.from({ length: 120 }, (_, i) => `team-${i}/service-with-a-rather-long-name-${i}`);

  it('splits the list over several rules, each pattern within the 4096-character limit, covering every name once', () => {
    // Act
    const patterns = {
      ...imageEventPatterns({ names, arnOf, account: ACCOUNT }),
      ...scanEventPatterns({ names, arnOf, account: ACCOUNT }),
    };

    // Assess
    expect(Object.keys(patterns)).toEqual(
      expect.arrayContaining(['EcrImageEvents', 'EcrImageEvents2', 'InspectorScan2']),
    );
    for (const pattern of Object.values(patterns))
      expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(4096);
    const inspectorScanArns = Object.entries(patterns)
      .filter(([id]) => id.startsWith('InspectorScan'))
      .flatMap(([, pattern]) => (pattern.detail as { 'repository-name': string[] })['repository-name']);
    expect(inspectorScanArns).toEqual(names.map(arnOf));
  });

  it('keeps one rule per event kind for a short list', () => {
    // Act
    const patterns = scanEventPatterns({ names: ['a/b'], arnOf, account: ACCOUNT });

    // Assess
    expect(Object.keys(patterns)).toEqual([
      'EcrIndexPush',
      'EcrImageScan',
      'InspectorScan',
      'InspectorFinding',
    ]);
  });

  it('rejects an empty repository list instead of building a rule that matches nothing', () => {
    expect(() => imageEventPatterns({ names: [], arnOf, account: ACCOUNT })).toThrow(
      /at least one managed repository/,
    );
  });
});

describe('EventPipeline', () => {
  it('rejects a pipeline without any event pattern at synth', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Pipeline');

    // Act / Assess
    expect(
      () =>
        new EventPipeline(stack, 'Empty', {
          eventPatterns: {},
          functionDir: 'image-events',
          config: config(),
          description: 'nothing',
        }),
    ).toThrow(/Empty: expected at least one entry in props.eventPatterns/);
  });
});

describe('AutomationStack queues and functions', () => {
  const fixture = build();
  const { stack, template } = fixture;
  const pipelines = [stack.imageEvents, stack.scanEvents];

  it('encrypts every queue and gives each pipeline queue a 14-day dead-letter queue after 5 receives', () => {
    // Act
    const queues = template.findResources('AWS::SQS::Queue') as Record<string, Resource>;

    // Assess
    for (const queue of Object.values(queues)) {
      expect(
        queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined,
      ).toBe(true);
    }
    for (const pipeline of pipelines) {
      const queue = queues[logicalId(stack, pipeline.queue)];
      const dlqId = logicalId(stack, pipeline.deadLetterQueue);
      expect(queue.Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: 5,
      });
      expect(queues[dlqId].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    }
  });

  it('denies non-TLS access on every queue', () => {
    // Act
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as Resource[];

    // Assess
    for (const queueId of queues) {
      const tlsDeny = policies.some(
        (policy) =>
          JSON.stringify(policy.Properties.Queues).includes(queueId) &&
          (policy.Properties.PolicyDocument.Statement as Statement[]).some(
            (s) =>
              s.Effect === 'Deny' &&
              JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
      );
      expect({ queueId, tlsDeny }).toEqual({ queueId, tlsDeny: true });
    }
  });

  it('keeps each queue invisible for at least six times its function timeout, with partial batch responses', () => {
    // Act
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as Resource[];
    const queues = template.findResources('AWS::SQS::Queue') as Record<string, Resource>;
    const fns = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;

    // Assess
    expect(mappings).toHaveLength(2);
    for (const mapping of mappings) {
      const queue = queues[mapping.Properties.EventSourceArn['Fn::GetAtt'][0]];
      const fn = fns[mapping.Properties.FunctionName.Ref];
      expect(fn.Properties.Timeout).toBeGreaterThan(0);
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
      expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.Properties.BatchSize).toBe(10);
    }
    expect(queues[logicalId(stack, stack.scanEvents.queue)].Properties.VisibilityTimeout).toBe(6 * 60);
  });

  it('runs every function on Node.js 24 on arm64 with X-Ray active tracing and its own log group', () => {
    // Act
    const all = functions(template);

    // Assess
    expect(all).toHaveLength(3);
    for (const fn of all) {
      expect(fn.Properties).toEqual(
        expect.objectContaining({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: expect.objectContaining({ LogFormat: 'JSON', LogGroup: expect.anything() }),
        }),
      );
    }
  });

  it('sets only env names from env-names.ts and Powertools, never a secret value and never the config', () => {
    // Act
    const envs = functions(template).map((fn) => fn.Properties.Environment?.Variables ?? {});

    // Assess
    const allowed = new Set<string>([
      ...Object.values(ENV),
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
    ]);
    for (const env of envs) {
      for (const name of Object.keys(env)) expect(allowed).toContain(name);
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('Harbormaster');
      const text = JSON.stringify(env);
      expect(text).not.toMatch(
        /hooks\.slack\.com|https:\/\/|maxSeverity|payments-oncall|HARBORMASTER_CONFIG/,
      );
    }
    expect(envs.map((env) => env.POWERTOOLS_SERVICE_NAME).sort()).toEqual([
      'image-events',
      'scan-events',
      'slack-notifier',
    ]);
    expect(envs.find((env) => env.POWERTOOLS_SERVICE_NAME === 'image-events')).toEqual({
      [ENV.AUDIT_TABLE]: { Ref: logicalId(stack, stack.auditTable.table as never) },
      [ENV.ACCOUNT]: ACCOUNT,
      // A FAILED native replication is alerted there, once per event under the image's lease.
      [ENV.FINDINGS_TOPIC]: { Ref: logicalId(stack, stack.findings.topic as never) },
      [ENV.STATE_TABLE]: { Ref: logicalId(stack, stack.stateTable.table as never) },
      [ENV.LEASE_SECONDS]: '60',
      POWERTOOLS_SERVICE_NAME: 'image-events',
      POWERTOOLS_METRICS_NAMESPACE: 'Harbormaster',
    });
    expect(envs.find((env) => env.POWERTOOLS_SERVICE_NAME === 'scan-events')).toEqual({
      [ENV.AUDIT_TABLE]: { Ref: logicalId(stack, stack.auditTable.table as never) },
      [ENV.FINDINGS_TOPIC]: { Ref: logicalId(stack, stack.findings.topic as never) },
      [ENV.STATE_TABLE]: { Ref: logicalId(stack, stack.stateTable.table as never) },
      // The function timeout (60 s) plus 30 s, far below the visibility timeout (6x).
      [ENV.LEASE_SECONDS]: '90',
      [ENV.ACCOUNT]: ACCOUNT,
      POWERTOOLS_SERVICE_NAME: 'scan-events',
      POWERTOOLS_METRICS_NAMESPACE: 'Harbormaster',
    });
  });

  it('outputs the audit table name, the findings topic and the pipeline dead-letter queues', () => {
    template.hasOutput('AuditTableName', {
      Value: { Ref: logicalId(stack, stack.auditTable.table as never) },
    });
    template.hasOutput('FindingsTopicArn', {
      Value: { Ref: logicalId(stack, stack.findings.topic as never) },
    });
    template.hasOutput('ImageEventsDeadLetterQueueUrl', {
      Value: { Ref: logicalId(stack, stack.imageEvents.deadLetterQueue) },
    });
    template.hasOutput('ScanEventsDeadLetterQueueUrl', {
      Value: { Ref: logicalId(stack, stack.scanEvents.deadLetterQueue) },
    });
  });

  it('exposes the functions and dead-letter queues for dashboards and alarms', () => {
    expect(stack.monitoredFunctions.map((f) => f.serviceName)).toEqual([
      'image-events',
      'scan-events',
      'slack-notifier',
    ]);
    expect(stack.deadLetterQueues).toHaveLength(4);
  });
});

describe('AutomationStack IAM', () => {
  const fixture = build();
  const { stack } = fixture;
  const managedArns = arnsOf(stack, REPOSITORIES);
  const tableArn = { 'Fn::GetAtt': [logicalId(stack, stack.auditTable.table as never), 'Arn'] };

  /** Wildcard resources only where AWS supports nothing narrower. */
  const RESOURCE_STAR_ALLOWED = new Set([
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'inspector2:ListFindings',
  ]);

  function expectNoWildcards(statements: Statement[]): void {
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      if (resourcesOf(statement).includes('*')) {
        for (const action of actionsOf(statement)) expect(RESOURCE_STAR_ALLOWED).toContain(action);
      }
      expect(statement.Effect).toBe('Allow');
    }
  }

  function ecrStatements(statements: Statement[]): Statement[] {
    return statements.filter((s) => actionsOf(s).some((action) => action.startsWith('ecr:')));
  }

  it('lets the image function read, tag and list images of managed repositories only', () => {
    // Act
    const statements = statementsOf(fixture, stack.imageEvents.handler);

    // Assess
    expectNoWildcards(statements);
    expect(ecrStatements(statements)).toEqual([
      {
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:ListImages'],
        Resource: managedArns,
      },
    ]);
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: tableArn },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: [tableArn, { 'Fn::Join': ['', [tableArn, '/index/byRepository']] }],
        },
        // The image's lease for a FAILED native replication's alert.
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [logicalId(stack, stack.stateTable.table as never), 'Arn'] },
        },
      ]),
    );
    // sns:Publish on the findings topic only (a FAILED native replication's alert).
    expect(statements.filter((st) => actionsOf(st).includes('sns:Publish'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: { Ref: logicalId(stack, stack.findings.topic as never) },
      },
    ]);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('inspector2:'))).toEqual([]);
  });

  it('lets the scan function read findings, tag and untag managed repositories, and publish to the findings topic', () => {
    // Act
    const statements = statementsOf(fixture, stack.scanEvents.handler);

    // Assess
    expectNoWildcards(statements);
    expect(ecrStatements(statements)).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'ecr:DescribeImageScanFindings',
          'ecr:DescribeImages',
          'ecr:BatchGetImage',
          'ecr:PutImage',
          'ecr:BatchDeleteImage',
        ],
        Resource: managedArns,
      },
    ]);
    const keyArn = { 'Fn::GetAtt': [logicalId(stack, stack.findings.masterKey as never), 'Arn'] };
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: { Ref: logicalId(stack, stack.findings.topic as never) },
        },
        { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: keyArn },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [logicalId(stack, stack.stateTable.table as never), 'Arn'] },
        },
        { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: tableArn },
        // Enhanced scanning: ECR reads the findings from Inspector with the caller's credentials.
        { Effect: 'Allow', Action: 'inspector2:ListFindings', Resource: '*' },
      ]),
    );
    expect(statements.flatMap(actionsOf)).not.toEqual(expect.arrayContaining(['sqs:SendMessage']));
  });

  it('grants inspector2:ListFindings even with basic scanning, because the Inspector rules are always deployed', () => {
    // Prepare
    const basic = build(config({ scanning: { type: 'BASIC', rules: [] } }));

    // Act
    const actions = statementsOf(basic, basic.stack.scanEvents.handler).flatMap(actionsOf);

    // Assess
    expect(actions.filter((a) => a.startsWith('inspector2:'))).toEqual(['inspector2:ListFindings']);
    expect(actions).toContain('ecr:DescribeImageScanFindings');
  });

  it('lets each function write only its own log group (no AWS managed policy)', () => {
    // Act
    const roles = Object.values(fixture.template.findResources('AWS::IAM::Role')) as Resource[];

    // Assess
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    for (const fn of [stack.imageEvents.handler, stack.scanEvents.handler]) {
      const logs = statementsOf(fixture, fn).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
        },
      ]);
    }
  });
});

describe('AutomationStack audit table and findings topic', () => {
  const { stack, template } = build();

  it('creates an on-demand table with PITR, TTL, deletion protection, KMS encryption, RETAIN and the repository index', () => {
    // Act
    const tables = template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>;

    // Assess
    expect(Object.keys(tables)).toHaveLength(2);
    const table = tables[logicalId(stack, stack.auditTable.table as never)];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toEqual(
      expect.objectContaining({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
        // SSEEnabled: KMS with the AWS managed key aws/dynamodb (absent would mean an AWS owned key).
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byRepository',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  });

  it('creates the image-state table keyed by digest, with PITR, deletion protection, KMS encryption and RETAIN', () => {
    // Act
    const tables = template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>;
    const table = tables[logicalId(stack, stack.stateTable.table as never)];

    // Assess
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toEqual({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    });
  });

  it('encrypts the topic with a rotating customer managed key and denies publishing without TLS', () => {
    // Act
    const topicId = logicalId(stack, stack.findings.topic as never);

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.findings.masterKey as never), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('subscribes each address once, filtered on the team message attribute to its teams, with a dead-letter queue', () => {
    // Act
    const emails = Object.values(
      template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } }),
    ) as Resource[];

    // Assess
    const byEndpoint = Object.fromEntries(emails.map((s) => [s.Properties.Endpoint, s.Properties]));
    expect(Object.keys(byEndpoint).sort()).toEqual([
      'payments-oncall@example.com',
      'platform-team@example.com',
      'shared-sre@example.com',
    ]);
    expect(byEndpoint['payments-oncall@example.com'].FilterPolicy).toEqual({ team: ['payments'] });
    expect(byEndpoint['platform-team@example.com'].FilterPolicy).toEqual({ team: ['platform'] });
    expect(byEndpoint['shared-sre@example.com'].FilterPolicy).toEqual({ team: ['payments', 'platform'] });
    for (const subscription of emails) {
      expect(subscription.Properties.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
      expect(subscription.Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, stack.findings.deadLetterQueue), 'Arn'] },
      });
    }
  });
});

describe('AutomationStack Slack notifier', () => {
  it('subscribes the notifier with a dead-letter queue and lets it read only the named secret, by ARN in env', () => {
    // Prepare
    const fixture = build();
    const { stack, template } = fixture;
    const notifier = stack.slackNotifier!;
    const secretArn = stack.resolve(notifier.webhookSecret.secretArn);

    // Act
    const statements = statementsOf(fixture, notifier.handler);
    const fnId = logicalId(stack, notifier.handler as never);

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [fnId, 'Arn'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, notifier.deadLetterQueue), 'Arn'] },
      },
    });
    expect(JSON.stringify(secretArn)).toContain(`:secret:${SLACK_SECRET_NAME}`);
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')))).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        // Exactly this secret: its name plus the six random characters Secrets Manager appends.
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:secretsmanager:${REGION}:${ACCOUNT}:secret:${SLACK_SECRET_NAME}-??????`,
            ],
          ],
        },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.SLACK_SECRET]: secretArn }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, notifier.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  it('creates no notifier, no Lambda subscription and no secret access without a webhook secret', () => {
    // Prepare
    const fixture = build(config({ notifications: { newFindingsOnly: true } }));

    // Act
    const lambdaSubscriptions = fixture.template.findResources('AWS::SNS::Subscription', {
      Properties: { Protocol: 'lambda' },
    });
    const policies = JSON.stringify(fixture.template.findResources('AWS::IAM::Policy'));

    // Assess
    expect(fixture.stack.slackNotifier).toBeUndefined();
    expect(Object.keys(lambdaSubscriptions)).toHaveLength(0);
    expect(policies).not.toContain('secretsmanager:');
    expect(functions(fixture.template)).toHaveLength(2);
    expect(JSON.stringify(functions(fixture.template))).not.toContain(ENV.SLACK_SECRET);
  });
});

describe('AutomationStack replication queue', () => {
  it('lets the scan function send to a given replication queue (and use its key) and passes the URL in env', () => {
    // Prepare
    const fixture = build(config(), true);
    const queue = fixture.replicationQueue!;

    // Act
    const statements = statementsOf(fixture, fixture.stack.scanEvents.handler);
    const scanFn = (fixture.template.findResources('AWS::Lambda::Function') as Record<string, Resource>)[
      logicalId(fixture.stack, fixture.stack.scanEvents.handler as never)
    ];

    // Assess
    const sends = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(sends).toHaveLength(1);
    expect(sends[0].Action).toBe('sqs:SendMessage');
    expect(JSON.stringify(sends[0].Resource)).toContain('ReplicationQueue');
    expect(statements.filter((s) => JSON.stringify(s.Resource).includes('ReplicationKey'))).toEqual([
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: expect.anything() },
    ]);
    const url = scanFn.Properties.Environment.Variables[ENV.REPLICATION_QUEUE];
    expect(JSON.stringify(url)).toContain('ReplicationQueue');
    expect(url).toEqual(fixture.stack.resolve(queue.queueUrl));
  });

  it('sets no replication queue URL when none is given', () => {
    // Prepare
    const { template } = build();

    // Act
    const text = JSON.stringify(functions(template));

    // Assess
    expect(text).not.toContain(ENV.REPLICATION_QUEUE);
  });
});

describe('AutomationStack cdk-nag', () => {
  it.each([
    ['with Slack, enhanced scanning and a replication queue', config(), true],
    [
      'without Slack, with basic scanning',
      config({ notifications: { newFindingsOnly: true }, scanning: { type: 'BASIC', rules: [] } }),
      false,
    ],
  ])('passes AwsSolutions and Serverless %s', (_name, cfg, withQueue) => {
    // Prepare
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'automation-nag-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const env = { region: REGION, account: ACCOUNT };
    let replicationQueue: Queue | undefined;
    if (withQueue) {
      const other = new Stack(app, 'Replication', { env });
      replicationQueue = new Queue(other, 'ReplicationQueue', {
        encryptionMasterKey: new Key(other, 'Key', { enableKeyRotation: true }),
        enforceSSL: true,
      });
      for (const id of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
        Validations.of(replicationQueue).acknowledge({
          id,
          reason: 'A stand-in for the gated replicator queue in this test.',
        });
      }
    }
    new AutomationStack(app, 'Automation', { env, config: cfg, replicationQueue });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));

    // Act
    let synthError: unknown;
    try {
      app.synth();
    } catch (error) {
      synthError = error;
    }

    // Assess
    const reportFile = path.join(app.outdir, 'validation-report.json');
    const report = fs.existsSync(reportFile)
      ? JSON.parse(fs.readFileSync(reportFile, 'utf8'))
      : { pluginReports: [] };
    const open = (
      report.pluginReports as {
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[]
    )
      .flatMap((plugin) => plugin.violations)
      .flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`))
      .filter((finding) => finding.includes(' at Automation/'));
    expect(open).toEqual([]);
    expect(synthError).toBeUndefined();
  });
});

describe('AutomationStack signature policy (scan.requireSignature)', () => {
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  const signed = config({
    signing: { signers: { ci: { type: 'cosign', publicKeys: [publicKey] } } },
    repositories: [
      {
        name: 'payments/api',
        team: 'payments',
        scan: { requireSignature: true, trustedSigners: ['ci'] },
      },
      { name: 'payments/worker', team: 'payments' },
      { name: 'platform/tools', team: 'platform' },
    ],
  });
  const fixture = build(signed);
  const { stack, template } = fixture;
  const scanTarget = { 'Fn::GetAtt': [logicalId(stack, stack.scanEvents.queue), 'Arn'] };

  it('sends pushes of cosign .sig tags and of manifests pushed by digest in signing repositories to the scan queue', () => {
    // Act
    const signatureRules = rules(template).filter(
      (rule) => rule.Properties.EventPattern.detail['image-tag'] !== undefined,
    );

    // Assess
    expect(rules(template)).toHaveLength(7);
    expect(signatureRules.map((rule) => rule.Properties.EventPattern)).toEqual([
      {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        account: [ACCOUNT],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'image-tag': [{ suffix: '.sig' }],
          'repository-name': ['payments/api'],
        },
      },
      {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        account: [ACCOUNT],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'image-tag': [''],
          'manifest-media-type': [
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.oci.artifact.manifest.v1+json',
          ],
          'repository-name': ['payments/api'],
        },
      },
    ]);
    for (const rule of signatureRules) expect(rule.Properties.Targets[0].Arn).toEqual(scanTarget);
  });

  it('routes signature pushes of a signing repository to the signature rules, and nothing else to them', () => {
    // Prepare: the published push sample, changed into each kind of push.
    const sample = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'events', 'ecr-image-push.json'), 'utf8'),
    );
    const push = (detail: Record<string, unknown>) => ({
      ...sample,
      detail: { ...sample.detail, 'repository-name': 'payments/api', ...detail },
    });
    const OCI = 'application/vnd.oci.image.manifest.v1+json';
    const sigTag = `sha256-${'a'.repeat(64)}.sig`;
    const matched = (event: unknown) =>
      Object.entries(template.findResources('AWS::Events::Rule'))
        .filter(([, rule]) =>
          matchesPattern(deployed(rule.Properties.EventPattern) as Record<string, unknown>, event),
        )
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort();

    // Act / Assess
    expect(matched(push({ 'image-tag': sigTag }))).toEqual([
      'ImageEventsEcrImageEvents',
      'ScanEventsEcrSignatureTagPush',
    ]);
    expect(matched(push({ 'image-tag': '', 'manifest-media-type': OCI }))).toEqual([
      'ImageEventsEcrImageEvents',
      'ScanEventsEcrReferrerPush',
    ]);
    expect(matched(push({ 'image-tag': 'v1.4.2', 'manifest-media-type': OCI }))).toEqual([
      'ImageEventsEcrImageEvents',
    ]);
    expect(
      matched({
        ...push({ 'image-tag': sigTag }),
        detail: { ...push({}).detail, 'image-tag': sigTag, 'repository-name': 'payments/worker' },
      }),
    ).toEqual(['ImageEventsEcrImageEvents']);
  });

  it('lets the scan function read signatures of the signing repositories only, with an ECR registry token', () => {
    // Act
    const statements = statementsOf(fixture, stack.scanEvents.handler);

    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:ListImages', 'ecr:DescribeImages'],
          Resource: arnsOf(stack, ['payments/api'])[0],
        },
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      ]),
    );
    const unsigned = build();
    const actions = statementsOf(unsigned, unsigned.stack.scanEvents.handler).flatMap(actionsOf);
    expect(actions).not.toContain('ecr:GetAuthorizationToken');
    expect(actions).not.toContain('ecr:GetDownloadUrlForLayer');
  });

  it('passes AwsSolutions and Serverless with the signature reads', () => {
    // Prepare
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'automation-nag-signing-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    new AutomationStack(app, 'Automation', { env: { region: REGION, account: ACCOUNT }, config: signed });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));

    // Act
    app.synth();

    // Assess
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    const open = (report.pluginReports as { violations: { ruleName: string }[] }[]).flatMap((plugin) =>
      plugin.violations.map((v) => v.ruleName),
    );
    expect(open).toEqual([]);
  });
});
