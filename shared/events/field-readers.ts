import { emptyCounts, severityFromName, type FindingSeverity, type SeverityCounts } from '../domain/types';
import {
  readArray,
  readMatching,
  readPlainObject,
  readString,
  typeError,
  valueError,
  type FieldPath,
  type RawObject,
} from './read';

/**
 * Readers for the fields Harbormaster's events share (digests, repository names, tags, severities...).
 * Every message reads "expected ..." so the error can add the field path and the offending value:
 * `detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), got 42`.
 * No zod here: this module ships in every event function bundle.
 */

/** Tags per event we accept: ECR allows far fewer on one image; more is abuse or corruption. */
export const MAX_TAGS = 1000;

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
/** ECR image tags: up to 300 characters (the API limit) of [A-Za-z0-9._-], not starting with '.' or '-'. */
export const EVENT_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,299}$/;
/**
 * ECR's repository name rule, the same as the config's REPOSITORY_NAME_PATTERN (shared/config/primitives.ts,
 * which builds zod schemas at load and so stays out of function bundles); test/unit/events/read.test.ts
 * keeps the two equal.
 */
export const REPOSITORY_NAME_PATTERN =
  /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const ECR_REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/(.+)$/;
const ACCOUNT_ID_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ISO_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const DIGEST_EXPECTED = 'expected a sha256 digest (sha256: and 64 hex characters)';
const TAG_EXPECTED = 'expected an image tag of [A-Za-z0-9._-], at most 300 characters';
const ACCOUNT_EXPECTED = 'expected a 12-digit AWS account id';
const REGION_EXPECTED = 'expected an AWS region such as eu-west-1';
const TIME_EXPECTED = 'expected an ISO-8601 time such as 2026-11-23T01:54:34Z';

export function readDigest(obj: RawObject, key: string | number, at: FieldPath): string {
  return readMatching(obj, key, at, DIGEST_PATTERN, DIGEST_EXPECTED);
}

/** A repository name; an ARN here is an error (only Inspector2 Scan carries ARNs, see readRepositoryArnOrName). */
export function readRepositoryName(obj: RawObject, key: string | number, at: FieldPath): string {
  const name = readString(obj, key, at, 'expected a repository name');
  if (REPOSITORY_NAME_PATTERN.test(name)) return name;
  throw valueError(
    [...at, key],
    name.startsWith('arn:')
      ? 'expected a repository name, not an ARN'
      : 'expected an ECR repository name (lowercase [a-z0-9] components separated by ".", "_", "-" or "/")',
    name,
  );
}

/** Inspector2 Scan puts the repository ARN in `repository-name`: turned into the name here. A plain name is accepted too. */
export function readRepositoryArnOrName(obj: RawObject, key: string | number, at: FieldPath): string {
  const text = readString(obj, key, at, 'expected an ECR repository ARN');
  const name = ECR_REPOSITORY_ARN.exec(text)?.[1] ?? (text.startsWith('arn:') ? undefined : text);
  if (name !== undefined && REPOSITORY_NAME_PATTERN.test(name)) return name;
  throw valueError(
    [...at, key],
    'expected an ECR repository ARN such as arn:aws:ecr:us-east-1:123456789012:repository/my-repo',
    text,
  );
}

export function readTag(obj: RawObject, key: string | number, at: FieldPath): string {
  return readMatching(obj, key, at, EVENT_TAG_PATTERN, 'expected an image tag', TAG_EXPECTED);
}

/** ECR Image Action's single `image-tag`: '' (or absent) for a push by digest. */
export function readOptionalSingleTag(obj: RawObject, key: string | number, at: FieldPath): string[] {
  const value = obj[key];
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string') throw valueError([...at, key], 'expected an image tag or ""', value);
  return [readTag(obj, key, at)];
}

/** An optional tag list, deduplicated; [] when absent. */
export function readTagList(obj: RawObject, key: string | number, at: FieldPath): string[] {
  if (obj[key] === undefined) return [];
  const tags = readArray(obj, key, at, 'expected an array of image tags', readTag, {
    max: [MAX_TAGS, `expected at most ${MAX_TAGS} image tags`],
  });
  return [...new Set(tags)];
}

export function readAccountId(obj: RawObject, key: string | number, at: FieldPath): string {
  return readMatching(obj, key, at, ACCOUNT_ID_PATTERN, ACCOUNT_EXPECTED);
}

export function readRegion(obj: RawObject, key: string | number, at: FieldPath): string {
  return readMatching(obj, key, at, REGION_PATTERN, REGION_EXPECTED);
}

export function readIsoTime(obj: RawObject, key: string | number, at: FieldPath): string {
  const time = readMatching(obj, key, at, ISO_TIME_PATTERN, TIME_EXPECTED);
  if (Number.isNaN(Date.parse(time))) throw valueError([...at, key], 'expected a real ISO-8601 time', time);
  return time;
}

/**
 * Severity names an event may carry: the severities, plus UNTRIAGED (Inspector) for UNDEFINED (basic).
 * Written out (not derived from SEVERITY_ORDER at load) so a bundle that never reads a severity drops
 * them; test/unit/events/field-readers.test.ts keeps them in step with SEVERITY_ORDER.
 */
export const SEVERITY_NAMES = [
  'UNDEFINED',
  'INFORMATIONAL',
  'LOW',
  'MEDIUM',
  'HIGH',
  'CRITICAL',
  'UNTRIAGED',
] as const;
export const SEVERITY_EXPECTED =
  'expected a severity (UNDEFINED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED)';
export const SEVERITY_NAME_EXPECTED =
  'expected a severity name (one of UNDEFINED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED, TOTAL)';
export const COUNT_EXPECTED = 'expected a non-negative integer count';
export const SEVERITY_COUNTS_EXPECTED = 'expected an object of severity counts';

/** The severity a name stands for (UNTRIAGED is UNDEFINED), or undefined for any other name. */
export { severityFromName as severityOf } from '../domain/types';

export function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Every severity at 0. */
export { emptyCounts as zeroCounts } from '../domain/types';

/** A finding severity; UNTRIAGED becomes UNDEFINED. */
export function readSeverity(obj: RawObject, key: string | number, at: FieldPath): FindingSeverity {
  const name = readString(obj, key, at, SEVERITY_EXPECTED);
  const mapped = severityFromName(name);
  if (mapped === undefined) throw valueError([...at, key], SEVERITY_EXPECTED, name);
  return mapped;
}

export interface ParsedSeverityCounts {
  readonly counts: SeverityCounts;
  /** Inspector's TOTAL, which is not a severity and not the sum of the counts; undefined when absent. */
  readonly total: number | undefined;
}

/**
 * `finding-severity-counts`: missing severities are 0 (basic scans omit them); TOTAL (Inspector) is not a
 * severity and is returned separately; an unknown severity name is an error naming it. Every count is
 * checked before any name, so a bad count is reported first.
 */
export function readSeverityCounts(
  obj: RawObject,
  key: string | number,
  at: FieldPath,
): ParsedSeverityCounts {
  const counts = emptyCounts();
  if (obj[key] === undefined) return { counts, total: undefined };
  const raw = readPlainObject(obj, key, at, SEVERITY_COUNTS_EXPECTED);
  const path = [...at, key];
  // `__proto__` is never a count: skipped, as a JSON map is read everywhere else.
  const names = Object.keys(raw).filter((name) => name !== '__proto__');
  for (const name of names) {
    if (!isCount(raw[name])) throw typeError([...path, name], COUNT_EXPECTED, raw[name]);
  }
  let total: number | undefined;
  for (const name of names) {
    const n = raw[name] as number;
    if (name === 'TOTAL') {
      total = n;
      continue;
    }
    const mapped = severityFromName(name);
    if (mapped === undefined) throw valueError([...path, name], SEVERITY_NAME_EXPECTED, name);
    counts[mapped] += n;
  }
  return { counts, total };
}
