import type { LifecycleConfig } from '../../../shared/config/schema';
import {
  buildLifecycleRules,
  lifecyclePolicyText,
  lifecycleRuleEntries,
} from '../../../shared/lifecycle/policy';

describe('lifecycle archive storage class', () => {
  it('archiveUnpulledAfterDays is a tagStatus any transition rule placed after every other rule', () => {
    // Prepare
    const lifecycle: LifecycleConfig = {
      untaggedAfterDays: 7,
      archiveUnpulledAfterDays: 60,
      rules: [
        {
          rulePriority: 40,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['pr-*'],
            countType: 'imageCountMoreThan',
            countNumber: 5,
          },
          action: { type: 'expire' },
        },
      ],
    };

    // Act
    const entries = lifecycleRuleEntries({ lifecycle });

    // Assess
    expect(entries.map((e) => [e.rule.rulePriority, e.origin.join('.')])).toEqual([
      [1, 'lifecycle.untaggedAfterDays'],
      [40, 'lifecycle.rules.0'],
      [41, 'lifecycle.archiveUnpulledAfterDays'],
    ]);
    expect(entries[2].rule).toEqual({
      rulePriority: 41,
      description: 'Harbormaster: archive images not pulled for 60 days',
      selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 60 },
      action: { type: 'transition', targetStorageClass: 'archive' },
    });
  });

  it('alone, the archive preset takes priority 1', () => {
    // Act
    const rules = buildLifecycleRules({ lifecycle: { archiveUnpulledAfterDays: 1 } });

    // Assess
    expect(rules.map((r) => [r.rulePriority, r.description])).toEqual([
      [1, 'Harbormaster: archive images not pulled for 1 day'],
    ]);
  });

  it('raw archive rules keep storageClass and targetStorageClass in ECR key order', () => {
    // Prepare
    const lifecycle: LifecycleConfig = {
      rules: [
        {
          action: { targetStorageClass: 'archive', type: 'transition' },
          selection: {
            countNumber: 30,
            countUnit: 'days',
            countType: 'sinceImagePulled',
            tagStatus: 'untagged',
          },
          rulePriority: 1,
        },
        {
          rulePriority: 2,
          selection: {
            tagStatus: 'untagged',
            storageClass: 'archive',
            countType: 'sinceImageTransitioned',
            countUnit: 'days',
            countNumber: 90,
          },
          action: { type: 'expire' },
        },
      ],
    };

    // Act
    const text = lifecyclePolicyText({ lifecycle });

    // Assess
    expect(text).toBe(
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePulled',
              countUnit: 'days',
              countNumber: 30,
            },
            action: { type: 'transition', targetStorageClass: 'archive' },
          },
          {
            rulePriority: 2,
            selection: {
              tagStatus: 'untagged',
              storageClass: 'archive',
              countType: 'sinceImageTransitioned',
              countUnit: 'days',
              countNumber: 90,
            },
            action: { type: 'expire' },
          },
        ],
      }),
    );
  });
});
