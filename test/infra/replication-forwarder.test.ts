import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { replicationActionPatterns } from '../../infra/constructs/automation/replication-forwarder';
import { AutomationStack } from '../../infra/stacks/automation-stack';
import { replicationTemplateStacksFor } from '../../infra/stacks/replication-templates-stack';
import { parseConfig } from '../../shared/config/load';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { matchesPattern } from '../../sandbox/event-pattern';

const ACCOUNT = '111122223333';
const HOME = 'eu-west-1';
const REPOSITORIES = ['payments/api', 'payments/worker', 'platform/tools'];
const HOME_BUS = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:${HOME}:${ACCOUNT}:event-bus/default`]],
};

function config(
  env: { region: string; account?: string } = { region: HOME, account: ACCOUNT },
): HarbormasterConfig {
  return parseConfig({
    env,
    teams: { payments: {}, platform: {} },
    repositories: REPOSITORIES.map((name) => ({ name, team: name.split('/')[0] })),
    // eu-central-1: same account (a stack here); ap-south-1: another account (its events are not ours).
    replication: {
      rules: [
        { destinations: [{ region: 'eu-central-1' }, { region: 'ap-south-1', account: '999988887777' }] },
      ],
    },
  });
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'events', `${name}.json`), 'utf8'),
  );
}

/** An ARN pattern as it resolves at deploy (the partition is `aws`). */
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

type Resource = { Properties: Record<string, unknown> };
const rulesOf = (template: Template) =>
  Object.entries(template.findResources('AWS::Events::Rule') as Record<string, Resource>);

describe('native replication results: forwarded from the destination region to the home automation', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = replicationTemplateStacksFor(app, config());
  const home = new AutomationStack(app, 'Automation', {
    env: { region: HOME, account: ACCOUNT },
    config: config(),
  });
  const destination = Template.fromStack(stacks[0]);
  const automation = Template.fromStack(home);
  const [[, rule]] = rulesOf(destination);
  const logicalIdOf = (type: string) => Object.keys(destination.findResources(type))[0];

  it('has a stack in each same-account destination region only', () => {
    expect(stacks.map((s) => [s.stackName, s.region, s.account])).toEqual([
      ['HarbormasterReplicationTemplates-eu-central-1', 'eu-central-1', ACCOUNT],
    ]);
    destination.resourceCountIs('AWS::Events::Rule', 1);
  });

  it('matches ECR Replication Action of managed repositories replicated out of the home region, this account only', () => {
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Replication Action'],
      account: [ACCOUNT],
      detail: { 'repository-name': REPOSITORIES, 'source-region': [HOME] },
    });
    expect(rule.Properties.EventBusName).toBeUndefined(); // the destination region's default bus
  });

  it("targets the home region's default bus by an ARN built offline, through a role and with a dead-letter queue", () => {
    expect(rule.Properties.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: HOME_BUS,
        RoleArn: { 'Fn::GetAtt': [logicalIdOf('AWS::IAM::Role'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue'), 'Arn'] } },
      },
    ]);
    // No cross-stack reference, export or lookup: the stack deploys on its own.
    expect(JSON.stringify(destination.toJSON())).not.toMatch(/Fn::ImportValue|Automation/);
    expect(stacks[0].dependencies).toEqual([]);
  });

  it('gives the role events:PutEvents on that one bus and nothing else, assumable by EventBridge of this account', () => {
    destination.resourceCountIs('AWS::IAM::Role', 1);
    destination.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ],
        Version: '2012-10-17',
      },
    });
    const policies = Object.values(destination.findResources('AWS::IAM::Policy') as Record<string, Resource>);
    expect(policies.map((p) => (p.Properties.PolicyDocument as { Statement: unknown }).Statement)).toEqual([
      [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: HOME_BUS }],
    ]);
    expect(policies[0].Properties.Roles).toEqual([{ Ref: logicalIdOf('AWS::IAM::Role') }]);
  });

  it('names the dead-letter queue in a stack output (no alarm can watch it from home)', () => {
    destination.hasOutput('ReplicationResultsDeadLetterQueueUrl', {
      Value: { Ref: logicalIdOf('AWS::SQS::Queue') },
    });
  });

  it('lets only this rule send undeliverable events to its dead-letter queue', () => {
    destination.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rulesOf(destination)[0][0], 'Arn'] } },
            },
          }),
        ]),
      },
    });
  });

  describe('routing the published samples (the sandbox matcher: EventBridge pattern semantics)', () => {
    const forwarder = deployed(rule.Properties.EventPattern) as Record<string, unknown>;
    const homeRules = rulesOf(automation).map(
      ([id, r]) => [id, deployed(r.Properties.EventPattern) as Record<string, unknown>] as const,
    );
    const homeRuleIds = (event: unknown) =>
      homeRules
        .filter(([, pattern]) => matchesPattern(pattern, event))
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));

    it.each(['ecr-replication-success', 'ecr-replication-failed'])(
      '%s in eu-central-1 is forwarded and, region kept, reaches the image-events rule at home and no other',
      (name) => {
        const event = fixture(name);
        expect(event.region).toBe('eu-central-1');
        expect(matchesPattern(forwarder, event)).toBe(true);
        // EventBridge forwards the event as it is: `region` stays the destination's.
        expect(homeRuleIds(event)).toEqual(['ImageEventsEcrImageEvents']);
      },
    );

    it('forwards nothing of another account, of another source region, or other ECR events', () => {
      const success = fixture('ecr-replication-success');
      const detail = success.detail as Record<string, unknown>;
      expect(matchesPattern(forwarder, { ...success, account: '999988887777' })).toBe(false);
      expect(
        matchesPattern(forwarder, { ...success, detail: { ...detail, 'source-region': 'us-east-1' } }),
      ).toBe(false);
      expect(
        matchesPattern(forwarder, { ...success, detail: { ...detail, 'repository-name': 'other/repo' } }),
      ).toBe(false);
      expect(matchesPattern(forwarder, { ...fixture('ecr-image-push'), region: 'eu-central-1' })).toBe(false);
      // And at home, a foreign account's replication result is not taken either (the account boundary).
      expect(homeRuleIds({ ...success, account: '999988887777' })).toEqual([]);
    });
  });

  it('splits a long repository list over several rules within the 4096-character pattern limit', () => {
    const names = Array.from({ length: 120 }, (_, i) => `team-${i}/service-with-a-rather-long-name-${i}`);
    const patterns = replicationActionPatterns({ names, account: ACCOUNT, sourceRegion: HOME });
    expect(Object.keys(patterns)).toEqual(['EcrReplicationAction', 'EcrReplicationAction2']);
    for (const pattern of Object.values(patterns))
      expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(4096);
    expect(
      Object.values(patterns).flatMap(
        (p) => (p.detail as { 'repository-name': string[] })['repository-name'],
      ),
    ).toEqual(names);
  });

  it('gives the image-events function the findings topic and sns:Publish on it, and alarms on native failures', () => {
    automation.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('image events of managed repositories'),
      Environment: {
        Variables: Match.objectLike({
          FINDINGS_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^FindingsTopic') },
        }),
      },
    });
    const imageRole = home.getLogicalId(home.imageEvents.handlerRole.node.defaultChild as CfnElement);
    const publishers = Object.values(automation.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('"sns:Publish"'))
      .flatMap((p) => p.Properties.Roles as unknown[]);
    expect(publishers).toContainEqual({ Ref: imageRole });
    automation.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReplicationsFailed',
      Namespace: 'Harbormaster',
      Dimensions: [{ Name: 'service', Value: 'image-events' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('forwarder of an environment-agnostic config', () => {
  it("builds the bus ARN from the stack's own account (AWS::AccountId), still without a lookup", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const [stack] = replicationTemplateStacksFor(app, config({ region: HOME }));
    const [[, rule]] = rulesOf(Template.fromStack(stack));
    expect((rule.Properties.Targets as { Arn: unknown }[])[0].Arn).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:events:${HOME}:`,
          { Ref: 'AWS::AccountId' },
          ':event-bus/default',
        ],
      ],
    });
  });
});
