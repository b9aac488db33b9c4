import type { HarbormasterConfig } from '../schema';

/** One problem found in a config: where (a field path) and what was expected. */
export interface ConfigProblem {
  readonly path: ReadonlyArray<string | number>;
  /** Reads after the path, e.g. "expected a positive integer, got -1". */
  readonly message: string;
}

/** A cross-field rule: a small pure function over the schema-valid config. */
export type ConfigCheck = (config: HarbormasterConfig) => ConfigProblem[];
