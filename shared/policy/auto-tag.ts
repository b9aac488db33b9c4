import type { AutoTagRule } from '../config/schema';

/**
 * Auto-tag rules (A1): which tags a push also gets. Pure and deterministic; the handler writes the
 * result with BatchGetImage + PutImage (same manifest), so a tag that already points at the digest is a no-op.
 */
export interface TagsToAddInput {
  /** The tag the push carried ('' for a push by digest: no rule applies). */
  readonly pushedTag: string;
  readonly digest: string;
  readonly rules: readonly AutoTagRule[];
  /**
   * Every tag currently in the repository, when the caller fetched them. Used so `1.4`, `1` and `latest`
   * only move forward (a hotfix 1.3.9 pushed after 1.4.2 gets `1.3`, not `1` or `latest`). When omitted,
   * the pushed version is taken to be the highest.
   */
  readonly existingTags?: readonly string[];
}

export interface SemanticVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** e.g. rc.1 for 1.4.2-rc.1; undefined for a stable version. */
  readonly prerelease?: string;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Parses `tag` as `<prefix>MAJOR.MINOR.PATCH[-PRERELEASE]`; undefined when it is not one. */
export function parseSemver(tag: string, prefix = ''): SemanticVersion | undefined {
  if (!tag.startsWith(prefix)) return undefined;
  const m = SEMVER.exec(tag.slice(prefix.length));
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    ...(m[4] ? { prerelease: m[4] } : {}),
  };
}

function compareStable(a: SemanticVersion, b: SemanticVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** True when a semver rule applies to this push, so the caller should fetch the repository's tags first. */
export function needsExistingTags(pushedTag: string, rules: readonly AutoTagRule[]): boolean {
  return rules.some((rule) => {
    if (rule.type !== 'semver') return false;
    const version = parseSemver(pushedTag, rule.prefix);
    return version !== undefined && version.prerelease === undefined;
  });
}

function semverTags(
  rule: Extract<AutoTagRule, { type: 'semver' }>,
  pushedTag: string,
  existing: readonly string[],
): string[] {
  const version = parseSemver(pushedTag, rule.prefix);
  // Prereleases (1.4.2-rc.1) never move the floating tags.
  if (!version || version.prerelease !== undefined) return [];
  const others = existing
    .map((tag) => parseSemver(tag, rule.prefix))
    .filter((v): v is SemanticVersion => v !== undefined && v.prerelease === undefined);
  const higherIn = (sameLine: (v: SemanticVersion) => boolean): boolean =>
    others.some((v) => sameLine(v) && compareStable(v, version) > 0);

  const out: string[] = [];
  if (!higherIn((v) => v.major === version.major && v.minor === version.minor)) {
    out.push(`${rule.prefix}${version.major}.${version.minor}`);
  }
  if (!higherIn((v) => v.major === version.major)) out.push(`${rule.prefix}${version.major}`);
  if (rule.latest && !higherIn(() => true)) out.push('latest');
  return out;
}

function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('(.*)');
  return new RegExp(`^${body}$`, 's');
}

function patternTag(
  rule: Extract<AutoTagRule, { type: 'pattern' }>,
  pushedTag: string,
  digest: string,
): string[] {
  const m = patternRegExp(rule.match).exec(pushedTag);
  if (!m) return [];
  const digest12 = digest.replace(/^sha256:/, '').slice(0, 12);
  const tag = rule.tag.replace(/\{(match|tag|digest12)\}/g, (_, name: string) =>
    name === 'match' ? (m[1] ?? '') : name === 'tag' ? pushedTag : digest12,
  );
  // A result that is no valid tag is skipped; one the same rule would match again is skipped so
  // the push event our own PutImage causes cannot start a loop (e.g. match "*" -> "x-{tag}").
  if (!IMAGE_TAG.test(tag) || m.input === tag || patternRegExp(rule.match).test(tag)) return [];
  return [tag];
}

/** Tags to add for a push, in rule order, without duplicates and never the pushed tag itself. */
export function tagsToAdd(input: TagsToAddInput): string[] {
  const { pushedTag, digest, rules } = input;
  if (!pushedTag) return [];
  const existing = input.existingTags ?? [];
  const out: string[] = [];
  for (const rule of rules) {
    const tags =
      rule.type === 'semver' ? semverTags(rule, pushedTag, existing) : patternTag(rule, pushedTag, digest);
    for (const tag of tags) if (tag !== pushedTag && !out.includes(tag)) out.push(tag);
  }
  return out;
}
