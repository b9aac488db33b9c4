import { baseConfig, type ConfigDocument } from '../../fixtures/config/base-config';
import { problemsOf } from './problems';

/** Configs near each rule's edge that must pass: the compliant half of each check's cases. */
const cases: ReadonlyArray<readonly [string, (doc: ConfigDocument) => void]> = [
  [
    'auto-tag-immutability: semver in MUTABLE_WITH_EXCLUSION that only freezes full versions',
    (d) =>
      Object.assign(d.repositories[1], {
        tagMutability: 'MUTABLE_WITH_EXCLUSION',
        mutabilityExclusions: ['v*.*.*'],
        autoTag: [{ type: 'semver', prefix: 'v', latest: true }],
      }),
  ],
  [
    'auto-tag-immutability: semver in IMMUTABLE_WITH_EXCLUSION whose filter covers every moving tag',
    (d) =>
      Object.assign(d.repositories[1], {
        tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        mutabilityExclusions: ['latest', '*'],
        autoTag: [{ type: 'semver', latest: true }],
      }),
  ],
  [
    'auto-tag-immutability: a digest-bearing tag never moves, so it may be immutable',
    (d) =>
      Object.assign(d.repositories[1], {
        tagMutability: 'IMMUTABLE',
        autoTag: [{ type: 'pattern', match: 'v*', tag: 'sha-{digest12}' }],
      }),
  ],
  [
    'lifecycle-any-rule-last: an any rule with the highest number after presets',
    (d) => (d.repositories[2].lifecycle.rules[0].rulePriority = 3),
  ],
  [
    'lifecycle-wildcard-limit: exactly four wildcards',
    (d) => (d.repositories[0].lifecycle.ephemeral[0].tagPatterns = ['*a*b*c*']),
  ],
  [
    'lifecycle-size: exactly 50 rules',
    (d) =>
      (d.repositories[0].lifecycle.ephemeral[0].tagPatterns = Array.from(
        { length: 48 },
        (_, i) => `pr${i}-*`,
      )),
  ],
  [
    'mutability-exclusions: exactly five filters',
    (d) => (d.repositories[0].mutabilityExclusions = ['latest', 'sha-*', 'a', 'b', 'c']),
  ],
  [
    'pull-through-credentials: GitLab with an ecr-pullthroughcache/ secret, Quay and k8s without',
    (d) =>
      d.pullThroughCache.push(
        { prefix: 'gitlab', upstream: 'gitlab', credentialSecret: 'ecr-pullthroughcache/gitlab' },
        { prefix: 'quay', upstream: 'quay' },
        { prefix: 'k8s', upstream: 'k8s' },
      ),
  ],
  [
    'replication-limits: ten rules and 25 unique destinations (a destination repeated across rules counts once)',
    (d) =>
      (d.replication.rules = Array.from({ length: 10 }, (_, r) => ({
        destinations: Array.from({ length: 5 }, (_, i) => ({
          region: 'us-east-1',
          account: String(100000000000 + ((r * 5 + i) % 25)),
        })),
      }))),
  ],
  [
    'replication-limits: the same region in another account',
    (d) => (d.replication.rules[0].destinations = [{ region: 'eu-west-1', account: '999988887777' }]),
  ],
  [
    'kms-key-region: a key of env.region and env.account',
    (d) =>
      (d.repositories[1].encryption = {
        type: 'KMS',
        kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
  ],
  [
    'creation-template-prefixes: distinct prefixes',
    (d) => d.creationTemplates.push({ prefix: 'docker-hub', appliedFor: ['PULL_THROUGH_CACHE'] }),
  ],
  [
    'resource-tags: 49 tags on a repository',
    (d) =>
      (d.repositories[1].tags = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']))),
  ],
];

describe('compliant configs', () => {
  it.each(cases)('%s', (_name, change) => {
    // Prepare
    const doc = baseConfig();
    change(doc);

    // Act / Assess
    expect(problemsOf(doc)).toEqual([]);
  });
});
