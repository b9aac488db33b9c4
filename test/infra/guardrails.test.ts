import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildHarbormaster, type HarbormasterStacks } from '../../infra/harbormaster';
import { loadConfig } from '../../shared/config/load';
import type { HarbormasterConfig } from '../../shared/config/schema';

const EXAMPLE = loadConfig(path.join(__dirname, '..', '..', 'harbormaster.config.yaml'));

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
