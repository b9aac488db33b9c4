import type { Verdict } from '../../../shared/domain/types';
import { replicationTargets } from '../../../shared/policy/replication-match';
import { testConfig } from './config';

const zero = { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
const pass = (highestSeverity?: Verdict['highestSeverity']): Verdict => ({
  result: 'pass',
  ...(highestSeverity ? { highestSeverity } : {}),
  blockingCounts: zero,
  allowlisted: [],
  reason: 'pass',
});
const config = testConfig();
const rule = config.gatedReplication[0];

describe('replicationTargets', () => {
  it('matches repository glob, tag pattern and verdict', () => {
    expect(replicationTargets(config, 'payments/api', ['latest', 'v1.4.2', 'v1'], pass('LOW'))).toEqual([
      { rule: 'payments-releases-dr', destinations: rule.destinations, tags: ['v1', 'v1.4.2'] },
    ]);
  });

  it('a clean image replicates', () => {
    expect(replicationTargets(config, 'payments/worker', ['v2.0.1'], pass())).toHaveLength(1);
  });

  it('the verdict must be within the rule maxSeverity', () => {
    expect(replicationTargets(config, 'payments/worker', ['v2.0.1'], pass('HIGH'))).toEqual([]);
    expect(replicationTargets(config, 'payments/worker', ['v2.0.1'], pass('MEDIUM'))).toHaveLength(1);
  });

  it('a failing image never replicates', () => {
    const fail: Verdict = { ...pass('LOW'), result: 'fail' };
    expect(replicationTargets(config, 'payments/api', ['v1.4.2'], fail)).toEqual([]);
  });

  it('no tag matching the rule: nothing', () => {
    expect(replicationTargets(config, 'payments/api', ['latest', 'git-abc'], pass())).toEqual([]);
  });

  it('another repository: nothing', () => {
    expect(replicationTargets(config, 'platform/tools', ['v1.0.0'], pass())).toEqual([]);
  });

  it('leaves out tags longer than the OCI limit of 128 characters, which ECR allows but other registries reject', () => {
    // Arrange: a tag ECR accepts (up to 300 characters) that matches the rule's v* pattern.
    const longTag = `v1.0.0-${'a'.repeat(150)}`;

    // Act
    const targets = replicationTargets(config, 'payments/api', [longTag, 'v1.4.2'], pass());

    // Assess
    expect(targets).toEqual([
      { rule: 'payments-releases-dr', destinations: rule.destinations, tags: ['v1.4.2'] },
    ]);
    expect(replicationTargets(config, 'payments/api', [longTag], pass())).toEqual([]);
  });
});
