import { App } from 'aws-cdk-lib';
import { Harbormaster } from '../../infra/harbormaster';
import { synthSummary } from '../../infra/synth-summary';
import { parseConfig } from '../../shared/config/load';
import { baseConfig } from '../fixtures/config/base-config';

function summaryFor(change: (d: ReturnType<typeof baseConfig>) => void = () => {}): string {
  const doc = baseConfig();
  change(doc);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const harbormaster = new Harbormaster(app, 'Harbormaster', { config: parseConfig(doc) });
  return synthSummary(harbormaster.stacks, 0);
}

describe('synthSummary', () => {
  it('says `cdk deploy --all` when every stack is in the source account', () => {
    // Act
    const text = summaryFor();

    // Assess
    expect(text.split('\n').slice(-4)).toEqual([
      'Next:',
      '  npx cdk bootstrap aws://111122223333/eu-west-1 aws://111122223333/eu-central-1',
      '  npx cdk deploy --all',
      '',
    ]);
  });

  it('puts each destination stack first, with its own account, then names the source stacks', () => {
    // Prepare / Act
    const text = summaryFor((d) => {
      d.replication.rules.push({ destinations: [{ region: 'us-east-1', account: '444455556666' }] });
    });

    // Assess
    expect(text.split('\n').slice(-6)).toEqual([
      "Next, with each destination account's credentials:",
      '  npx cdk bootstrap aws://444455556666/us-east-1 && npx cdk deploy HarbormasterDestination-444455556666-us-east-1',
      "Then with this account's credentials:",
      '  npx cdk bootstrap aws://111122223333/eu-west-1 aws://111122223333/eu-central-1',
      '  npx cdk deploy HarbormasterRegistry HarbormasterReplicationTemplates-eu-central-1 HarbormasterAutomation',
      '',
    ]);
  });
});
