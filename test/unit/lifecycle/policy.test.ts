import type { LifecycleConfig } from '../../../shared/config/schema';
import {
  buildLifecycleRules,
  lifecyclePolicyText,
  lifecycleRuleEntries,
} from '../../../shared/lifecycle/policy';

const anyRule = (rulePriority: number) => ({
  rulePriority,
  selection: { tagStatus: 'any' as const, countType: 'imageCountMoreThan' as const, countNumber: 100 },
  action: { type: 'expire' as const },
});

describe('buildLifecycleRules', () => {
  it('orders presets untagged, keepLast, ephemeral and numbers them from 1', () => {
    // Prepare
    const lifecycle: LifecycleConfig = {
      untaggedAfterDays: 7,
      keepLast: 30,
      ephemeral: [{ tagPatterns: ['pr-*'], afterDays: 14 }],
    };

    // Act
    const rules = buildLifecycleRules({ lifecycle, releaseTags: ['v*'] });

    // Assess
    expect(rules).toEqual([
      {
        rulePriority: 1,
        description: 'Harbormaster: expire untagged images 7 days after push',
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 7,
        },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: 'Harbormaster: keep the last 30 images tagged v*',
        selection: {
          tagStatus: 'tagged',
          tagPatternList: ['v*'],
          countType: 'imageCountMoreThan',
          countNumber: 30,
        },
        action: { type: 'expire' },
      },
      {
        rulePriority: 3,
        description: 'Harbormaster: expire images tagged pr-* 14 days after push',
        selection: {
          tagStatus: 'tagged',
          tagPatternList: ['pr-*'],
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 14,
        },
        action: { type: 'expire' },
      },
    ]);
  });

  it('makes one rule per pattern, because ECR selects a multi-pattern rule only when every pattern matches', () => {
    // Act
    const rules = buildLifecycleRules({
      lifecycle: { keepLast: 5, ephemeral: [{ tagPatterns: ['pr-*', 'dev-*'], afterDays: 3 }] },
      releaseTags: ['v*', 'release-*'],
    });

    // Assess
    expect(rules.map((r) => [r.rulePriority, r.selection.tagPatternList])).toEqual([
      [1, ['v*']],
      [2, ['release-*']],
      [3, ['pr-*']],
      [4, ['dev-*']],
    ]);
  });

  it('gives presets the lowest priorities raw rules leave free and keeps raw priorities as written', () => {
    // Prepare
    const lifecycle: LifecycleConfig = {
      untaggedAfterDays: 1,
      ephemeral: [{ tagPatterns: ['pr-*'], afterDays: 2 }],
      rules: [
        anyRule(90),
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'tagged',
            tagPrefixList: ['keep'],
            countType: 'imageCountMoreThan',
            countNumber: 9,
          },
          action: { type: 'expire' },
        },
      ],
    };

    // Act
    const entries = lifecycleRuleEntries({ lifecycle });

    // Assess: presets took 2 and 3; the any rule stays last.
    expect(entries.map((e) => [e.rule.rulePriority, e.origin.join('.'), e.raw])).toEqual([
      [1, 'lifecycle.rules.1', true],
      [2, 'lifecycle.untaggedAfterDays', false],
      [3, 'lifecycle.ephemeral.0.tagPatterns.0', false],
      [90, 'lifecycle.rules.0', true],
    ]);
  });

  it('makes no keepLast rule without release tags (the config check reports that)', () => {
    expect(buildLifecycleRules({ lifecycle: { keepLast: 3 }, releaseTags: [] })).toEqual([]);
  });
});

describe('lifecyclePolicyText', () => {
  it('is the JSON ECR takes, keys in ECR order whatever the config order', () => {
    // Prepare: keys deliberately out of order, as a YAML file may have them.
    const rule = {
      action: { type: 'expire' as const },
      selection: { countNumber: 100, countType: 'imageCountMoreThan' as const, tagStatus: 'any' as const },
      description: 'cap',
      rulePriority: 10,
    };

    // Act
    const text = lifecyclePolicyText({ lifecycle: { rules: [rule] } });

    // Assess
    expect(text).toBe(
      '{"rules":[{"rulePriority":10,"description":"cap","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":100},"action":{"type":"expire"}}]}',
    );
  });

  it('is undefined when there is no rule', () => {
    expect(lifecyclePolicyText({})).toBeUndefined();
    expect(lifecyclePolicyText({ lifecycle: {} })).toBeUndefined();
  });

  it('says "1 day", not "1 days"', () => {
    expect(lifecyclePolicyText({ lifecycle: { untaggedAfterDays: 1 } })).toContain(
      'expire untagged images 1 day after push',
    );
  });
});
