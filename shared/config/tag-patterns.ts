/**
 * ECR wildcard tag patterns, as used by lifecycle `tagPatternList` and by tag mutability exclusion
 * filters: `*` matches any run of characters (including none and including dots); every other
 * character matches itself, case-sensitively. The whole tag must match.
 */

const cache = new Map<string, RegExp>();

function toRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 's');
    cache.set(pattern, re);
  }
  return re;
}

/** True when `tag` is matched by the ECR wildcard `pattern` (e.g. `v*` matches `v1.4.2`). */
export function matchesTagPattern(tag: string, pattern: string): boolean {
  return toRegExp(pattern).test(tag);
}

/** True when `tag` is matched by at least one of `patterns`. */
export function matchesAnyTagPattern(tag: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matchesTagPattern(tag, pattern));
}

/** Number of `*` wildcards in a pattern (ECR allows at most 4 per lifecycle tag pattern). */
export function wildcardCount(pattern: string): number {
  let n = 0;
  for (const ch of pattern) if (ch === '*') n += 1;
  return n;
}
