import type { AutoTagRule } from '../../../shared/config/schema';
import { needsExistingTags, parseSemver, tagsToAdd } from '../../../shared/policy/auto-tag';

const DIGEST = 'sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d';
const semver = (p: Partial<Extract<AutoTagRule, { type: 'semver' }>> = {}): AutoTagRule => ({
  type: 'semver',
  latest: false,
  prefix: '',
  ...p,
});
const pattern = (match: string, tag: string): AutoTagRule => ({ type: 'pattern', match, tag });

describe('parseSemver', () => {
  it.each([
    ['1.4.2', '', { major: 1, minor: 4, patch: 2 }],
    ['v1.4.2', 'v', { major: 1, minor: 4, patch: 2 }],
    ['1.4.2-rc.1', '', { major: 1, minor: 4, patch: 2, prerelease: 'rc.1' }],
    ['10.0.0', '', { major: 10, minor: 0, patch: 0 }],
  ])('%s (prefix %j)', (tag, prefix, expected) => {
    expect(parseSemver(tag, prefix)).toEqual(expected);
  });

  it.each([['1.4'], ['v1.4.2'], ['01.4.2'], ['1.4.2.7'], ['latest'], ['1.4.2-']])(
    '%s is not a bare semver',
    (tag) => {
      expect(parseSemver(tag)).toBeUndefined();
    },
  );
});

describe('tagsToAdd: semver cascade', () => {
  it('1.4.2 also gets 1.4 and 1', () => {
    expect(tagsToAdd({ pushedTag: '1.4.2', digest: DIGEST, rules: [semver()] })).toEqual(['1.4', '1']);
  });

  it('keeps the prefix: v1.4.2 gets v1.4, v1 (and latest when asked)', () => {
    expect(
      tagsToAdd({ pushedTag: 'v1.4.2', digest: DIGEST, rules: [semver({ prefix: 'v', latest: true })] }),
    ).toEqual(['v1.4', 'v1', 'latest']);
  });

  it('a tag without the prefix does not cascade', () => {
    expect(tagsToAdd({ pushedTag: '1.4.2', digest: DIGEST, rules: [semver({ prefix: 'v' })] })).toEqual([]);
  });

  it('prereleases get no cascade and no latest', () => {
    expect(tagsToAdd({ pushedTag: '1.4.2-rc.1', digest: DIGEST, rules: [semver({ latest: true })] })).toEqual(
      [],
    );
  });

  it('non-semver tags get nothing', () => {
    expect(tagsToAdd({ pushedTag: 'latest', digest: DIGEST, rules: [semver({ latest: true })] })).toEqual([]);
    expect(tagsToAdd({ pushedTag: '1.4', digest: DIGEST, rules: [semver({ latest: true })] })).toEqual([]);
  });

  it('a push by digest (no tag) gets nothing', () => {
    expect(tagsToAdd({ pushedTag: '', digest: DIGEST, rules: [semver({ latest: true })] })).toEqual([]);
  });
});

describe('tagsToAdd: latest and floating tags only move forward', () => {
  const rules = [semver({ latest: true })];
  it('latest when the pushed version is the highest stable version', () => {
    expect(
      tagsToAdd({
        pushedTag: '1.5.0',
        digest: DIGEST,
        rules,
        existingTags: ['1.4.2', '1.4', '1', 'latest', '2.0.0-rc.1'],
      }),
    ).toEqual(['1.5', '1', 'latest']);
  });

  it('no latest when a higher stable version exists', () => {
    expect(
      tagsToAdd({ pushedTag: '1.4.3', digest: DIGEST, rules, existingTags: ['1.4.2', '2.0.0'] }),
    ).toEqual(['1.4', '1']);
  });

  it('a hotfix on an old line moves only its own minor tag', () => {
    expect(
      tagsToAdd({ pushedTag: '1.3.9', digest: DIGEST, rules, existingTags: ['1.4.2', '1.3.8'] }),
    ).toEqual(['1.3']);
  });

  it('a patch behind the newest patch of its line moves nothing', () => {
    expect(tagsToAdd({ pushedTag: '1.4.1', digest: DIGEST, rules, existingTags: ['1.4.2'] })).toEqual([]);
  });

  it('re-pushing the highest version again still gets latest (equal is not higher)', () => {
    expect(
      tagsToAdd({ pushedTag: '2.0.0', digest: DIGEST, rules, existingTags: ['2.0.0', '1.9.9'] }),
    ).toEqual(['2.0', '2', 'latest']);
  });

  it('prereleases in the repository never hold latest back', () => {
    expect(tagsToAdd({ pushedTag: '1.0.0', digest: DIGEST, rules, existingTags: ['9.0.0-beta.1'] })).toEqual([
      '1.0',
      '1',
      'latest',
    ]);
  });

  it('compares numerically, not as text', () => {
    expect(tagsToAdd({ pushedTag: '1.10.0', digest: DIGEST, rules, existingTags: ['1.9.0'] })).toEqual([
      '1.10',
      '1',
      'latest',
    ]);
  });

  it('versions with another prefix do not compete', () => {
    expect(
      tagsToAdd({
        pushedTag: 'v1.0.0',
        digest: DIGEST,
        rules: [semver({ prefix: 'v', latest: true })],
        existingTags: ['9.0.0'],
      }),
    ).toEqual(['v1.0', 'v1', 'latest']);
  });
});

describe('tagsToAdd: pattern rules', () => {
  it('expands {match}', () => {
    expect(
      tagsToAdd({ pushedTag: 'git-3f2a1bc', digest: DIGEST, rules: [pattern('git-*', 'sha-{match}')] }),
    ).toEqual(['sha-3f2a1bc']);
  });

  it('expands {tag} and {digest12}', () => {
    expect(
      tagsToAdd({ pushedTag: 'main', digest: DIGEST, rules: [pattern('main', '{tag}-{digest12}')] }),
    ).toEqual(['main-4c1d8e2f9a7b']);
  });

  it('does nothing when the pattern does not match', () => {
    expect(
      tagsToAdd({ pushedTag: 'v1.0.0', digest: DIGEST, rules: [pattern('git-*', 'sha-{match}')] }),
    ).toEqual([]);
  });

  it('skips a result the same rule would match again (no tag loop)', () => {
    expect(tagsToAdd({ pushedTag: 'abc', digest: DIGEST, rules: [pattern('*', 'x-{tag}')] })).toEqual([]);
  });

  it('skips a result that is not a valid tag', () => {
    expect(
      tagsToAdd({
        pushedTag: `git-${'a'.repeat(120)}`,
        digest: DIGEST,
        rules: [pattern('git-*', 'sha-{match}-{digest12}')],
      }),
    ).toEqual([]);
  });

  it('never returns the pushed tag itself', () => {
    expect(tagsToAdd({ pushedTag: 'stable', digest: DIGEST, rules: [pattern('stable', '{tag}')] })).toEqual(
      [],
    );
  });
});

describe('tagsToAdd: order and idempotence', () => {
  const rules = [
    semver({ prefix: 'v', latest: true }),
    pattern('v*', 'release-{match}'),
    semver({ prefix: 'v' }),
  ];

  it('follows rule order and drops duplicates', () => {
    expect(tagsToAdd({ pushedTag: 'v1.4.2', digest: DIGEST, rules })).toEqual([
      'v1.4',
      'v1',
      'latest',
      'release-1.4.2',
    ]);
  });

  it('returns the same tags for the same input', () => {
    const input = { pushedTag: 'v1.4.2', digest: DIGEST, rules, existingTags: ['v1.4.1', 'v1.3.0'] };
    expect(tagsToAdd(input)).toEqual(tagsToAdd(input));
  });

  it('tags it adds produce nothing more when their own push events arrive', () => {
    const added = tagsToAdd({
      pushedTag: 'v1.4.2',
      digest: DIGEST,
      rules: [semver({ prefix: 'v', latest: true })],
    });
    for (const tag of added) {
      expect(
        tagsToAdd({ pushedTag: tag, digest: DIGEST, rules: [semver({ prefix: 'v', latest: true })] }),
      ).toEqual([]);
    }
  });
});

describe('needsExistingTags', () => {
  it('is true only for a stable version a semver rule applies to', () => {
    expect(needsExistingTags('v1.4.2', [semver({ prefix: 'v' })])).toBe(true);
    expect(needsExistingTags('v1.4.2-rc.1', [semver({ prefix: 'v' })])).toBe(false);
    expect(needsExistingTags('git-abc', [semver({ prefix: 'v' }), pattern('git-*', 'sha-{match}')])).toBe(
      false,
    );
  });
});
