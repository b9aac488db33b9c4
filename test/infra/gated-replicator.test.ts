import * as path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { GatedReplicator, replicatorRoleName } from '../../infra/constructs/replication/gated-replicator';
import { replicaStacksFor } from '../../infra/stacks/replica-registry-stack';
import { loadConfig } from '../../shared/config/load';
import { configSchema, type ConfigInput, type HarbormasterConfig } from '../../shared/config/schema';

const ROOT = path.join(__dirname, '..', '..');
const ACCOUNT = '111122223333';

function config(overrides: Partial<ConfigInput> = {}): HarbormasterConfig {
  return configSchema.parse({
    env: { region: 'eu-west-1', account: ACCOUNT },
    teams: { payments: {}, platform: {} },
    repositories: [
      {
        name: 'payments/api',
        team: 'payments',
        encryption: {
          type: 'KMS',
          kmsKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        },
        tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        mutabilityExclusions: ['latest'],
        lifecycle: { untaggedAfterDays: 7 },
        access: { push: [`arn:aws:iam::${ACCOUNT}:role/payments-ci`], pull: ['444455556666'] },
        tags: { 'cost-center': 'payments' },
      },
      { name: 'payments/worker', team: 'payments' },
      { name: 'platform/tools', team: 'platform' },
    ],
    gatedReplication: [
      {
        name: 'payments-dr',
        repositories: ['payments/*'],
        tagPatterns: ['v*'],
        destinations: [
          { type: 'ecr', region: 'us-east-1' },
          { type: 'ecr', region: 'eu-west-1', repositoryPrefix: 'staging/' },
          { type: 'ecr', region: 'eu-central-1', account: '444455556666', repositoryPrefix: 'mirror/' },
          {
            type: 'registry',
            host: 'ghcr.io',
            repositoryPrefix: 'example-org/',
            credentialsSecret: 'harbormaster/ghcr',
          },
        ],
      },
    ],
    ...overrides,
  });
}

interface Built {
  app: App;
  stack: Stack;
  replicator: GatedReplicator;
}

function build(cfg: HarbormasterConfig = config()): Built {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Automation', { env: { region: 'eu-west-1', account: ACCOUNT } });
  const auditTable = new Table(stack, 'Audit', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const stateTable = new Table(stack, 'ImageState', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const alertTopic = new Topic(stack, 'Findings', {
    masterKey: new Key(stack, 'FindingsKey', { enableKeyRotation: true }),
    enforceSSL: true,
  });
  const replicator = new GatedReplicator(stack, 'GatedReplicator', {
    config: cfg,
    auditTable,
    stateTable,
    alertTopic,
  });
  return { app, stack, replicator };
}

function statementsWith(
  template: Template,
  action: string,
): Array<{ Action: string | string[]; Resource: unknown }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (
      policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>
    ).filter((s) => ([] as string[]).concat(s.Action).includes(action)),
  );
}

describe('GatedReplicator', () => {
  it('feeds the function from an encrypted, TLS-only queue with a dead-letter queue', () => {
    // Prepare / Act
    const { stack, replicator } = build();
    const template = Template.fromStack(stack);

    // Assess
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 5400,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 3 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('GatedReplicatorQueue'), 'Arn'] },
    });
    expect(replicator.deadLetterQueue).toBeDefined();
  });

  it('sizes the function for large images and keeps the visibility timeout at least 6x its timeout', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1536,
      Timeout: 900,
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          AUDIT_TABLE_NAME: { Ref: Match.stringLikeRegexp('Audit') },
          FINDINGS_TOPIC_ARN: { Ref: Match.stringLikeRegexp('Findings') },
          IMAGE_STATE_TABLE_NAME: { Ref: Match.stringLikeRegexp('ImageState') },
          HARBORMASTER_ACCOUNT_ID: ACCOUNT,
          POWERTOOLS_SERVICE_NAME: 'replicator',
        }),
      },
    });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const queue = Object.values(template.findResources('AWS::SQS::Queue')).find(
      (q) => q.Properties.RedrivePolicy,
    );
    expect(queue?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
    expect(queue?.Properties.VisibilityTimeout).toBeLessThanOrEqual(Duration.hours(12).toSeconds());
  });

  it('scopes ECR pull to the replicated managed repositories and push to the exact destination ARNs', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);

    const pull = statementsWith(template, 'ecr:GetDownloadUrlForLayer');
    expect(pull).toHaveLength(1);
    expect(JSON.stringify(pull[0].Resource)).toContain(':repository/payments/api');
    expect(JSON.stringify(pull[0].Resource)).toContain(':repository/payments/worker');
    expect(JSON.stringify(pull[0].Resource)).not.toContain('platform/tools');

    const push = statementsWith(template, 'ecr:PutImage');
    expect(push).toHaveLength(1);
    expect(push[0].Action).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:PutImage',
      'ecr:BatchGetImage',
    ]);
    const resources = JSON.stringify(push[0].Resource);
    for (const arn of [
      `:ecr:us-east-1:${ACCOUNT}:repository/payments/api`,
      `:ecr:us-east-1:${ACCOUNT}:repository/payments/worker`,
      `:ecr:eu-west-1:${ACCOUNT}:repository/staging/payments/api`,
      ':ecr:eu-central-1:444455556666:repository/mirror/payments/worker',
    ]) {
      expect(resources).toContain(arn);
    }
    expect((push[0].Resource as unknown[]).length).toBe(6);
    expect(resources).not.toMatch(/repository\/\*|"\*"/);

    // Cross-account destinations allow this role in their repository policy; operators redrive the DLQ: both are outputs.
    const outputs = Object.values(template.findOutputs('*'));
    expect(outputs).toEqual([
      expect.objectContaining({
        Value: { 'Fn::GetAtt': [expect.stringMatching(/^GatedReplicatorDeadLetterQueue/), 'Arn'] },
      }),
      expect.objectContaining({
        Value: { 'Fn::GetAtt': [expect.stringMatching(/^GatedReplicatorRole/), 'Arn'] },
      }),
    ]);
    const token = statementsWith(template, 'ecr:GetAuthorizationToken');
    expect(token).toEqual([expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' })]);
  });

  it('names its role from the stack and region, so destination accounts can name it before it exists', () => {
    // Act
    const { stack, replicator } = build();

    // Assess
    expect(replicator.roleName).toBe('Automation-replicator-eu-west-1');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'Automation-replicator-eu-west-1',
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
    });
  });

  it.each([
    ['HarbormasterAutomation', 'ap-southeast-1', 'HarbormasterAutomation-replicator-ap-southeast-1'],
    ['HarbormasterAutomation', undefined, 'HarbormasterAutomation-replicator'],
    [
      'MyCompanyPlatformProductionStage-HarbormasterAutomation',
      'eu-west-1',
      'MyCompanyPlatformProductionStage-HarbormasterAutomation-f7871316',
    ],
  ])('replicatorRoleName(%s, %s) is %s, within 64 characters', (stackName, region, expected) => {
    const name = replicatorRoleName(stackName, region);
    expect(name).toBe(expected);
    expect(name.length).toBeLessThanOrEqual(64);
  });

  it('reads only the named registry secrets, writes audit rows and publishes alerts with the topic key', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);

    expect(statementsWith(template, 'secretsmanager:GetSecretValue')).toEqual([
      expect.objectContaining({
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:secretsmanager:eu-west-1:${ACCOUNT}:secret:harbormaster/ghcr-??????`,
            ],
          ],
        },
      }),
    ]);
    expect(statementsWith(template, 'dynamodb:PutItem')).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Audit/), 'Arn'] },
      }),
    ]);
    // The verdict is re-read before a copy; the ledger items are the only state it may write.
    expect(statementsWith(template, 'dynamodb:GetItem')).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ImageState/), 'Arn'] },
      },
    ]);
    expect(statementsWith(template, 'dynamodb:UpdateItem')).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ImageState/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REPLICATION#*'] } },
      },
    ]);
    expect(statementsWith(template, 'sns:Publish')).toEqual([
      expect.objectContaining({
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/^Findings/) },
      }),
    ]);
    const kms = statementsWith(template, 'kms:GenerateDataKey');
    expect(kms).toEqual([
      expect.objectContaining({ Resource: { 'Fn::GetAtt': [expect.stringMatching(/FindingsKey/), 'Arn'] } }),
    ]);
  });

  it('grants no secret read when no registry destination has credentials', () => {
    const { stack } = build(
      config({
        gatedReplication: [
          {
            name: 'dr',
            repositories: ['payments/api'],
            tagPatterns: ['v*'],
            destinations: [{ type: 'ecr', region: 'us-east-1' }],
          },
        ],
      }),
    );

    expect(statementsWith(Template.fromStack(stack), 'secretsmanager:GetSecretValue')).toEqual([]);
  });

  it('rejects contradictory sizes at synth', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S');
    const auditTable = new Table(stack, 'T', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const stateTable = new Table(stack, 'S', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const alertTopic = new Topic(stack, 'Topic');
    const props = { config: config(), auditTable, stateTable, alertTopic };

    expect(() => new GatedReplicator(stack, 'R', { ...props, memorySize: 512 })).toThrow(
      'GatedReplicator: memorySize must be an integer from 1024 to 10240 MB, got 512',
    );
    expect(() => new GatedReplicator(stack, 'R2', { ...props, maxConcurrency: 1 })).toThrow(
      /maxConcurrency must be an integer from 2 to 1000, got 1/,
    );
  });
});

describe('replica registry stacks', () => {
  it('creates one stack per same-account destination region with repositories named prefix + source name', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const stacks = replicaStacksFor(app, config());

    // Assess
    expect(stacks.map((s) => [s.stackName, s.region, s.account, s.repositoryNames])).toEqual([
      ['HarbormasterReplicas-us-east-1', 'us-east-1', ACCOUNT, ['payments/api', 'payments/worker']],
      [
        'HarbormasterReplicas-eu-west-1',
        'eu-west-1',
        ACCOUNT,
        ['staging/payments/api', 'staging/payments/worker'],
      ],
    ]);
  });

  it("copies the source repository's settings; replicas are RETAIN, never pushed to by CI, and use a regional key", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const [usEast, euWest] = replicaStacksFor(app, config());
    const us = Template.fromStack(usEast);
    const eu = Template.fromStack(euWest);

    us.resourceCountIs('AWS::ECR::Repository', 2);
    us.hasResource('AWS::ECR::Repository', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        RepositoryName: 'payments/api',
        // The source's key lives in eu-west-1: the replica in us-east-1 uses aws/ecr there.
        EncryptionConfiguration: { EncryptionType: 'KMS' },
        ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        ImageTagMutabilityExclusionFilters: [
          {
            ImageTagMutabilityExclusionFilterType: 'WILDCARD',
            ImageTagMutabilityExclusionFilterValue: 'latest',
          },
        ],
        LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('untagged') },
        Tags: Match.arrayWith([
          { Key: 'cost-center', Value: 'payments' },
          { Key: 'harbormaster:replica-of', Value: 'payments/api' },
        ]),
      }),
    });
    const api = Object.values(us.findResources('AWS::ECR::Repository')).find(
      (r) => r.Properties.RepositoryName === 'payments/api',
    );
    const policy = JSON.stringify(api?.Properties.RepositoryPolicyText ?? {});
    expect(policy).toContain('444455556666');
    expect(policy).not.toContain('payments-ci');
    // Same region: the source's own key still applies.
    eu.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'staging/payments/api',
      EncryptionConfiguration: {
        EncryptionType: 'KMS',
        KmsKey: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      },
    });
  });

  it('creates no stack when no rule has a same-account ECR destination', () => {
    const app = new App();
    const cfg = config({
      gatedReplication: [
        {
          name: 'ghcr',
          repositories: ['payments/*'],
          tagPatterns: ['v*'],
          destinations: [{ type: 'registry', host: 'ghcr.io' }],
        },
      ],
    });

    expect(replicaStacksFor(app, cfg)).toEqual([]);
  });
});

describe('cdk-nag (AwsSolutions + Serverless)', () => {
  function withNag(built: Built): App {
    replicaStacksFor(built.app, config());
    Validations.of(built.app).addPlugins(new AwsSolutionsChecks(built.app), new ServerlessChecks(built.app));
    return built.app;
  }

  it('passes for the replicator and the replica stacks: synth does not throw', () => {
    const app = withNag(build());

    expect(() => app.synth()).not.toThrow();
  });

  it('passes for the example config', () => {
    const cfg = loadConfig(path.join(ROOT, 'harbormaster.config.yaml'));
    const built = build(cfg);
    replicaStacksFor(built.app, cfg);
    Validations.of(built.app).addPlugins(new AwsSolutionsChecks(built.app), new ServerlessChecks(built.app));

    expect(() => built.app.synth()).not.toThrow();
  });
});
