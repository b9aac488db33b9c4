import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig, loadConfig } from '../../shared/config/load';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { RegistryStack } from '../../infra/stacks/registry-stack';
import { replicationTemplateStacksFor } from '../../infra/stacks/replication-templates-stack';
import { baseConfig, type ConfigDocument } from '../fixtures/config/base-config';

const ROOT = path.join(__dirname, '..', '..');

function synth(config: HarbormasterConfig): { stack: RegistryStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new RegistryStack(app, 'Registry', {
    env: { region: config.env.region, account: config.env.account },
    config,
  });
  return { stack, template: Template.fromStack(stack) };
}

function configWith(change: (doc: ConfigDocument) => void): HarbormasterConfig {
  const doc = baseConfig();
  change(doc);
  return parseConfig(doc, 'test');
}

function repositoryNamed(
  template: Template,
  name: string,
): { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string } {
  const found = Object.values(
    template.findResources('AWS::ECR::Repository', { Properties: { RepositoryName: name } }),
  );
  expect(found).toHaveLength(1);
  return found[0] as never;
}

describe('RegistryStack from the shipped example config', () => {
  const config = loadConfig(path.join(ROOT, 'harbormaster.config.yaml'));
  const { stack, template } = synth(config);

  it('creates one repository per config entry and exposes each by name', () => {
    template.resourceCountIs('AWS::ECR::Repository', config.repositories.length);
    expect([...stack.repositories.keys()]).toEqual(config.repositories.map((r) => r.name));
  });

  it('keeps repositories and their images on stack deletion (RETAIN by default)', () => {
    const repo = repositoryNamed(template, 'payments/api');
    expect(repo.DeletionPolicy).toBe('Retain');
    expect(repo.UpdateReplacePolicy).toBe('Retain');
    expect(repo.Properties.EmptyOnDelete).toBeUndefined();
  });

  it('writes the lifecycle policy text built by shared/lifecycle', () => {
    const repo = repositoryNamed(template, 'payments/api');
    expect(
      JSON.parse((repo.Properties.LifecyclePolicy as { LifecyclePolicyText: string }).LifecyclePolicyText),
    ).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'Harbormaster: expire untagged images 7 days after push',
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 7,
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: 'Harbormaster: keep the last 30 images tagged v*.*.*',
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['v*.*.*'],
            countType: 'imageCountMoreThan',
            countNumber: 30,
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 3,
          description: 'Harbormaster: expire images tagged pr-* 14 days after push',
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['pr-*'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 14,
          },
          action: { type: 'expire' },
        },
      ],
    });
  });

  it('sets tag mutability with its exclusion filters', () => {
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'payments/worker',
      ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      ImageTagMutabilityExclusionFilters: [
        {
          ImageTagMutabilityExclusionFilterType: 'WILDCARD',
          ImageTagMutabilityExclusionFilterValue: 'latest',
        },
        { ImageTagMutabilityExclusionFilterType: 'WILDCARD', ImageTagMutabilityExclusionFilterValue: 'pr-*' },
      ],
    });
  });

  it('encrypts with KMS or AES256 and scans on push', () => {
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'payments/api',
      EncryptionConfiguration: { EncryptionType: 'KMS' },
      ImageScanningConfiguration: { ScanOnPush: true },
    });
    // AES256 is ECR's default: the property is left out rather than spelled.
    const worker = repositoryNamed(template, 'payments/worker');
    expect(worker.Properties.EncryptionConfiguration).toBeUndefined();
  });

  it('tags repositories with the config tags and the owning team', () => {
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'payments/api',
      Tags: Match.arrayWith([
        { Key: 'cost-center', Value: 'payments' },
        { Key: 'harbormaster:team', Value: 'payments' },
      ]),
    });
  });

  it('grants push, pull and admin actions to exactly the configured principals', () => {
    const repo = repositoryNamed(template, 'payments/api');
    const statements = (
      repo.Properties.RepositoryPolicyText as {
        Statement: { Sid: string; Principal: { AWS: unknown }; Action: string[] }[];
      }
    ).Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.HarbormasterPush.Principal.AWS).toBe('arn:aws:iam::111122223333:role/payments-ci');
    expect(bySid.HarbormasterPush.Action).toEqual(
      expect.arrayContaining(['ecr:PutImage', 'ecr:BatchGetImage']),
    );
    expect(bySid.HarbormasterPull.Action).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
    expect(JSON.stringify(bySid.HarbormasterPull.Principal.AWS)).toContain(':iam::444455556666:root');
    expect(bySid.HarbormasterAdmin.Principal.AWS).toBe('arn:aws:iam::111122223333:role/platform-admin');
    expect(bySid.HarbormasterAdmin.Action).toContain('ecr:BatchDeleteImage');
    expect(JSON.stringify(statements)).not.toMatch(/"AWS":"\*"|"\*"/);
  });

  it('configures enhanced registry scanning with its filters', () => {
    template.resourceCountIs('AWS::ECR::RegistryScanningConfiguration', 1);
    template.hasResourceProperties('AWS::ECR::RegistryScanningConfiguration', {
      ScanType: 'ENHANCED',
      Rules: [
        { ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [{ Filter: '*', FilterType: 'WILDCARD' }] },
        {
          ScanFrequency: 'CONTINUOUS_SCAN',
          RepositoryFilters: [
            { Filter: 'payments/*', FilterType: 'WILDCARD' },
            { Filter: 'platform/base-images/*', FilterType: 'WILDCARD' },
          ],
        },
      ],
    });
  });

  it('creates pull-through cache rules, with the credential secret ARN only where the upstream needs one', () => {
    template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 2);
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'ecr-public',
      UpstreamRegistry: 'ecr-public',
      UpstreamRegistryUrl: 'public.ecr.aws',
      CredentialArn: Match.absent(),
    });
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'docker-hub',
      UpstreamRegistry: 'docker-hub',
      UpstreamRegistryUrl: 'registry-1.docker.io',
      CredentialArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':secretsmanager:eu-west-1:',
            { Ref: 'AWS::AccountId' },
            ':secret:ecr-pullthroughcache/docker-hub',
          ],
        ],
      },
    });
  });

  it('replicates natively to the configured region with prefix filters', () => {
    template.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [
          {
            Destinations: [{ Region: 'eu-central-1', RegistryId: { Ref: 'AWS::AccountId' } }],
            RepositoryFilters: [{ Filter: 'payments/', FilterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
  });

  it('creates creation templates that carry lifecycle, mutability, encryption, policy and tags', () => {
    template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 3);
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'ROOT',
      AppliedFor: ['REPLICATION'],
      // Full versions immutable, the tags the sources move (v1.4, v1, latest, sha-*, scanned) mutable.
      ImageTagMutability: 'MUTABLE_WITH_EXCLUSION',
      ImageTagMutabilityExclusionFilters: [
        {
          ImageTagMutabilityExclusionFilterType: 'WILDCARD',
          ImageTagMutabilityExclusionFilterValue: 'v*.*.*',
        },
      ],
      EncryptionConfiguration: { EncryptionType: 'AES256' },
      LifecyclePolicy: Match.stringLikeRegexp('"tagStatus":"untagged"'),
      ResourceTags: [{ Key: 'managed-by', Value: 'harbormaster' }],
      CustomRoleArn: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
    });
    const dockerHub = Object.values(
      template.findResources('AWS::ECR::RepositoryCreationTemplate', {
        Properties: { Prefix: 'docker-hub' },
      }),
    )[0] as {
      Properties: { RepositoryPolicy: string; AppliedFor: string[]; ImageTagMutability: string };
    };
    expect(dockerHub.Properties.AppliedFor).toEqual(['PULL_THROUGH_CACHE']);
    expect(dockerHub.Properties.ImageTagMutability).toBe('MUTABLE');
    expect(JSON.stringify(dockerHub.Properties.RepositoryPolicy)).toContain('HarbormasterPull');
  });

  it('leaves the custom role out of a template that neither tags nor uses KMS', () => {
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'ecr-public',
      CustomRoleArn: Match.absent(),
    });
  });

  it('lets only ECR in this account assume the creation-template role, scoped to repositories', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Principal: { Service: 'ecr.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            Effect: 'Allow',
          },
        ],
      },
      Policies: [
        {
          PolicyDocument: {
            Statement: [
              Match.objectLike({ Action: ['ecr:CreateRepository', 'ecr:ReplicateImage', 'ecr:TagResource'] }),
            ],
          },
        },
      ],
    });
  });
});

describe('RegistryStack options', () => {
  it('deletes a repository and empties it only when the config says destroy', () => {
    const { template } = synth(configWith((d) => (d.repositories[1].removalPolicy = 'destroy')));
    const repo = repositoryNamed(template, 'payments/worker');
    expect(repo.DeletionPolicy).toBe('Delete');
    expect(repo.Properties.EmptyOnDelete).toBe(true);
    expect(repositoryNamed(template, 'payments/api').DeletionPolicy).toBe('Retain');
  });

  it('encrypts with the configured customer managed key', () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = synth(
      configWith((d) => (d.repositories[1].encryption = { type: 'KMS', kmsKeyArn: key })),
    );
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'payments/worker',
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: key },
    });
  });

  it('keeps priorities as built when a raw any rule sits after presets', () => {
    const { template } = synth(configWith(() => undefined));
    const text = (
      repositoryNamed(template, 'platform/tools').Properties.LifecyclePolicy as {
        LifecyclePolicyText: string;
      }
    ).LifecyclePolicyText;
    expect(
      JSON.parse(text).rules.map((r: { rulePriority: number; selection: { tagStatus: string } }) => [
        r.rulePriority,
        r.selection.tagStatus,
      ]),
    ).toEqual([
      [1, 'untagged'],
      [50, 'any'],
    ]);
  });

  it('replicates cross-account to the configured registry id', () => {
    const { template } = synth(
      configWith(
        (d) => (d.replication.rules[0].destinations = [{ region: 'eu-west-1', account: '999988887777' }]),
      ),
    );
    template.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [Match.objectLike({ Destinations: [{ Region: 'eu-west-1', RegistryId: '999988887777' }] })],
      },
    });
  });

  it('uses BASIC scanning when configured', () => {
    const { template } = synth(
      configWith(
        (d) =>
          (d.scanning = { type: 'BASIC', rules: [{ frequency: 'SCAN_ON_PUSH', filters: ['payments/*'] }] }),
      ),
    );
    template.hasResourceProperties('AWS::ECR::RegistryScanningConfiguration', {
      ScanType: 'BASIC',
      Rules: [
        {
          ScanFrequency: 'SCAN_ON_PUSH',
          RepositoryFilters: [{ Filter: 'payments/*', FilterType: 'WILDCARD' }],
        },
      ],
    });
  });

  it('creates no registry-wide resource the config does not ask for', () => {
    const { template } = synth(
      configWith((d) => {
        delete d.scanning;
        delete d.replication;
        d.pullThroughCache = [];
        d.creationTemplates = [];
      }),
    );
    template.resourceCountIs('AWS::ECR::RegistryScanningConfiguration', 0);
    template.resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
    template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 0);
    template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
  });

  it('gives the creation-template role KMS grants on the template key only', () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = synth(
      configWith((d) => (d.creationTemplates[0].encryption = { type: 'KMS', kmsKeyArn: key })),
    );
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Action: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant'],
                Resource: key,
              }),
            ]),
          },
        },
      ],
    });
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: key },
      CustomRoleArn: Match.anyValue(),
    });
  });
});

describe('a broken config file', () => {
  it('makes `cdk synth -c config=FILE` exit non-zero with one field-path line per problem and no stack trace', () => {
    // Act
    const result = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'cdk'),
      [
        'synth',
        '--quiet',
        '--no-notices',
        '-c',
        'config=test/fixtures/config/broken.yaml',
        '--output',
        path.join(tmpdir(), `hm-broken-${process.pid}`),
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 100000 },
    );

    // Assess
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('invalid config test/fixtures/config/broken.yaml:');
    expect(result.stderr).toContain(
      '  test/fixtures/config/broken.yaml:10:17: repositories[0].lifecycle.keepLast (payments/api): expected a positive integer, got -1',
    );
    expect(result.stderr).toContain(
      '  test/fixtures/config/broken.yaml:11:11: repositories[1].name: expected an ECR repository name',
    );
    expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });
});

describe('creation templates in native replication destination regions', () => {
  function appWith(change: (doc: ConfigDocument) => void) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = replicationTemplateStacksFor(app, configWith(change));
    return { stacks, templates: stacks.map((s) => Template.fromStack(s)) };
  }

  it('puts the REPLICATION templates into each same-account destination region, applied for REPLICATION only', () => {
    // Prepare / Act
    const { stacks, templates } = appWith((d) => {
      d.replication.rules = [
        { destinations: [{ region: 'eu-central-1' }, { region: 'us-east-1', account: '111122223333' }] },
        { destinations: [{ region: 'eu-central-1' }, { region: 'ap-south-1', account: '999988887777' }] },
      ];
      d.creationTemplates = [
        {
          prefix: 'ROOT',
          appliedFor: ['REPLICATION', 'PULL_THROUGH_CACHE'],
          tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          // sha-*: payments/api's auto-tag moves it, so its replicas must let native replication move it.
          mutabilityExclusions: ['latest', 'sha-*'],
        },
        { prefix: 'docker-hub', appliedFor: ['PULL_THROUGH_CACHE'] },
      ];
    });

    // Assess: no stack for the other account's region; one template (ROOT) per stack.
    expect(stacks.map((s) => [s.stackName, s.region])).toEqual([
      ['HarbormasterReplicationTemplates-eu-central-1', 'eu-central-1'],
      ['HarbormasterReplicationTemplates-us-east-1', 'us-east-1'],
    ]);
    for (const template of templates) {
      template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
      template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
        Prefix: 'ROOT',
        AppliedFor: ['REPLICATION'],
        ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      });
    }
  });

  it('uses aws/ecr in the destination region when the template key belongs to the source region', () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { templates } = appWith(
      (d) => (d.creationTemplates[0].encryption = { type: 'KMS', kmsKeyArn: key }),
    );
    templates[0].hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: Match.absent() },
    });
  });

  it('without REPLICATION templates, still creates the stack (it forwards replication results) with no template', () => {
    const { stacks, templates } = appWith(
      (d) => (d.creationTemplates = [{ prefix: 'docker-hub', appliedFor: ['PULL_THROUGH_CACHE'] }]),
    );
    expect(stacks.map((s) => s.stackName)).toEqual(['HarbormasterReplicationTemplates-eu-central-1']);
    templates[0].resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 0);
    templates[0].resourceCountIs('AWS::Events::Rule', 1);
  });

  it('creates no stack without a same-account native replication destination', () => {
    const { stacks } = appWith(
      (d) => (d.replication.rules = [{ destinations: [{ region: 'us-east-1', account: '999988887777' }] }]),
    );
    expect(stacks).toEqual([]);
  });
});
