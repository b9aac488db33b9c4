import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { HarbormasterAlarms } from '../../infra/constructs/observability/harbormaster-alarms';
import { HarbormasterDashboard } from '../../infra/constructs/observability/harbormaster-dashboard';
import type { MonitoredFunction } from '../../infra/constructs/observability/monitored-function';

interface Fixture {
  app: App;
  stack: Stack;
  template: Template;
  alarms: HarbormasterAlarms;
}

/** A stack with two functions and two dead-letter queues, wired to the dashboard and alarms like the automation stack. */
function build(
  alarmEmails: string[] = ['oncall@example.com', 'platform@example.com'],
  withNag = false,
): Fixture {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ObservabilityTest', {
    env: { region: 'eu-west-1', account: '111122223333' },
  });
  const fn = (id: string) =>
    new LambdaFunction(stack, id, {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler=()=>{}'),
    });
  const functions: MonitoredFunction[] = [
    { name: 'scan-events', function: fn('ScanEvents') },
    { name: 'replicator', function: fn('Replicator'), serviceName: 'harbormaster-replicator' },
  ];
  // Like the automation stack: each pipeline construct names its queue DeadLetterQueue.
  const dlq = (pipeline: string) =>
    new Queue(new Construct(stack, pipeline), 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
  const deadLetterQueues = [dlq('ScanEventsPipeline'), dlq('ReplicationPipeline')];
  new HarbormasterDashboard(stack, 'Dashboard', {
    functions,
    deadLetterQueues,
    replicationServiceName: 'harbormaster-replicator',
  });
  const alarms = new HarbormasterAlarms(stack, 'Alarms', {
    functions,
    deadLetterQueues,
    replicationServiceName: 'harbormaster-replicator',
    alarmEmails,
  });
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack, template: withNag ? (undefined as never) : Template.fromStack(stack), alarms };
}

function topicRef(fixture: Fixture): Record<string, unknown> {
  return { Ref: fixture.stack.getLogicalId(fixture.alarms.topic.node.defaultChild as never) };
}

describe('HarbormasterAlarms', () => {
  it('alarms on every dead-letter queue when a message is visible, notifying the operations topic', () => {
    // Prepare
    const fixture = build();

    // Act
    const dlqAlarms = fixture.template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' },
    });

    // Assess
    expect(Object.keys(dlqAlarms)).toHaveLength(2);
    for (const pipeline of ['ScanEventsPipeline', 'ReplicationPipeline']) {
      fixture.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${pipeline}DeadLetterQueue`), 'QueueName'] },
          },
        ],
        AlarmDescription: Match.stringLikeRegexp(`dead-letter queue ${pipeline}/DeadLetterQueue\\.`),
        AlarmActions: [topicRef(fixture)],
        OKActions: [topicRef(fixture)],
      });
    }
  });

  it("alarms on each function's Errors above zero, notifying the operations topic", () => {
    // Prepare
    const fixture = build();

    // Act
    const errorAlarms = fixture.template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
    });

    // Assess
    expect(Object.keys(errorAlarms)).toHaveLength(2);
    for (const functionId of ['ScanEvents', 'Replicator']) {
      fixture.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp(`^${functionId}`) } }],
        AlarmActions: [topicRef(fixture)],
      });
    }
  });

  it('alarms on ReplicationsFailed above zero for the replicator service', () => {
    // Prepare
    const fixture = build();

    // Act / Assess
    fixture.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Harbormaster',
      MetricName: 'ReplicationsFailed',
      Dimensions: [{ Name: 'service', Value: 'harbormaster-replicator' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef(fixture)],
    });
    // 2 queues + 2 functions + 1 replication alarm, and nothing else.
    fixture.template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  it('sends to a KMS-encrypted, TLS-only topic that CloudWatch alarms can use, with one email subscription per config address', () => {
    // Prepare
    const fixture = build();
    const keyId = fixture.stack.getLogicalId(fixture.alarms.topicKey.node.defaultChild as never);

    // Act / Assess
    fixture.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    fixture.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    fixture.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    fixture.template.resourceCountIs('AWS::SNS::Subscription', 2);
    fixture.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: topicRef(fixture),
    });
  });

  it('creates no subscription when the config lists no alarm email', () => {
    // Prepare / Act
    const fixture = build([]);

    // Assess
    fixture.template.resourceCountIs('AWS::SNS::Subscription', 0);
    fixture.template.resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('HarbormasterDashboard', () => {
  function widgets(fixture: Fixture): string {
    const dashboards = fixture.template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    // DashboardBody is a Fn::Join of strings and tokens; the literal parts carry the titles and metric names.
    const body = Object.values(dashboards)[0].Properties.DashboardBody;
    return JSON.stringify(body);
  }

  it('graphs events processed and failed per function, alerts sent and tags written from the Harbormaster namespace', () => {
    // Prepare
    const fixture = build();

    // Act
    const body = widgets(fixture);

    // Assess
    for (const title of ['Events processed', 'Events failed', 'Alerts sent', 'Tags written'])
      expect(body).toContain(title);
    for (const metric of ['EventsProcessed', 'EventsFailed', 'AlertsSent', 'TagsWritten']) {
      expect(body).toContain(`[\\"Harbormaster\\",\\"${metric}\\",\\"service\\",\\"scan-events\\"`);
      expect(body).toContain(
        `[\\"Harbormaster\\",\\"${metric}\\",\\"service\\",\\"harbormaster-replicator\\"`,
      );
    }
  });

  it('graphs replication bytes and failures for the replicator service', () => {
    // Prepare
    const fixture = build();

    // Act
    const body = widgets(fixture);

    // Assess
    expect(body).toContain(
      '[\\"Harbormaster\\",\\"ReplicationBytes\\",\\"service\\",\\"harbormaster-replicator\\"',
    );
    expect(body).toContain(
      '[\\"Harbormaster\\",\\"ReplicationsFailed\\",\\"service\\",\\"harbormaster-replicator\\"',
    );
  });

  it('graphs dead-letter queue depth and function errors, duration and throttles', () => {
    // Prepare
    const fixture = build();

    // Act
    const body = widgets(fixture);

    // Assess
    expect(body).toContain('[\\"AWS/SQS\\",\\"ApproximateNumberOfMessagesVisible\\",\\"QueueName\\"');
    for (const metric of ['Errors', 'Duration', 'Throttles'])
      expect(body).toContain(`[\\"AWS/Lambda\\",\\"${metric}\\",\\"FunctionName\\"`);
    expect(body).toContain('Dead-letter queue depth');
    expect(body).toContain('\\"label\\":\\"ScanEventsPipeline/DeadLetterQueue\\"');
    expect(body).toContain('\\"label\\":\\"ReplicationPipeline/DeadLetterQueue\\"');
    expect(body).toContain('Function duration p99');
  });

  it('rejects duplicate function names at synth', () => {
    // Prepare
    const stack = new Stack(new App(), 'Dup');
    const fn = new LambdaFunction(stack, 'F', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('x'),
    });

    // Act / Assess
    expect(
      () =>
        new HarbormasterDashboard(stack, 'D', {
          functions: [
            { name: 'a', function: fn },
            { name: 'a', function: fn },
          ],
          deadLetterQueues: [],
        }),
    ).toThrow(/"a" appears twice/);
  });
});

describe('observability constructs under cdk-nag', () => {
  it('synthesizes with no AwsSolutions or Serverless error from the topic, key, alarms or dashboard', () => {
    // Prepare
    const fixture = build(undefined, true);

    // Act
    let report = '';
    try {
      fixture.app.synth();
    } catch (error) {
      report = (error as Error).message;
    }

    // Assess: the bare test functions are reported (so the packs ran); nothing under Alarms/ or Dashboard/ is.
    expect(report).toMatch(/ObservabilityTest\/ScanEvents\//);
    expect(report).not.toMatch(/ObservabilityTest\/(Alarms|Dashboard)\//);
  });
});
