import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import YAML from 'yaml';
import { buildHarbormaster, type HarbormasterStacks } from '../../infra/harbormaster';
import { loadConfig, parseConfig } from '../../shared/config/load';
import type { HarbormasterConfig } from '../../shared/config/schema';

const EXAMPLE_PATH = path.join(__dirname, '..', '..', 'harbormaster.config.yaml');
const EXAMPLE = loadConfig(EXAMPLE_PATH);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const exampleDoc = (): any => YAML.parse(fs.readFileSync(EXAMPLE_PATH, 'utf8'));

function synth(config: HarbormasterConfig = EXAMPLE): { app: App; stacks: HarbormasterStacks } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return { app, stacks: buildHarbormaster(app, config) };
}

describe('the replication queue accepts messages from the scan function only', () => {
  it('denies sqs:SendMessage to every principal but the scan function role', () => {
    // Act
    const { stacks } = synth();
    const automation = stacks.automation;
    const template = Template.fromStack(automation);

    // Assess
    const queueId = automation.getLogicalId(automation.replicator!.queue.node.defaultChild as never);
    const scanRoleId = automation.getLogicalId(automation.scanEvents.handlerRole.node.defaultChild as never);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'OnlyTheScanFunctionSends',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [scanRoleId, 'Arn'] } } },
          },
        ]),
      },
    });
    // The scan role keeps its own grant; no other role of the stack is granted sending to this queue.
    const queueArn = JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] });
    const senders = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).some(
        (st) =>
          JSON.stringify(st.Action).includes('sqs:SendMessage') &&
          JSON.stringify(st.Resource).includes(queueArn),
      ),
    );
    expect(senders.map((policy) => policy.Properties.Roles)).toEqual([[{ Ref: scanRoleId }]]);
  });
});

describe('ECR 2025-26 registry features', () => {
  it('excludes the replicator role from pull-time updates (AWS::ECR::PullTimeUpdateExclusion)', () => {
    // Act
    const { stacks } = synth();
    const automation = stacks.automation;

    // Assess
    const roleId = automation.getLogicalId(automation.replicator!.role.node.defaultChild as never);
    Template.fromStack(automation).resourcePropertiesCountIs(
      'AWS::ECR::PullTimeUpdateExclusion',
      { PrincipalArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
      1,
    );
  });

  it('no gated replication: no pull-time exclusion', () => {
    // Act
    const { stacks } = synth({ ...EXAMPLE, gatedReplication: [] });

    // Assess
    Template.fromStack(stacks.automation).resourceCountIs('AWS::ECR::PullTimeUpdateExclusion', 0);
  });

  it('blobMounting: true sets BLOB_MOUNTING ENABLED (DISABLED on delete), cdk-nag clean, in the VPC with network', () => {
    // Prepare
    const doc = exampleDoc();
    doc.blobMounting = true;
    doc.network = { subnetIds: ['subnet-0a1b2c3d'], securityGroupIds: ['sg-0a1b2c3d'] };

    // Act
    const { app, stacks } = synth(parseConfig(doc));
    const template = Template.fromStack(stacks.registry);

    // Assess: cdk-nag throws from synth on any unacknowledged error.
    expect(() => app.synth()).not.toThrow();
    const [resource] = Object.values(template.findResources('Custom::AWS'));
    const call = (key: string) =>
      JSON.parse(
        resource.Properties[key]['Fn::Join']
          ? resource.Properties[key]['Fn::Join'][1].join('')
          : resource.Properties[key],
      );
    expect(call('Create')).toMatchObject({
      service: 'ECR',
      action: 'PutAccountSetting',
      parameters: { name: 'BLOB_MOUNTING', value: 'ENABLED' },
    });
    expect(call('Update')).toMatchObject({ parameters: { name: 'BLOB_MOUNTING', value: 'ENABLED' } });
    expect(call('Delete')).toMatchObject({ parameters: { name: 'BLOB_MOUNTING', value: 'DISABLED' } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d'], SecurityGroupIds: ['sg-0a1b2c3d'] },
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
  });

  it('blobMounting off (the default): no custom resource', () => {
    // Act
    const { stacks } = synth();

    // Assess
    Template.fromStack(stacks.registry).resourceCountIs('Custom::AWS', 0);
  });

  it('warns at synth that a pull-through credential secret must exist before the first deploy', () => {
    // Act
    const { stacks } = synth();

    // Assess: one warning, for docker-hub (ecr-public takes no credentials).
    const warnings = Annotations.fromStack(stacks.registry).findWarning(
      '*',
      Match.stringLikeRegexp('secret'),
    );
    expect(warnings.map((w) => w.id)).toEqual(['/HarbormasterRegistry/PullThroughCache/docker-hub']);
    expect(warnings[0].entry.data).toMatch(
      /^Pull-through rule docker-hub \(docker-hub\) reads the Secrets Manager secret ecr-pullthroughcache\/docker-hub .* in eu-west-1: create it before the first deploy/,
    );
  });

  it('renders CREATE_ON_PUSH templates and archive lifecycle rules as ECR takes them', () => {
    // Prepare
    const doc = exampleDoc();
    doc.creationTemplates.push({
      prefix: 'sandbox',
      appliedFor: ['CREATE_ON_PUSH'],
      tagMutability: 'IMMUTABLE',
      lifecycle: { untaggedAfterDays: 1, archiveUnpulledAfterDays: 30 },
    });
    doc.repositories[1].lifecycle.archiveUnpulledAfterDays = 90;

    // Act
    const { stacks } = synth(parseConfig(doc));
    const template = Template.fromStack(stacks.registry);

    // Assess
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'sandbox',
      AppliedFor: ['CREATE_ON_PUSH'],
      ImageTagMutability: 'IMMUTABLE',
      LifecyclePolicy: Match.serializedJson({
        rules: [
          Match.objectLike({ rulePriority: 1, selection: Match.objectLike({ tagStatus: 'untagged' }) }),
          {
            rulePriority: 2,
            description: 'Harbormaster: archive images not pulled for 30 days',
            selection: {
              tagStatus: 'any',
              countType: 'sinceImagePulled',
              countUnit: 'days',
              countNumber: 30,
            },
            action: { type: 'transition', targetStorageClass: 'archive' },
          },
        ],
      }),
    });
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'payments/worker',
      LifecyclePolicy: {
        LifecyclePolicyText: Match.serializedJson({
          rules: Match.arrayWith([
            Match.objectLike({ action: { type: 'transition', targetStorageClass: 'archive' } }),
          ]),
        }),
      },
    });
  });
});
