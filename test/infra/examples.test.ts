import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildHarbormaster } from '../../infra/harbormaster';
import { loadConfig } from '../../shared/config/load';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const files = fs
  .readdirSync(EXAMPLES)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();

describe('examples/', () => {
  it('holds at least one config', () => {
    expect(files).toContain('multi-team.config.yaml');
  });

  it.each(files)('%s validates and synthesizes every stack with cdk-nag passing', (name) => {
    // Prepare
    const config = loadConfig(path.join(EXAMPLES, name));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const stacks = buildHarbormaster(app, config);

    // Assess: cdk-nag makes synth throw on any unacknowledged error; every repository is created.
    expect(() => app.synth()).not.toThrow();
    const registry = Template.fromStack(stacks.registry);
    const names = Object.values(registry.findResources('AWS::ECR::Repository')).map(
      (r) => (r as { Properties: { RepositoryName: string } }).Properties.RepositoryName,
    );
    expect(names.sort()).toEqual(config.repositories.map((r) => r.name).sort());
    expect(stacks.registry.region).toBe(config.env.region);
  });

  it('multi-team: a replica stack for the same-account gated region, a destination stack per other account and region', () => {
    // Prepare
    const config = loadConfig(path.join(EXAMPLES, 'multi-team.config.yaml'));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    buildHarbormaster(app, config);

    // Assess: eu-west-1 (same account) gets replicas; the DR account (native) and the staging account (gated)
    // each get a destination stack in their own account; Harbor gets none.
    const stacks = app.node.children
      .filter((c): c is Stack => c instanceof Stack)
      .map((s) => `${s.stackName}@${s.account}/${s.region}`)
      .sort();
    expect(stacks).toEqual([
      'HarbormasterAutomation@210987654321/us-west-2',
      'HarbormasterDestination-333344445555-us-east-2@333344445555/us-east-2',
      'HarbormasterDestination-444455556666-us-west-2@444455556666/us-west-2',
      'HarbormasterRegistry@210987654321/us-west-2',
      'HarbormasterReplicas-eu-west-1@210987654321/eu-west-1',
    ]);
  });
});
