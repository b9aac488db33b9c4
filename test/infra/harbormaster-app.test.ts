import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as path from 'node:path';
import { loadConfig } from '../../shared/config/load';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { buildHarbormaster } from '../../infra/harbormaster';

const EXAMPLE = loadConfig(path.join(__dirname, '..', '..', 'harbormaster.config.yaml'));

function synth(config: HarbormasterConfig) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildHarbormaster(app, config);
  return { app, stacks, automation: Template.fromStack(stacks.automation) };
}

describe('the whole app, as cdk synth builds it from the example config', () => {
  it('gives the scan function the replication queue whenever gated rules exist', () => {
    // Act
    const { automation, stacks } = synth(EXAMPLE);

    // Assess: the scan function fails fast without REPLICATION_QUEUE_URL, so the wiring must be there.
    const queueId = stacks.automation.getLogicalId(
      stacks.automation.replicator!.queue.node.defaultChild as never,
    );
    automation.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Harbormaster: scan results'),
      Environment: { Variables: Match.objectLike({ REPLICATION_QUEUE_URL: { Ref: queueId } }) },
    });
  });

  it('alarms on every dead-letter queue, including the replicator’s, and on every function’s errors', () => {
    // Act
    const { automation, stacks } = synth(EXAMPLE);

    // Assess
    const dlqs = stacks.automation.deadLetterQueues;
    expect(dlqs).toContain(stacks.automation.replicator!.deadLetterQueue);
    const alarms = automation.findResources('AWS::CloudWatch::Alarm');
    const dlqAlarms = Object.values(alarms).filter(
      (a) =>
        (a as { Properties: { MetricName?: string } }).Properties.MetricName ===
        'ApproximateNumberOfMessagesVisible',
    );
    expect(dlqAlarms).toHaveLength(dlqs.length);
    const errorAlarms = Object.values(alarms).filter(
      (a) => (a as { Properties: { MetricName?: string } }).Properties.MetricName === 'Errors',
    );
    expect(errorAlarms).toHaveLength(stacks.automation.monitoredFunctions.length);
    expect(stacks.automation.monitoredFunctions.map((f) => f.name)).toEqual(
      expect.arrayContaining(['image-events', 'scan-events', 'replicator']),
    );
    automation.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('builds no replicator and no replication env when the config has no gated rules', () => {
    // Arrange
    const config: HarbormasterConfig = { ...EXAMPLE, gatedReplication: [] };

    // Act
    const { automation, stacks, app } = synth(config);

    // Assess
    expect(stacks.automation.replicator).toBeUndefined();
    automation.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ REPLICATION_QUEUE_URL: Match.anyValue() }) } },
      0,
    );
    expect(app.node.children.map((c) => c.node.id)).not.toContain('HarbormasterReplicas-us-east-1');
  });

  it('creates a replica registry stack per same-account gated destination region', () => {
    // Act
    const { app } = synth(EXAMPLE);

    // Assess: the example replicates payments releases to us-east-1, and those repositories deploy first.
    const ids = app.node.children.map((c) => c.node.id);
    expect(ids).toContain('HarbormasterReplicas-us-east-1');
    const automation = app.node.findChild('HarbormasterAutomation') as Stack;
    expect(automation.dependencies.map((d) => d.stackName)).toContain('HarbormasterReplicas-us-east-1');
  });
});
