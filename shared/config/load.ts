import { readFileSync } from 'node:fs';
import type { core } from 'zod';
import { CONFIG_CHECKS, type ConfigProblem } from './checks';
import { ConfigError, type LocatedProblem } from './errors';
import { closestKey, knownKeysAt } from './known-keys';
import { configSchema, type HarbormasterConfig } from './schema';
import { readYaml, type YamlSource } from './yaml-source';

export const DEFAULT_CONFIG_PATH = 'harbormaster.config.yaml';

/** Short rendering of an offending value for an error line; never dumps large objects. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A problem about a key (unknown or invalid) rather than its value: its position is the key's. */
interface KeyProblem extends ConfigProblem {
  readonly atKey?: boolean;
}

/** What to say about a key the schema does not know: the closest known key, or the keys it accepts. */
function unknownKeyMessage(key: string, objectPath: ReadonlyArray<string | number>): string {
  const known = knownKeysAt(configSchema, objectPath);
  const suggestion = closestKey(key, known);
  if (suggestion) return `unknown field (did you mean ${suggestion}?)`;
  return known.length > 0 ? `unknown field (expected one of ${known.join(', ')})` : 'unknown field';
}

function toProblems(issue: core.$ZodIssue): KeyProblem[] {
  const path = issue.path as (string | number)[];
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'unrecognized_keys') {
    // One line per key, each at the key itself, so an editor jumps to the typo.
    return issue.keys.map((key) => ({
      path: [...path, key],
      message: unknownKeyMessage(key, path),
      atKey: true,
    }));
  }
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message ?? issue.message;
    return [{ path, message: `${inner}, got ${describe(path[path.length - 1])}`, atKey: true }];
  }
  let message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_type' && input === undefined)
    message = `${message.replace(/, received.*$/, '')}, but it is missing`;
  else if (!/received|got /.test(message)) message = `${message}, got ${describe(input)}`;
  return [{ path, message }];
}

/** The name of the repository a path points into, so a line says which repository is wrong. */
function repositoryOf(document: unknown, path: ReadonlyArray<string | number>): string | undefined {
  if (path[0] !== 'repositories' || typeof path[1] !== 'number') return undefined;
  if (path.length === 3 && path[2] === 'name') return undefined; // the line already shows the name
  const repositories = (document as { repositories?: unknown } | null)?.repositories;
  const name = Array.isArray(repositories)
    ? (repositories[path[1]] as { name?: unknown } | null)?.name
    : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** Schema first, then the cross-field checks; with a YAML source, each problem gets its position. */
function validate(document: unknown, source: string, yaml?: YamlSource): HarbormasterConfig {
  const locate = (problems: readonly KeyProblem[]): LocatedProblem[] =>
    problems.map(({ atKey, ...problem }) => {
      if (!yaml) return problem;
      const position = yaml.locate(problem.path, atKey);
      const repository = repositoryOf(document, problem.path);
      return { ...problem, ...(position ? { position } : {}), ...(repository ? { repository } : {}) };
    });
  const parsed = configSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, locate(parsed.error.issues.flatMap(toProblems)));
  const problems = CONFIG_CHECKS.flatMap((check) => check(parsed.data));
  if (problems.length > 0) throw new ConfigError(source, locate(problems));
  return parsed.data;
}

/** Validates an already-parsed document (a typed object, for example): errors name field paths. */
export function parseConfig(document: unknown, source = 'config'): HarbormasterConfig {
  return validate(document, source);
}

/** Parses YAML text (JSON is YAML too) and validates it: errors name `source:line:col` and the field path. */
export function parseConfigText(text: string, source = 'config'): HarbormasterConfig {
  const yaml = readYaml(text, source);
  return validate(yaml.data, source, yaml);
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
      { cause },
    );
  }
  return parseConfigText(text, path);
}
