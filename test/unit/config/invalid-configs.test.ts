import { baseConfig, type ConfigDocument } from '../../fixtures/config/base-config';
import { problemsOf } from './problems';

/** One broken config: what to break in the valid base, and the exact error line it must produce. */
interface Case {
  readonly name: string;
  readonly breakIt: (doc: ConfigDocument) => void;
  readonly line: string;
}

const raw = (rulePriority: number, selection: Record<string, unknown>) => ({
  rulePriority,
  selection,
  action: { type: 'expire' },
});
const dest = (n: number) => ({ region: 'us-east-1', account: String(100000000000 + n) });

const schemaCases: Case[] = [
  {
    name: 'negative keepLast',
    breakIt: (d) => (d.repositories[2].lifecycle.keepLast = -1),
    line: 'repositories[2].lifecycle.keepLast: expected a positive integer, got -1',
  },
  {
    name: 'zero untaggedAfterDays',
    breakIt: (d) => (d.repositories[0].lifecycle.untaggedAfterDays = 0),
    line: 'repositories[0].lifecycle.untaggedAfterDays: expected a positive integer, got 0',
  },
  {
    name: 'fractional ephemeral age',
    breakIt: (d) => (d.repositories[0].lifecycle.ephemeral[0].afterDays = 1.5),
    line: 'repositories[0].lifecycle.ephemeral[0].afterDays: expected a positive integer, got 1.5',
  },
  {
    name: 'uppercase repository name',
    breakIt: (d) => (d.repositories[1].name = 'Payments/Worker'),
    line: 'repositories[1].name: expected an ECR repository name (2-256 characters, lowercase [a-z0-9] components separated by ".", "_", "-" or "/"), got "Payments/Worker"',
  },
  {
    name: 'one-character repository name',
    breakIt: (d) => (d.repositories[1].name = 'p'),
    line: 'repositories[1].name: expected an ECR repository name (2-256 characters, lowercase [a-z0-9] components separated by ".", "_", "-" or "/"), got "p"',
  },
  {
    name: 'repository name with a double separator',
    breakIt: (d) => (d.repositories[1].name = 'payments//worker'),
    line: 'repositories[1].name: expected an ECR repository name (2-256 characters, lowercase [a-z0-9] components separated by ".", "_", "-" or "/"), got "payments//worker"',
  },
  {
    name: 'misspelt region',
    breakIt: (d) => (d.env.region = 'eu-west'),
    line: 'env.region: expected an AWS region such as eu-west-1, got "eu-west"',
  },
  {
    name: 'account id as a number',
    breakIt: (d) => (d.env.account = 111122223333),
    line: 'env.account: expected a 12-digit AWS account id as a string, got 111122223333',
  },
  {
    name: 'a "*" principal',
    breakIt: (d) => (d.repositories[0].access.pull[1] = '*'),
    line: 'repositories[0].access.pull[1]: expected an IAM role/user ARN or a 12-digit account id (a "*" principal is never allowed), got "*"',
  },
  {
    name: 'a misspelt key',
    breakIt: (d) => (d.repositories[1].tagMutabilty = 'IMMUTABLE'),
    line: 'repositories[1].tagMutabilty: unknown field (did you mean tagMutability?)',
  },
  {
    name: 'unknown tag mutability',
    breakIt: (d) => (d.repositories[1].tagMutability = 'READONLY'),
    line: 'repositories[1].tagMutability: expected one of MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION, got "READONLY"',
  },
  {
    name: 'missing team',
    breakIt: (d) => delete d.repositories[1].team,
    line: 'repositories[1].team: expected a non-empty string, but it is missing',
  },
  {
    name: 'tag pattern with a slash',
    breakIt: (d) => (d.repositories[0].lifecycle.ephemeral[0].tagPatterns[0] = 'pr/*'),
    line: 'repositories[0].lifecycle.ephemeral[0].tagPatterns[0]: expected a tag pattern of 1-128 characters from [A-Za-z0-9._-] and "*", got "pr/*"',
  },
  {
    name: 'MANUAL scan frequency (CloudFormation takes only scan on push and continuous)',
    breakIt: (d) => (d.scanning.rules[0].frequency = 'MANUAL'),
    line: 'scanning.rules[0].frequency: expected SCAN_ON_PUSH or CONTINUOUS_SCAN, got "MANUAL"',
  },
  {
    name: 'unknown pull-through upstream',
    breakIt: (d) => (d.pullThroughCache[0].upstream = 'artifactory'),
    line: 'pullThroughCache[0].upstream: expected one of ecr-public, quay, k8s, docker-hub, ghcr, gitlab, got "artifactory"',
  },
  {
    name: 'KMS key that is not an ARN',
    breakIt: (d) => (d.repositories[1].encryption = { type: 'KMS', kmsKeyArn: 'alias/my-key' }),
    line: 'repositories[1].encryption.kmsKeyArn: expected a KMS key ARN, got "alias/my-key"',
  },
  {
    name: 'no repositories',
    breakIt: (d) => (d.repositories = []),
    line: 'repositories: expected at least one repository, got an array of 0',
  },
];

const checkCases: Case[] = [
  {
    name: 'team-exists: undeclared team',
    breakIt: (d) => (d.repositories[1].team = 'billing'),
    line: 'repositories[1].team: expected one of the teams (payments, platform), got "billing"',
  },
  {
    name: 'unique-repository-names: a name declared twice',
    breakIt: (d) => (d.repositories[2].name = 'payments/api'),
    line: 'repositories[2].name: expected a unique repository name, "payments/api" is already repositories[0]',
  },
  {
    name: 'lifecycle-unique-priority: two raw rules share a priority',
    breakIt: (d) =>
      d.repositories[2].lifecycle.rules.unshift(
        raw(50, {
          tagStatus: 'tagged',
          tagPatternList: ['nightly-*'],
          countType: 'imageCountMoreThan',
          countNumber: 3,
        }),
      ),
    line: 'repositories[2].lifecycle.rules[1].rulePriority: expected a rulePriority no other lifecycle rule of this repository uses, got 50 twice',
  },
  {
    name: 'lifecycle-any-rule-last: an any rule below another rule',
    breakIt: (d) =>
      d.repositories[2].lifecycle.rules.push(
        raw(60, {
          tagStatus: 'tagged',
          tagPatternList: ['nightly-*'],
          countType: 'imageCountMoreThan',
          countNumber: 3,
        }),
      ),
    line: 'repositories[2].lifecycle.rules[0].rulePriority: expected the highest rulePriority of the policy for a tagStatus any rule (presets take the lowest free numbers), got 50 while the highest is 60',
  },
  {
    name: 'lifecycle-any-rule-last: an any rule below a preset that took the next free number',
    breakIt: (d) => {
      d.repositories[2].lifecycle.rules[0].rulePriority = 1;
    },
    line: 'repositories[2].lifecycle.rules[0].rulePriority: expected the highest rulePriority of the policy for a tagStatus any rule (presets take the lowest free numbers), got 1 while the highest is 2',
  },
  {
    name: 'lifecycle-size: more than 50 rules',
    breakIt: (d) =>
      (d.repositories[0].lifecycle.ephemeral[0].tagPatterns = Array.from(
        { length: 49 },
        (_, i) => `pr${i}-*`,
      )),
    line: 'repositories[0].lifecycle: expected at most 50 lifecycle rules (presets make one rule per tag pattern), got 51',
  },
  {
    name: 'lifecycle-tag-selection: tagged rule without a tag list',
    breakIt: (d) => (d.repositories[2].lifecycle.rules[0].selection.tagStatus = 'tagged'),
    line: 'repositories[2].lifecycle.rules[0].selection: expected tagPatternList or tagPrefixList for tagStatus tagged, got neither',
  },
  {
    name: 'lifecycle-tag-selection: tagged rule with both lists',
    breakIt: (d) =>
      Object.assign(d.repositories[2].lifecycle.rules[0].selection, {
        tagStatus: 'tagged',
        tagPrefixList: ['v'],
        tagPatternList: ['v*'],
      }),
    line: 'repositories[2].lifecycle.rules[0].selection: expected only one of tagPatternList and tagPrefixList for tagStatus tagged, got both',
  },
  {
    name: 'lifecycle-tag-selection: untagged rule with a tag pattern list',
    breakIt: (d) => {
      // One untagged rule per policy: the raw rule replaces the untaggedAfterDays preset.
      delete d.repositories[2].lifecycle.untaggedAfterDays;
      Object.assign(d.repositories[2].lifecycle.rules[0].selection, {
        tagStatus: 'untagged',
        tagPatternList: ['v*'],
      });
    },
    line: 'repositories[2].lifecycle.rules[0].selection.tagPatternList: expected no tagPatternList for tagStatus untagged, got one',
  },
  {
    name: 'lifecycle-wildcard-limit: five wildcards in an ephemeral pattern',
    breakIt: (d) => (d.repositories[0].lifecycle.ephemeral[0].tagPatterns = ['pr-*', '*a*b*c*d*']),
    line: 'repositories[0].lifecycle.ephemeral[0].tagPatterns[1]: expected at most 4 "*" wildcards in a lifecycle tag pattern, got 5 in "*a*b*c*d*"',
  },
  {
    name: 'lifecycle-wildcard-limit: five wildcards in a release tag kept by keepLast',
    breakIt: (d) => (d.repositories[0].releaseTags = ['v*.*.*-*-*']),
    line: 'repositories[0].releaseTags[0]: expected at most 4 "*" wildcards in a lifecycle tag pattern, got 5 in "v*.*.*-*-*"',
  },
  {
    name: 'lifecycle-count-unit: sinceImagePushed without countUnit',
    breakIt: (d) => (d.repositories[2].lifecycle.rules[0].selection.countType = 'sinceImagePushed'),
    line: 'repositories[2].lifecycle.rules[0].selection.countUnit: expected countUnit "days" with countType sinceImagePushed, but it is missing',
  },
  {
    name: 'lifecycle-count-unit: countUnit with imageCountMoreThan',
    breakIt: (d) => (d.repositories[2].lifecycle.rules[0].selection.countUnit = 'days'),
    line: 'repositories[2].lifecycle.rules[0].selection.countUnit: expected no countUnit with countType imageCountMoreThan, got "days"',
  },
  {
    name: 'lifecycle-keep-last-release-tags: keepLast without releaseTags',
    breakIt: (d) => (d.repositories[2].lifecycle.keepLast = 5),
    line: 'repositories[2].lifecycle.keepLast: expected releaseTags (the tag patterns whose last N images are kept) next to keepLast, got none',
  },
  {
    name: 'mutability-exclusions: six filters',
    breakIt: (d) => (d.repositories[0].mutabilityExclusions = ['latest', 'sha-*', 'a', 'b', 'c', 'd']),
    line: 'repositories[0].mutabilityExclusions: expected at most 5 exclusion filters, got 6',
  },
  {
    name: 'mutability-exclusions: filters with plain MUTABLE',
    breakIt: (d) => (d.repositories[1].mutabilityExclusions = ['latest']),
    line: 'repositories[1].mutabilityExclusions: expected no exclusion filters with tagMutability MUTABLE (use IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION), got 1',
  },
  {
    name: 'mutability-exclusions: IMMUTABLE_WITH_EXCLUSION without filters',
    breakIt: (d) => (d.repositories[1].tagMutability = 'IMMUTABLE_WITH_EXCLUSION'),
    line: 'repositories[1].mutabilityExclusions: expected at least one exclusion filter with tagMutability IMMUTABLE_WITH_EXCLUSION, got none',
  },
  {
    name: 'mutability-exclusions: a creation template with filters but MUTABLE',
    breakIt: (d) => (d.creationTemplates[0].mutabilityExclusions = ['latest']),
    line: 'creationTemplates[0].mutabilityExclusions: expected no exclusion filters with tagMutability MUTABLE (use IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION), got 1',
  },
  {
    name: 'auto-tag-immutability: semver moving tags in an IMMUTABLE repository',
    breakIt: (d) =>
      Object.assign(d.repositories[1], { tagMutability: 'IMMUTABLE', autoTag: [{ type: 'semver' }] }),
    line: 'repositories[1].autoTag[0]: expected the moving tags <major>.<minor>, <major> to be mutable under tagMutability IMMUTABLE, but every tag is immutable',
  },
  {
    name: 'auto-tag-immutability: v1.4 not excluded while latest is',
    breakIt: (d) => d.repositories[0].autoTag.push({ type: 'semver', prefix: 'v', latest: true }),
    line: 'repositories[0].autoTag[1]: expected the moving tags v<major>.<minor>, v<major> to be mutable under tagMutability IMMUTABLE_WITH_EXCLUSION, but "v1.4" matches no exclusion filter',
  },
  {
    name: 'auto-tag-immutability: a pattern rule whose tag is not excluded',
    breakIt: (d) => (d.repositories[0].autoTag[0].tag = 'build-{match}'),
    line: 'repositories[0].autoTag[0]: expected the moving tag build-{match} to be mutable under tagMutability IMMUTABLE_WITH_EXCLUSION, but "build-abc123" matches no exclusion filter',
  },
  {
    name: 'auto-tag-immutability: latest made immutable by a MUTABLE_WITH_EXCLUSION filter',
    breakIt: (d) =>
      Object.assign(d.repositories[1], {
        tagMutability: 'MUTABLE_WITH_EXCLUSION',
        mutabilityExclusions: ['lat*'],
        autoTag: [{ type: 'semver', latest: true }],
      }),
    line: 'repositories[1].autoTag[0]: expected the moving tag latest to be mutable under tagMutability MUTABLE_WITH_EXCLUSION, but "latest" matches an exclusion filter, which makes it immutable',
  },
  {
    name: 'promote-tag-mutability: a promotion tag that cannot move',
    breakIt: (d) => (d.repositories[0].scan = { promoteTo: ['approved'] }),
    line: 'repositories[0].scan.promoteTo[0]: expected a promotion tag that is mutable under tagMutability IMMUTABLE_WITH_EXCLUSION, got "approved", which matches no exclusion filter',
  },
  {
    name: 'pull-through-credentials: Docker Hub without a secret',
    breakIt: (d) => delete d.pullThroughCache[1].credentialSecret,
    line: 'pullThroughCache[1].credentialSecret: expected a Secrets Manager secret name for upstream docker-hub, but it is missing',
  },
  {
    name: 'pull-through-credentials: ECR Public with a secret',
    breakIt: (d) => (d.pullThroughCache[0].credentialSecret = 'ecr-pullthroughcache/ecr-public'),
    line: 'pullThroughCache[0].credentialSecret: expected no credentials for upstream ecr-public (it is public), got "ecr-pullthroughcache/ecr-public"',
  },
  {
    name: 'pull-through-credentials: a GHCR secret outside ecr-pullthroughcache/',
    breakIt: (d) =>
      d.pullThroughCache.push({ prefix: 'ghcr', upstream: 'ghcr', credentialSecret: 'ci/ghcr-token' }),
    line: 'pullThroughCache[2].credentialSecret: expected a secret name starting with ecr-pullthroughcache/, got "ci/ghcr-token"',
  },
  {
    name: 'pull-through-prefixes: a prefix used twice',
    breakIt: (d) => d.pullThroughCache.push({ prefix: 'ecr-public', upstream: 'quay' }),
    line: 'pullThroughCache[2].prefix: expected a unique prefix, "ecr-public" is already pullThroughCache[0]',
  },
  {
    name: 'pull-through-prefixes: a managed repository under a cache prefix',
    breakIt: (d) => (d.repositories[1].name = 'docker-hub/library/nginx'),
    line: 'repositories[1].name: expected a name outside the pull-through cache prefix docker-hub/, got "docker-hub/library/nginx"',
  },
  {
    name: 'replication-limits: eleven rules',
    breakIt: (d) =>
      (d.replication.rules = Array.from({ length: 11 }, () => ({
        destinations: [{ region: 'eu-central-1' }],
      }))),
    line: 'replication.rules: expected at most 10 replication rules, got 11',
  },
  {
    name: 'replication-limits: 26 unique destinations',
    breakIt: (d) =>
      (d.replication.rules = [
        { destinations: Array.from({ length: 13 }, (_, i) => dest(i)) },
        { destinations: Array.from({ length: 13 }, (_, i) => dest(i + 13)) },
      ]),
    line: 'replication.rules: expected at most 25 unique destinations across all rules, got 26',
  },
  {
    name: 'replication-limits: 101 prefix filters in a rule',
    breakIt: (d) =>
      (d.replication.rules[0].repositoryPrefixes = Array.from({ length: 101 }, (_, i) => `team${i}/`)),
    line: 'replication.rules[0].repositoryPrefixes: expected at most 100 repository prefixes per rule, got 101',
  },
  {
    name: 'replication-limits: replicating to itself',
    breakIt: (d) =>
      d.replication.rules[0].destinations.push({ region: 'eu-west-1', account: '111122223333' }),
    line: 'replication.rules[0].destinations[1]: expected another region or account than the source registry, got eu-west-1 in the same account',
  },
  {
    name: 'creation-template-prefixes: a prefix used twice',
    breakIt: (d) => d.creationTemplates.push({ prefix: 'ROOT', appliedFor: ['PULL_THROUGH_CACHE'] }),
    line: 'creationTemplates[1].prefix: expected a unique prefix, "ROOT" is already creationTemplates[0]',
  },
  {
    name: 'kms-key-region: a key in another region',
    breakIt: (d) =>
      (d.repositories[1].encryption = {
        type: 'KMS',
        kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
    line: 'repositories[1].encryption.kmsKeyArn: expected a KMS key in env.region eu-west-1, got one in us-east-1',
  },
  {
    name: 'resource-tags: a key in the reserved aws: namespace',
    breakIt: (d) => (d.repositories[1].tags = { 'aws:owner': 'payments' }),
    line: 'repositories[1].tags.aws:owner: expected a tag key outside the reserved aws: prefix, got "aws:owner"',
  },
  {
    name: 'resource-tags: 50 tags leave no room for harbormaster:team',
    breakIt: (d) =>
      (d.repositories[1].tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']))),
    line: 'repositories[1].tags: expected at most 49 tags (AWS allows 50, Harbormaster adds harbormaster:team), got 50',
  },
  {
    name: 'scanning-frequency: continuous scanning with BASIC',
    breakIt: (d) =>
      (d.scanning = { type: 'BASIC', rules: [{ frequency: 'CONTINUOUS_SCAN', filters: ['*'] }] }),
    line: 'scanning.rules[0].frequency: expected SCAN_ON_PUSH with scanning type BASIC (CONTINUOUS_SCAN needs ENHANCED), got CONTINUOUS_SCAN',
  },
];

describe('the valid base config', () => {
  it('has no problem, so each case below fails for the one thing it breaks', () => {
    // Act
    const problems = problemsOf(baseConfig());

    // Assess
    expect(problems).toEqual([]);
  });
});

describe.each([
  ['schema', schemaCases],
  ['cross-field checks', checkCases],
])('invalid configs (%s)', (_kind, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Prepare
    const doc = baseConfig();
    c.breakIt(doc);

    // Act
    const problems = problemsOf(doc);

    // Assess: exactly the one expected line, naming the field path.
    expect(problems).toEqual([c.line]);
  });
});

it('counts at least 20 invalid configs', () => {
  expect(schemaCases.length + checkCases.length).toBeGreaterThanOrEqual(20);
});
