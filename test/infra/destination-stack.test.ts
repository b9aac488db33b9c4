import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildHarbormaster } from '../../infra/harbormaster';
import { destinationStacksFor } from '../../infra/stacks/destination-stack';
import { ConfigError } from '../../shared/config/errors';
import { parseConfig } from '../../shared/config/load';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { lifecyclePolicyText } from '../../shared/lifecycle/policy';
import { destinationRegistries } from '../../shared/replication/destination-registries';
import { baseConfig, type ConfigDocument } from '../fixtures/config/base-config';

const SOURCE = '111122223333';
const DR = '444455556666';
const STAGING = '999988887777';
const KEY = `arn:aws:kms:eu-west-1:${SOURCE}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const REPLICATOR = 'HarbormasterAutomation-replicator-eu-west-1';

const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

/**
 * The base config plus: native replication of payments/ and platform/ to the DR account in us-east-1 (and of
 * payments/ to eu-central-1 in the source account), gated copies of payments releases to the DR account
 * (mirror/ prefix) and to a staging account, and a KMS-encrypted, tagged ROOT replication template.
 */
function doc(change: (d: ConfigDocument) => void = () => {}): ConfigDocument {
  const d = baseConfig();
  d.repositories[0].encryption = { type: 'KMS', kmsKeyArn: KEY };
  d.replication.rules = [
    {
      destinations: [{ region: 'eu-central-1' }, { region: 'us-east-1', account: DR }],
      repositoryPrefixes: ['payments/'],
    },
    { destinations: [{ region: 'us-east-1', account: DR }], repositoryPrefixes: ['platform/', 'payments/'] },
  ];
  d.creationTemplates = [
    {
      prefix: 'ROOT',
      appliedFor: ['REPLICATION', 'PULL_THROUGH_CACHE'],
      tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      mutabilityExclusions: ['latest', 'sha-*'],
      encryption: { type: 'KMS', kmsKeyArn: KEY },
      lifecycle: { untaggedAfterDays: 7 },
      tags: { 'managed-by': 'harbormaster' },
    },
    { prefix: 'docker-hub', appliedFor: ['PULL_THROUGH_CACHE'] },
  ];
  d.gatedReplication = [
    {
      name: 'payments-releases',
      repositories: ['payments/*'],
      tagPatterns: ['v*'],
      destinations: [
        { type: 'ecr', region: 'us-east-1', account: DR, repositoryPrefix: 'mirror/' },
        { type: 'ecr', region: 'eu-west-1', account: STAGING },
        { type: 'ecr', region: 'us-east-1' },
      ],
    },
  ];
  change(d);
  return d;
}

function build(config: HarbormasterConfig = parseConfig(doc())): { app: App; stacks: Stack[] } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = destinationStacksFor(app, config, { replicatorRoleName: REPLICATOR });
  return { app, stacks };
}

function templateOf(stacks: Stack[], name: string): Template {
  const stack = stacks.find((s) => s.stackName === name);
  if (!stack) throw new Error(`no stack ${name}`);
  return Template.fromStack(stack);
}

describe('HarbormasterDestination stacks', () => {
  it('one per account and region outside the source account, in that account and region', () => {
    // Act
    const { stacks } = build();

    // Assess: the same-account destinations (eu-central-1 native, us-east-1 gated) get none.
    expect(stacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['HarbormasterDestination-444455556666-us-east-1', DR, 'us-east-1'],
      ['HarbormasterDestination-999988887777-eu-west-1', STAGING, 'eu-west-1'],
    ]);
  });

  it('lets the source account replicate natively, only into the rules’ prefixes, with exactly CreateRepository and ReplicateImage', () => {
    // Act
    const template = templateOf(build().stacks, 'HarbormasterDestination-444455556666-us-east-1');

    // Assess
    template.resourceCountIs('AWS::ECR::RegistryPolicy', 1);
    template.hasResourceProperties('AWS::ECR::RegistryPolicy', {
      PolicyText: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'HarbormasterNativeReplication',
            Effect: 'Allow',
            Principal: { AWS: partitionArn(`:iam::${SOURCE}:root`) },
            Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
            Resource: [
              partitionArn(`:ecr:us-east-1:${DR}:repository/payments/*`),
              partitionArn(`:ecr:us-east-1:${DR}:repository/platform/*`),
            ],
          },
        ],
      },
    });
  });

  it('allows every repository when a native rule has no prefixes', () => {
    // Prepare
    const config = parseConfig(
      doc((d) => (d.replication.rules = [{ destinations: [{ region: 'us-east-1', account: DR }] }])),
    );

    // Act
    const template = templateOf(build(config).stacks, 'HarbormasterDestination-444455556666-us-east-1');

    // Assess
    template.hasResourceProperties('AWS::ECR::RegistryPolicy', {
      PolicyText: {
        Statement: [Match.objectLike({ Resource: [partitionArn(`:ecr:us-east-1:${DR}:repository/*`)] })],
      },
    });
  });

  it('creates the gated repositories with the source settings, aws/ecr of this account, and a push grant for the replicator role only', () => {
    // Prepare
    const config = parseConfig(doc());

    // Act
    const template = templateOf(build(config).stacks, 'HarbormasterDestination-444455556666-us-east-1');

    // Assess
    const repositories = template.findResources('AWS::ECR::Repository');
    expect(Object.values(repositories).map((r) => r.Properties.RepositoryName)).toEqual([
      'mirror/payments/api',
      'mirror/payments/worker',
    ]);
    template.hasResource('AWS::ECR::Repository', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        RepositoryName: 'mirror/payments/api',
        // The source key belongs to the source account: the DR account's aws/ecr instead.
        EncryptionConfiguration: { EncryptionType: 'KMS' },
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        ImageTagMutabilityExclusionFilters: [
          {
            ImageTagMutabilityExclusionFilterType: 'WILDCARD',
            ImageTagMutabilityExclusionFilterValue: 'latest',
          },
          {
            ImageTagMutabilityExclusionFilterType: 'WILDCARD',
            ImageTagMutabilityExclusionFilterValue: 'sha-*',
          },
        ],
        LifecyclePolicy: { LifecyclePolicyText: lifecyclePolicyText(config.repositories[0]) },
        RepositoryPolicyText: {
          Version: '2012-10-17',
          Statement: [
            // The source's pull principals keep pulling; its CI (push) and admins (delete) are not this account's.
            {
              Sid: 'HarbormasterPull',
              Effect: 'Allow',
              Principal: {
                AWS: [partitionArn(`:iam::${DR}:root`), `arn:aws:iam::${SOURCE}:role/payments-runtime`],
              },
              Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            },
            {
              Sid: 'HarbormasterReplicatorPush',
              Effect: 'Allow',
              Principal: { AWS: partitionArn(`:iam::${SOURCE}:root`) },
              Action: [
                'ecr:BatchCheckLayerAvailability',
                'ecr:InitiateLayerUpload',
                'ecr:UploadLayerPart',
                'ecr:CompleteLayerUpload',
                'ecr:PutImage',
                'ecr:BatchGetImage',
              ],
              Condition: {
                ArnEquals: { 'aws:PrincipalArn': partitionArn(`:iam::${SOURCE}:role/${REPLICATOR}`) },
              },
            },
          ],
        },
        Tags: [
          { Key: 'harbormaster:replica-of', Value: 'payments/api' },
          { Key: 'harbormaster:team', Value: 'payments' },
        ],
      },
    });
  });

  it('puts the REPLICATION templates where native replication arrives, with this account’s aws/ecr and its own ECR role', () => {
    // Act
    const template = templateOf(build().stacks, 'HarbormasterDestination-444455556666-us-east-1');

    // Assess: ROOT only (docker-hub is a pull-through template), applied for REPLICATION only.
    template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'ROOT',
      AppliedFor: ['REPLICATION'],
      ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      EncryptionConfiguration: { EncryptionType: 'KMS' },
      LifecyclePolicy: Match.stringLikeRegexp('expire untagged images 7 days after push'),
      ResourceTags: [{ Key: 'managed-by', Value: 'harbormaster' }],
      CustomRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CreationTemplatesRole'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'ecr.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  it('a gated-only destination gets its repositories and no registry policy or templates', () => {
    // Act
    const template = templateOf(build().stacks, 'HarbormasterDestination-999988887777-eu-west-1');

    // Assess
    template.resourceCountIs('AWS::ECR::RegistryPolicy', 0);
    template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
    const names = Object.values(template.findResources('AWS::ECR::Repository')).map(
      (r) => r.Properties.RepositoryName,
    );
    expect(names).toEqual(['payments/api', 'payments/worker']);
  });

  it('a native-only destination without REPLICATION templates gets only the registry policy', () => {
    // Prepare
    const config = parseConfig(
      doc((d) => {
        d.gatedReplication = [];
        d.creationTemplates = [];
      }),
    );

    // Act
    const { stacks } = build(config);

    // Assess
    expect(stacks.map((s) => s.stackName)).toEqual(['HarbormasterDestination-444455556666-us-east-1']);
    const template = Template.fromStack(stacks[0]);
    expect(Object.keys(template.toJSON().Resources)).toEqual(['RegistryPolicy']);
  });

  it('none without cross-account destinations (an account equal to the source is the same account)', () => {
    // Prepare
    const config = parseConfig(
      doc((d) => {
        d.replication.rules = [{ destinations: [{ region: 'us-east-1', account: SOURCE }] }];
        d.gatedReplication[0].destinations = [{ type: 'ecr', region: 'us-west-2', account: SOURCE }];
      }),
    );

    // Act / Assess
    expect(build(config).stacks).toEqual([]);
    expect(destinationRegistries(config)).toEqual([]);
  });

  it('fails synth naming env.account when cross-account destinations have no source account to grant', () => {
    // Prepare
    const config = parseConfig(doc((d) => delete d.env.account));

    // Act / Assess
    expect(() => build(config)).toThrow(ConfigError);
    expect(() => build(config)).toThrow(
      'invalid config config: env.account: expected the 12-digit account id the stacks deploy to: replication.rules[0].destinations[1] replicates to account 444455556666, whose HarbormasterDestination stack grants the source account by id',
    );
  });

  it('fails synth when gated repositories have no replicator role to grant', () => {
    // Prepare
    const app = new App();

    // Act / Assess
    expect(() => destinationStacksFor(app, parseConfig(doc()))).toThrow(
      'HarbormasterDestinationStack HarbormasterDestination-444455556666-us-east-1: replicatorRoleName is required for the gated repositories',
    );
  });
});

describe('the app and its destination stacks', () => {
  function appStacks(d: ConfigDocument) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const built = buildHarbormaster(app, parseConfig(d));
    const names = app.node.children
      .map((c) => c.node.id)
      .filter((id) => id.startsWith('HarbormasterDestination'));
    return { app, built, names };
  }

  it('creates a destination stack iff the config has cross-account destinations, naming the real replicator role', () => {
    // Act
    const withCrossAccount = appStacks(doc());
    const without = appStacks(baseConfig());

    // Assess
    expect(withCrossAccount.names).toEqual([
      'HarbormasterDestination-444455556666-us-east-1',
      'HarbormasterDestination-999988887777-eu-west-1',
    ]);
    expect(without.names).toEqual([]);
    const replicator = withCrossAccount.built.automation.replicator!;
    expect(replicator.roleName).toBe(REPLICATOR);
    const destination = Template.fromStack(
      withCrossAccount.app.node.findChild('HarbormasterDestination-999988887777-eu-west-1') as Stack,
    );
    destination.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryPolicyText: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Condition: {
              ArnEquals: { 'aws:PrincipalArn': partitionArn(`:iam::${SOURCE}:role/${REPLICATOR}`) },
            },
          }),
        ]),
      },
    });
  });

  it('no other stack depends on a destination stack: each deploys on its own, with its own credentials', () => {
    // Act
    const { app } = appStacks(doc());

    // Assess
    const dependencies = app.node.children
      .filter((c): c is Stack => 'dependencies' in c)
      .flatMap((s) => s.dependencies.map((d) => d.stackName));
    expect(dependencies.filter((name) => name.startsWith('HarbormasterDestination'))).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});
