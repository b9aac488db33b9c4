import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  matchesRepositoryFilter,
  SigningConfiguration,
} from '../../../infra/constructs/registry/signing-configuration';
import { buildHarbormaster } from '../../../infra/harbormaster';
import { RegistryStack } from '../../../infra/stacks/registry-stack';
import { baseConfig } from '../../fixtures/config/base-config';
import { parseConfig } from '../../../shared/config/load';

const PROFILE = 'arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release';
const TEAM_PROFILE = 'arn:aws:signer:eu-west-1:111122223333:/signing-profiles/team_builds';
const CI = 'arn:aws:iam::111122223333:role/ci-push';
const TEAM_CI = 'arn:aws:iam::111122223333:role/team-ci';

function config() {
  return parseConfig(
    {
      env: { region: 'eu-west-1', account: '111122223333' },
      teams: { payments: {} },
      repositories: [
        { name: 'payments/api', team: 'payments', access: { push: [CI] } },
        { name: 'payments/worker', team: 'payments', access: { push: [CI, TEAM_CI] } },
        { name: 'tools/builder', team: 'payments', access: { push: [TEAM_CI] } },
      ],
      signing: {
        rules: [
          { signingProfileArn: PROFILE, repositoryFilters: ['payments/*'] },
          { signingProfileArn: TEAM_PROFILE },
        ],
      },
    },
    'test.yaml',
  );
}

describe('SigningConfiguration', () => {
  it('deploys the registry signing rules and lets the matched push principals sign with each profile', () => {
    // Prepare
    const cfg = config();
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const stack = new RegistryStack(app, 'Registry', {
      env: { region: 'eu-west-1', account: '111122223333' },
      config: cfg,
    });

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::SigningConfiguration', 1);
    template.hasResourceProperties('AWS::ECR::SigningConfiguration', {
      Rules: [
        {
          SigningProfileArn: PROFILE,
          RepositoryFilters: [{ Filter: 'payments/*', FilterType: 'WILDCARD_MATCH' }],
        },
        { SigningProfileArn: TEAM_PROFILE },
      ],
    });
    const permissions = Object.values(template.findResources('AWS::Signer::ProfilePermission')).map(
      (resource) => (resource as { Properties: Record<string, string> }).Properties,
    );
    expect(permissions).toEqual([
      {
        ProfileName: 'release',
        Action: 'signer:SignPayload',
        Principal: CI,
        StatementId: 'HarbormasterSignOnPush0x0',
      },
      {
        ProfileName: 'release',
        Action: 'signer:SignPayload',
        Principal: TEAM_CI,
        StatementId: 'HarbormasterSignOnPush0x1',
      },
      {
        ProfileName: 'team_builds',
        Action: 'signer:SignPayload',
        Principal: CI,
        StatementId: 'HarbormasterSignOnPush1x0',
      },
      {
        ProfileName: 'team_builds',
        Action: 'signer:SignPayload',
        Principal: TEAM_CI,
        StatementId: 'HarbormasterSignOnPush1x1',
      },
    ]);
  });

  it('deploys nothing when the config has no signing rules', () => {
    const stack = new Stack(new App(), 'Empty');

    new SigningConfiguration(stack, 'Signing', { rules: [], repositories: [] });

    Template.fromStack(stack).resourceCountIs('AWS::Signer::ProfilePermission', 0);
  });

  it.each([
    ['payments/*', 'payments/api', true],
    ['payments/*', 'tools/payments', false],
    ['*/production', 'team/production', true],
    ['*prod*', 'a.prod.b', true],
    ['payments/api', 'payments/api-v2', false],
  ])('filter %s %s matches: %s', (filter, repository, expected) => {
    expect(matchesRepositoryFilter(filter, repository)).toBe(expected);
  });

  it('synthesizes the whole app with signing (cdk-nag and the synth-time checks pass)', () => {
    // Prepare
    const doc = baseConfig();
    doc.signing = { rules: [{ signingProfileArn: PROFILE, repositoryFilters: ['payments/*'] }] };
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    buildHarbormaster(app, parseConfig(doc, 'test.yaml'));

    // Act / Assess: cdk-nag makes synth throw on any unacknowledged error.
    expect(() => app.synth()).not.toThrow();
  });
});
