import type { RawLifecycleRule } from '../schema';
import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

/** ECR keeps an archived image at least 90 days: a rule expiring archived images sooner is refused. */
export const ARCHIVE_MINIMUM_DAYS = 90;

type Path = ReadonlyArray<string | number>;

/**
 * ECR's constraints on the archive storage class (Nov 2025) for one raw rule: transition needs
 * targetStorageClass archive and expire takes none; sinceImagePulled only transitions; sinceImageTransitioned
 * only expires, selects storageClass archive and counts at least 90 days; every other count type selects
 * standard images.
 */
function rawRuleProblems(at: Path, rule: RawLifecycleRule): ConfigProblem[] {
  const { action, selection } = rule;
  const problems: ConfigProblem[] = [];
  if (action.type === 'transition' && action.targetStorageClass === undefined) {
    problems.push({
      path: [...at, 'action', 'targetStorageClass'],
      message: 'expected targetStorageClass "archive" with action type transition, but it is missing',
    });
  }
  if (action.type === 'expire' && action.targetStorageClass !== undefined) {
    problems.push({
      path: [...at, 'action', 'targetStorageClass'],
      message: `expected no targetStorageClass with action type expire, got "${action.targetStorageClass}"`,
    });
  }
  if (selection.countType === 'sinceImagePulled' && action.type !== 'transition') {
    problems.push({
      path: [...at, 'selection', 'countType'],
      message: `expected countType sinceImagePulled only with action type transition, got action type ${action.type}`,
    });
  }
  if (selection.countType === 'sinceImageTransitioned') {
    if (action.type !== 'expire') {
      problems.push({
        path: [...at, 'selection', 'countType'],
        message: `expected countType sinceImageTransitioned only with action type expire, got action type ${action.type}`,
      });
    }
    if (selection.storageClass !== 'archive') {
      problems.push({
        path: [...at, 'selection', 'storageClass'],
        message: `expected storageClass archive with countType sinceImageTransitioned, got ${selection.storageClass ? `"${selection.storageClass}"` : 'none'}`,
      });
    }
    if (selection.countNumber < ARCHIVE_MINIMUM_DAYS) {
      problems.push({
        path: [...at, 'selection', 'countNumber'],
        message: `expected at least ${ARCHIVE_MINIMUM_DAYS} days with countType sinceImageTransitioned (ECR keeps archived images ${ARCHIVE_MINIMUM_DAYS} days at least), got ${selection.countNumber}`,
      });
    }
  } else if (selection.storageClass === 'archive') {
    problems.push({
      path: [...at, 'selection', 'storageClass'],
      message: `expected storageClass standard (or none) with countType ${selection.countType}: only sinceImageTransitioned selects archived images`,
    });
  }
  return problems;
}

export const lifecycleArchive: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) => {
    const rules = settings.lifecycle?.rules ?? [];
    const problems = rules.flatMap((rule, j) => rawRuleProblems([...path, 'lifecycle', 'rules', j], rule));
    // The archive preset selects every image and must be last; a raw `any` rule must be last too.
    if (settings.lifecycle?.archiveUnpulledAfterDays !== undefined) {
      const j = rules.findIndex((rule) => rule.selection.tagStatus === 'any');
      if (j >= 0) {
        problems.push({
          path: [...path, 'lifecycle', 'archiveUnpulledAfterDays'],
          message: `expected no tagStatus any rule next to archiveUnpulledAfterDays (both select every image and only one can be evaluated last), got lifecycle.rules[${j}]`,
        });
      }
    }
    return problems;
  });
