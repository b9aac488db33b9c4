import { teamExists } from './team-exists';
import type { ConfigCheck } from './types';

export type { ConfigCheck, ConfigProblem } from './types';

/** Every cross-field rule, run in order after the schema. */
export const CONFIG_CHECKS: readonly ConfigCheck[] = [teamExists];
