import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { buildHarbormaster, Harbormaster } from '../../infra/harbormaster';
import { loadConfig, parseConfig } from '../../shared/config/load';
import { baseConfig } from '../fixtures/config/base-config';

const ROOT = path.join(__dirname, '..', '..');

/** The whole app as `cdk synth` builds it, function bundling skipped (fast, no esbuild). */
function harbormasterApp(): App {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  buildHarbormaster(app, loadConfig(path.join(ROOT, 'harbormaster.config.yaml')));
  return app;
}

describe('cdk-nag (AwsSolutions + Serverless) on the whole app', () => {
  it('reports no unacknowledged error for the example config: synth does not throw', () => {
    // Prepare
    const app = harbormasterApp();

    // Act / Assess: cdk-nag makes app.synth() throw (the CLI prints "Validation failed") on any unacknowledged error.
    expect(() => app.synth()).not.toThrow();
  });

  it('would fail synth on an unacknowledged finding in a Harbormaster stack, so the test above can fail', () => {
    // Prepare: the same app plus one role with a wildcard permission and no acknowledgement.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { registry } = buildHarbormaster(app, loadConfig(path.join(ROOT, 'harbormaster.config.yaml')));
    const role = new Role(registry, 'Wildcard', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ actions: ['ecr:*'], resources: ['*'] }));

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });

  it("leaves the app's other stacks unjudged (a construct-library user's own resources)", () => {
    // Prepare: the same finding in a stack that is not Harbormaster's.
    const app = harbormasterApp();
    const stack = new Stack(app, 'UsersOwnStack', { env: { region: 'eu-west-1' } });
    const role = new Role(stack, 'Wildcard', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ actions: ['ecr:*'], resources: ['*'] }));

    // Act / Assess
    expect(() => app.synth()).not.toThrow();
  });
});

describe('cdk-nag on the destination-account stacks', () => {
  it('passes for native and gated cross-account destinations with KMS and tagged REPLICATION templates', () => {
    // Prepare
    const doc = baseConfig();
    doc.replication.rules.push({ destinations: [{ region: 'us-east-1', account: '999988887777' }] });
    doc.creationTemplates = [
      {
        prefix: 'ROOT',
        appliedFor: ['REPLICATION'],
        encryption: { type: 'KMS' },
        tags: { 'managed-by': 'harbormaster' },
      },
      { prefix: 'payments', appliedFor: ['REPLICATION'], lifecycle: { untaggedAfterDays: 7 } },
    ];
    doc.gatedReplication = [
      {
        name: 'dr',
        repositories: ['payments/*'],
        tagPatterns: ['v*'],
        destinations: [
          { type: 'ecr', region: 'us-east-1', account: '999988887777', repositoryPrefix: 'mirror/' },
          { type: 'ecr', region: 'eu-west-1', account: '444455556666' },
        ],
      },
    ];
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const harbormaster = new Harbormaster(app, 'Harbormaster', { config: parseConfig(doc, 'test') });

    // Act / Assess: the destination stacks are among the stacks cdk-nag checks, and none has an error.
    expect(harbormaster.stacks.map((s) => s.stackName)).toEqual(
      expect.arrayContaining([
        'HarbormasterDestination-999988887777-us-east-1',
        'HarbormasterDestination-444455556666-eu-west-1',
      ]),
    );
    expect(() => app.synth()).not.toThrow();
  });
});

describe('cdk-nag on the registry options the example does not use', () => {
  it('passes with KMS templates (managed and customer keys), prefixed templates, destroy and cross-account settings', () => {
    // Prepare
    const doc = baseConfig();
    doc.repositories[1].removalPolicy = 'destroy';
    doc.repositories[1].encryption = {
      type: 'KMS',
      kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    };
    doc.replication.rules.push({ destinations: [{ region: 'us-east-1', account: '999988887777' }] });
    doc.creationTemplates = [
      {
        prefix: 'ROOT',
        appliedFor: ['REPLICATION'],
        encryption: { type: 'KMS' },
        tags: { 'managed-by': 'harbormaster' },
      },
      {
        prefix: 'docker-hub',
        appliedFor: ['PULL_THROUGH_CACHE'],
        encryption: {
          type: 'KMS',
          kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      },
    ];
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    buildHarbormaster(app, parseConfig(doc, 'test'));

    // Act / Assess
    expect(() => app.synth()).not.toThrow();
  });
});
