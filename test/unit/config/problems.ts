import { ConfigError } from '../../../shared/config/errors';
import { parseConfig } from '../../../shared/config/load';
import { baseConfig, type ConfigDocument } from '../../fixtures/config/base-config';

/** The error lines a document produces, or [] when it is valid. */
export function problemsOf(document: unknown): readonly string[] {
  try {
    parseConfig(document, 'test.yaml');
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** One change to the valid base config and the exact error lines it must produce ([] for a compliant one). */
export interface ConfigCase {
  readonly name: string;
  readonly change: (doc: ConfigDocument) => void;
  readonly lines: readonly string[];
}

/** A describe block running each case against a fresh copy of the base config. */
export function runCases(title: string, cases: readonly ConfigCase[]): void {
  describe(title, () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      // Prepare
      const doc = baseConfig();
      c.change(doc);

      // Act
      const problems = problemsOf(doc);

      // Assess
      expect(problems).toEqual(c.lines);
    });
  });
}
