import { ConfigError } from '../../../shared/config/errors';
import { parseConfig } from '../../../shared/config/load';

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
