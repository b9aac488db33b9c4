import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildHarbormaster } from '../../infra/harbormaster';
import { VPC_ACCESS_ACTIONS } from '../../infra/constructs/harbormaster-function';
import { parseConfig } from '../../shared/config/load';
import {
  compliantDoc,
  controlTowerFailures,
  exampleDoc,
  NETWORK,
  type ConfigDoc as Doc,
  type ControlFailure,
} from './support/control-tower';

function app(doc: Doc): App {
  const built = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  buildHarbormaster(built, parseConfig(doc));
  return built;
}

const at = (stack: string, control: string): ControlFailure => ({ stack, control });

describe('AWS Control Tower proactive controls (cfn-guard rules of @cdklabs/cdk-validator-cfnguard) on every stack', () => {
  it('the example config fails only the two controls that depend on a user choice', () => {
    // Act
    const failures = controlTowerFailures(app(exampleDoc()));

    // Assess: CT.LAMBDA.PR.3 wants `network`; CT.ECR.PR.3 wants plain IMMUTABLE repositories (and replicas).
    expect(failures).toEqual([
      at('HarbormasterAutomation', 'CT.LAMBDA.PR.3'),
      at('HarbormasterRegistry', 'CT.ECR.PR.3'),
      at('HarbormasterReplicas-us-east-1', 'CT.ECR.PR.3'),
    ]);
  });

  it('passes every control with `network` set and IMMUTABLE repositories, blob mounting custom resource included', () => {
    // Prepare
    const doc = compliantDoc();
    doc.blobMounting = true;

    // Act
    const failures = controlTowerFailures(app(doc));

    // Assess
    expect(failures).toEqual([]);
  });

  it('passes every control on the destination-account stacks too (native and gated, templates with KMS and tags)', () => {
    // Prepare
    const doc = compliantDoc();
    doc.env.account = '111122223333';
    doc.replication.rules.push({
      destinations: [{ region: 'us-east-1', account: '444455556666' }],
      repositoryPrefixes: ['platform/'],
    });
    doc.creationTemplates[0].encryption = { type: 'KMS' };
    doc.gatedReplication[0].destinations.push({
      type: 'ecr',
      region: 'eu-west-1',
      account: '999988887777',
      repositoryPrefix: 'mirror/',
    });

    // Act
    const built = app(doc);
    const failures = controlTowerFailures(built);

    // Assess
    const stacks = built.node.children
      .map((c) => c.node.id)
      .filter((id) => id.startsWith('HarbormasterDestination'));
    expect(stacks).toEqual([
      'HarbormasterDestination-444455556666-us-east-1',
      'HarbormasterDestination-999988887777-eu-west-1',
    ]);
    expect(failures).toEqual([]);
  });

  it('judges the destination stacks: a mutable source repository makes its destination fail CT.ECR.PR.3 too', () => {
    // Prepare
    const doc = compliantDoc();
    doc.env.account = '111122223333';
    doc.repositories[0].tagMutability = 'MUTABLE';
    doc.gatedReplication[0].destinations = [{ type: 'ecr', region: 'eu-west-1', account: '999988887777' }];

    // Act
    const failures = controlTowerFailures(app(doc));

    // Assess
    expect(failures).toEqual([
      at('HarbormasterDestination-999988887777-eu-west-1', 'CT.ECR.PR.3'),
      at('HarbormasterRegistry', 'CT.ECR.PR.3'),
    ]);
  });

  it.each([
    [
      'logs.retentionDays below 365 fails CT.CLOUDWATCH.PR.2',
      (d: Doc) => (d.logs = { retentionDays: 30 }),
      'HarbormasterAutomation',
      'CT.CLOUDWATCH.PR.2',
    ],
    [
      'logs.encryption NONE fails CT.CLOUDWATCH.PR.3',
      (d: Doc) => (d.logs = { encryption: 'NONE' }),
      'HarbormasterAutomation',
      'CT.CLOUDWATCH.PR.3',
    ],
    [
      'a repository without lifecycle fails CT.ECR.PR.1',
      (d: Doc) => delete d.repositories[3].lifecycle,
      'HarbormasterRegistry',
      'CT.ECR.PR.1',
    ],
    [
      'scanOnPush false fails CT.ECR.PR.2',
      (d: Doc) => (d.repositories[3].scanOnPush = false),
      'HarbormasterRegistry',
      'CT.ECR.PR.2',
    ],
  ])('%s (and nothing else)', (_name, change, stack, control) => {
    // Prepare
    const doc = compliantDoc();
    change(doc);

    // Act
    const failures = controlTowerFailures(app(doc));

    // Assess
    expect(failures).toEqual([at(stack, control)]);
  });
});

describe('the Control Tower settings in the automation template', () => {
  function automation(doc: Doc): Template {
    const built = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = buildHarbormaster(built, parseConfig(doc));
    return Template.fromStack(stacks.automation);
  }

  it('CT.SQS.PR.1: each dead-letter queue lets only its own source queue redrive into it', () => {
    // Act
    const template = automation(exampleDoc());

    // Assess: every queue with a redrive policy is named, and its DLQ allows exactly that name.
    const queues = template.findResources('AWS::SQS::Queue');
    const sources = Object.values(queues).filter((q) => q.Properties.RedrivePolicy);
    expect(sources).toHaveLength(3);
    for (const source of sources) {
      const dlqId = source.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
      const allow = queues[dlqId].Properties.RedriveAllowPolicy;
      expect(allow.redrivePermission).toBe('byQueue');
      expect(allow.sourceQueueArns).toEqual([
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':sqs:eu-west-1:',
              { Ref: 'AWS::AccountId' },
              `:${source.Properties.QueueName}`,
            ],
          ],
        },
      ]);
      expect(source.Properties.QueueName.length).toBeLessThanOrEqual(80);
    }
    // The findings and Slack dead-letter queues take SNS / Lambda deliveries, no SQS source: allowAll.
    const others = Object.values(queues).filter(
      (q) => !q.Properties.RedrivePolicy && q.Properties.RedriveAllowPolicy?.redrivePermission === 'allowAll',
    );
    expect(others).toHaveLength(2);
  });

  it('CT.KMS.PR.3: every key denies kms:CreateGrant unless the grant is for an AWS resource', () => {
    // Act
    const template = automation(exampleDoc());

    // Assess
    const keys = Object.values(template.findResources('AWS::KMS::Key'));
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      expect(key.Properties.KeyPolicy.Statement).toContainEqual({
        Sid: 'DenyGrantsExceptForAwsResources',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      });
    }
  });

  it('CT.CLOUDWATCH.PR.2/PR.3: log groups keep 365 days by default, encrypted with the stack logs key', () => {
    // Act
    const template = automation(exampleDoc());

    // Assess
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(4);
    for (const group of groups) {
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(group.Properties.KmsKeyId).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^HarbormasterLogsKey/), 'Arn'],
      });
    }
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Harbormaster: encrypts the log groups of the Harbormaster functions',
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:eu-west-1:',
                      { Ref: 'AWS::AccountId' },
                      ':log-group:*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('logs.retentionDays and logs.encryption NONE reach every log group', () => {
    // Prepare
    const doc = exampleDoc();
    doc.logs = { retentionDays: 731, encryption: 'NONE' };

    // Act
    const template = automation(doc);

    // Assess
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties).toEqual({ RetentionInDays: 731 });
    }
    template.resourcePropertiesCountIs(
      'AWS::KMS::Key',
      { Description: Match.stringLikeRegexp('log groups') },
      0,
    );
  });

  it('the alarms key lets CloudWatch use it only for alarms of this account (aws:SourceAccount)', () => {
    // Act
    const template = automation(exampleDoc());

    // Assess
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchAlarmsToUseTheKey',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ]),
      },
    });
  });

  it('the scan and image event sources have a maximum concurrency', () => {
    // Act
    const template = automation(exampleDoc());

    // Assess: image and scan pipelines 10, the replicator its own 5.
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(
      mappings
        .map((m) => m.Properties.ScalingConfig)
        .sort((a, b) => a.MaximumConcurrency - b.MaximumConcurrency),
    ).toEqual([{ MaximumConcurrency: 5 }, { MaximumConcurrency: 10 }, { MaximumConcurrency: 10 }]);
  });

  it('`network` puts every function in the subnets and security groups, with the ENI permissions created first', () => {
    // Prepare
    const doc = exampleDoc();
    doc.network = NETWORK;

    // Act
    const template = automation(doc);

    // Assess
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(4);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.VpcConfig).toEqual({
        SubnetIds: NETWORK.subnetIds,
        SecurityGroupIds: NETWORK.securityGroupIds,
      });
      const policyIds = (fn.DependsOn as string[]).filter((id) => id.includes('VpcAccess'));
      expect(policyIds).toHaveLength(1);
      expect(template.toJSON().Resources[policyIds[0]].Properties.PolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Action: [...VPC_ACCESS_ACTIONS], Resource: '*' },
      ]);
    }
  });

  it('no `network`: no function has a VpcConfig', () => {
    // Act
    const template = automation(exampleDoc());

    // Assess
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.VpcConfig).toBeUndefined();
    }
  });
});
