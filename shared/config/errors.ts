import type { ConfigProblem } from './checks/types';

/** Renders a field path as people write it: repositories[2].lifecycle.keepLast */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** A config that failed validation. `problems` holds one line per problem, each naming its field path. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    const lines = problems.map((p) => `${formatPath(p.path)}: ${p.message}`);
    super(`invalid config ${source}:\n  ${lines.join('\n  ')}`, options);
    this.name = 'ConfigError';
    this.problems = lines;
  }
}
