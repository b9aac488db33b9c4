import type { LifecycleConfig, RawLifecycleRule } from '../config/schema';

/**
 * One ECR lifecycle policy, built from a repository's (or creation template's) lifecycle settings.
 * The config checks, the registry stack and the lifecycle-preview CLI all use this module, so what
 * synth validates is exactly what ECR receives.
 *
 * Presets come first, in this order, and take the lowest rule priorities that raw rules leave free:
 *   1. untaggedAfterDays: expire untagged images N days after push
 *   2. keepLast: keep the last N images per release tag pattern (one rule per pattern)
 *   3. ephemeral: expire images tagged with a pattern N days after push (one rule per pattern)
 *   4. archiveUnpulledAfterDays: move images not pulled for N days to the archive storage class; a
 *      tagStatus any rule, so it takes the priority after every other rule (ECR evaluates `any` last)
 * Raw rules keep the priority written in the config. One rule per pattern because ECR selects an
 * image for a multi-pattern rule only when it matches every pattern, which is never what a list of
 * alternatives (`pr-*`, `dev-*`) means.
 */

export type TagStatus = 'tagged' | 'untagged' | 'any';

/** A lifecycle rule exactly as ECR's lifecycle policy JSON spells it. */
export interface EcrLifecycleRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly selection: {
    readonly tagStatus: TagStatus;
    readonly tagPatternList?: readonly string[];
    readonly tagPrefixList?: readonly string[];
    readonly storageClass?: 'standard' | 'archive';
    readonly countType:
      'imageCountMoreThan' | 'sinceImagePushed' | 'sinceImagePulled' | 'sinceImageTransitioned';
    readonly countUnit?: 'days';
    readonly countNumber: number;
  };
  readonly action: { readonly type: 'expire' | 'transition'; readonly targetStorageClass?: 'archive' };
}

/** What a lifecycle policy is built from: the lifecycle block plus the release tag patterns keepLast keeps. */
export interface LifecycleSettings {
  readonly lifecycle?: LifecycleConfig;
  /** Tag patterns marking a release; keepLast keeps the last N images per pattern. */
  readonly releaseTags?: readonly string[];
}

/** A built rule with the config field (relative to the settings object) it came from, for error paths. */
export interface LifecycleRuleEntry {
  readonly rule: EcrLifecycleRule;
  readonly origin: ReadonlyArray<string | number>;
  /** True for a raw rule written in the config, false for a preset. */
  readonly raw: boolean;
}

/** ECR's limits on one lifecycle policy. */
export const MAX_LIFECYCLE_RULES = 50;
export const MAX_LIFECYCLE_POLICY_CHARS = 30720;
export const MAX_WILDCARDS_PER_PATTERN = 4;

/** Copies a raw rule with ECR's key order, so the policy text is stable whatever order the file used. */
function normalizeRaw(rule: RawLifecycleRule): EcrLifecycleRule {
  const s = rule.selection;
  return {
    rulePriority: rule.rulePriority,
    ...(rule.description !== undefined ? { description: rule.description } : {}),
    selection: {
      tagStatus: s.tagStatus,
      ...(s.tagPatternList ? { tagPatternList: [...s.tagPatternList] } : {}),
      ...(s.tagPrefixList ? { tagPrefixList: [...s.tagPrefixList] } : {}),
      ...(s.storageClass ? { storageClass: s.storageClass } : {}),
      countType: s.countType,
      ...(s.countUnit ? { countUnit: s.countUnit } : {}),
      countNumber: s.countNumber,
    },
    action: {
      type: rule.action.type,
      ...(rule.action.targetStorageClass ? { targetStorageClass: rule.action.targetStorageClass } : {}),
    },
  };
}

type PresetRule = Omit<EcrLifecycleRule, 'rulePriority'>;

const days = (n: number): string => (n === 1 ? '1 day' : `${n} days`);

function presetRules(settings: LifecycleSettings): { rule: PresetRule; origin: Array<string | number> }[] {
  const lifecycle = settings.lifecycle;
  if (!lifecycle) return [];
  const out: { rule: PresetRule; origin: Array<string | number> }[] = [];
  if (lifecycle.untaggedAfterDays !== undefined) {
    out.push({
      origin: ['lifecycle', 'untaggedAfterDays'],
      rule: {
        description: `Harbormaster: expire untagged images ${days(lifecycle.untaggedAfterDays)} after push`,
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: lifecycle.untaggedAfterDays,
        },
        action: { type: 'expire' },
      },
    });
  }
  if (lifecycle.keepLast !== undefined) {
    for (const pattern of settings.releaseTags ?? []) {
      out.push({
        origin: ['lifecycle', 'keepLast'],
        rule: {
          description: `Harbormaster: keep the last ${lifecycle.keepLast} images tagged ${pattern}`,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: [pattern],
            countType: 'imageCountMoreThan',
            countNumber: lifecycle.keepLast,
          },
          action: { type: 'expire' },
        },
      });
    }
  }
  (lifecycle.ephemeral ?? []).forEach((entry, k) => {
    entry.tagPatterns.forEach((pattern, m) => {
      out.push({
        origin: ['lifecycle', 'ephemeral', k, 'tagPatterns', m],
        rule: {
          description: `Harbormaster: expire images tagged ${pattern} ${days(entry.afterDays)} after push`,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: [pattern],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: entry.afterDays,
          },
          action: { type: 'expire' },
        },
      });
    });
  });
  return out;
}

/** The archive preset: a tagStatus any rule, so it goes after every other rule of the policy. */
function archivePreset(
  settings: LifecycleSettings,
): { rule: PresetRule; origin: Array<string | number> } | undefined {
  const after = settings.lifecycle?.archiveUnpulledAfterDays;
  if (after === undefined) return undefined;
  return {
    origin: ['lifecycle', 'archiveUnpulledAfterDays'],
    rule: {
      description: `Harbormaster: archive images not pulled for ${days(after)}`,
      selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: after },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
  };
}

/**
 * Every rule of the policy with where it came from, ordered by priority. Presets take the lowest
 * priorities not used by a raw rule, so they never collide with one and an `any` raw rule with the
 * highest number stays last.
 */
export function lifecycleRuleEntries(settings: LifecycleSettings): LifecycleRuleEntry[] {
  const raw: LifecycleRuleEntry[] = (settings.lifecycle?.rules ?? []).map((rule, j) => ({
    rule: normalizeRaw(rule),
    origin: ['lifecycle', 'rules', j],
    raw: true,
  }));
  const used = new Set(raw.map((e) => e.rule.rulePriority));
  let next = 1;
  const presets: LifecycleRuleEntry[] = presetRules(settings).map(({ rule, origin }) => {
    while (used.has(next)) next += 1;
    const priority = next;
    next += 1;
    return { rule: { rulePriority: priority, ...rule }, origin, raw: false };
  });
  const archive = archivePreset(settings);
  const last = Math.max(0, ...[...presets, ...raw].map((e) => e.rule.rulePriority));
  const archiveEntries: LifecycleRuleEntry[] = archive
    ? [{ rule: { rulePriority: last + 1, ...archive.rule }, origin: archive.origin, raw: false }]
    : [];
  // Stable sort: equal priorities (a config mistake the checks report) keep file order.
  return [...presets, ...raw, ...archiveEntries].sort((a, b) => a.rule.rulePriority - b.rule.rulePriority);
}

/** The ECR lifecycle rules for these settings, ordered by priority. */
export function buildLifecycleRules(settings: LifecycleSettings): EcrLifecycleRule[] {
  return lifecycleRuleEntries(settings).map((e) => e.rule);
}

/** The lifecycle policy text ECR takes (`{"rules":[...]}`), or undefined when there is no rule. */
export function lifecyclePolicyText(settings: LifecycleSettings): string | undefined {
  const rules = buildLifecycleRules(settings);
  return rules.length > 0 ? JSON.stringify({ rules }) : undefined;
}
