import type { ConfigProblem } from './checks/types';

/** Where a problem sits in the config file: 1-based line and column, as editors and compilers print them. */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

/** A problem with, when the config came from a file, its position and the repository it belongs to. */
export interface LocatedProblem extends ConfigProblem {
  readonly position?: SourcePosition;
  /** The `name` of the repository the path points into (repositories[i]...), when it has one. */
  readonly repository?: string;
}

/** Renders a field path as people write it: repositories[2].lifecycle.keepLast */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/**
 * One problem as one line. From a file: `FILE:LINE:COL: path (repository): message`, the shape editors and
 * terminals turn into a link; from a document (no file): `path: message`.
 */
export function formatProblem(source: string, problem: LocatedProblem): string {
  const repository = problem.repository ? ` (${problem.repository})` : '';
  const at = problem.position;
  // A problem of the whole file (a YAML error) at a position needs no "(root)".
  const line =
    at && problem.path.length === 0
      ? problem.message
      : `${formatPath(problem.path)}${repository}: ${problem.message}`;
  return at ? `${source}:${at.line}:${at.col}: ${line}` : line;
}

/**
 * A config that failed validation. `problems` holds one line per problem, each naming its field path (and,
 * for a file, its line and column). The message is one line for one problem, else a header and one indented
 * line per problem: never a stack trace's worth of text for a config mistake.
 */
export class ConfigError extends Error {
  readonly source: string;
  readonly problems: readonly string[];
  readonly issues: readonly LocatedProblem[];
  constructor(source: string, problems: readonly LocatedProblem[], options?: { cause?: unknown }) {
    const lines = problems.map((p) => formatProblem(source, p));
    const single = lines.length === 1 ? lines[0] : undefined;
    const message =
      single === undefined
        ? `invalid config ${source}:\n  ${lines.join('\n  ')}`
        : problems[0].position
          ? `invalid config ${single}`
          : `invalid config ${source}: ${single}`;
    super(message, options);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = lines;
    this.issues = problems;
  }
}
