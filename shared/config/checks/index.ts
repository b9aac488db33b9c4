import { autoTagImmutability } from './auto-tag-immutability';
import { creationTemplateMovingTags } from './creation-template-moving-tags';
import { creationTemplatePrefixes } from './creation-template-prefixes';
import { gatedReplication } from './gated-replication';
import { kmsKeyRegion } from './kms-key-region';
import { lifecycleAnyRuleLast } from './lifecycle-any-rule-last';
import { lifecycleArchive } from './lifecycle-archive';
import { lifecycleCountUnit } from './lifecycle-count-unit';
import { lifecycleKeepLastReleaseTags } from './lifecycle-keep-last-release-tags';
import { lifecycleSingleUntagged } from './lifecycle-single-untagged';
import { lifecycleSize } from './lifecycle-size';
import { lifecycleTagSelection } from './lifecycle-tag-selection';
import { lifecycleUniquePriority } from './lifecycle-unique-priority';
import { lifecycleWildcardLimit } from './lifecycle-wildcard-limit';
import { mutabilityExclusions } from './mutability-exclusions';
import { promoteTagMutability } from './promote-tag-mutability';
import { pullThroughCredentials } from './pull-through-credentials';
import { pullThroughPrefixes } from './pull-through-prefixes';
import { resourceTags } from './resource-tags';
import { replicationLimits } from './replication-limits';
import { scanningFrequency } from './scanning-frequency';
import { signing } from './signing';
import { teamExists } from './team-exists';
import type { ConfigCheck } from './types';
import { uniqueRepositoryNames } from './unique-repository-names';

export type { ConfigCheck, ConfigProblem } from './types';

/** Every cross-field rule, run in order after the schema. Each is a small pure function in its own file. */
export const CONFIG_CHECKS: readonly ConfigCheck[] = [
  teamExists,
  uniqueRepositoryNames,
  kmsKeyRegion,
  resourceTags,
  mutabilityExclusions,
  autoTagImmutability,
  promoteTagMutability,
  lifecycleTagSelection,
  lifecycleCountUnit,
  lifecycleWildcardLimit,
  lifecycleKeepLastReleaseTags,
  lifecycleUniquePriority,
  lifecycleAnyRuleLast,
  lifecycleArchive,
  lifecycleSingleUntagged,
  lifecycleSize,
  scanningFrequency,
  pullThroughCredentials,
  pullThroughPrefixes,
  replicationLimits,
  creationTemplatePrefixes,
  creationTemplateMovingTags,
  gatedReplication,
  signing,
];
