import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { core } from 'zod';
import { CONFIG_CHECKS, type ConfigProblem } from './checks';
import { ConfigError } from './errors';
import { configSchema, type HarbormasterConfig } from './schema';

export const DEFAULT_CONFIG_PATH = 'harbormaster.config.yaml';

/** Short rendering of an offending value for an error line; never dumps large objects. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function toProblem(issue: core.$ZodIssue): ConfigProblem {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'unrecognized_keys') {
    return { path: issue.path as (string | number)[], message: `unknown field(s) ${issue.keys.join(', ')}` };
  }
  let message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_type' && input === undefined)
    message = `${message.replace(/, received.*$/, '')}, but it is missing`;
  else if (!/received|got /.test(message)) message = `${message}, got ${describe(input)}`;
  return { path: issue.path as (string | number)[], message };
}

/** Validates an already-parsed document: schema first, then the cross-field checks. */
export function parseConfig(document: unknown, source = 'config'): HarbormasterConfig {
  const parsed = configSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, parsed.error.issues.map(toProblem));
  const problems = CONFIG_CHECKS.flatMap((check) => check(parsed.data));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return parsed.data;
}

/** Parses YAML text (JSON is YAML too) and validates it. */
export function parseConfigText(text: string, source = 'config'): HarbormasterConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: [], message: `expected valid YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  return parseConfig(doc.toJS(), source);
}

/** Reads and validates the config file at `path`. */
export function loadConfig(path: string = DEFAULT_CONFIG_PATH): HarbormasterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      path,
      [{ path: [], message: `expected a readable config file, got ${(cause as Error).message}` }],
      {
        cause,
      },
    );
  }
  return parseConfigText(text, path);
}
