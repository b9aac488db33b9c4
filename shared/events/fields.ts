// Namespace import: lets esbuild tree-shake zod (the `{ z }` re-export pulls in all of it, ~450 KB minified).
import * as z from 'zod';
import { REPOSITORY_NAME_PATTERN } from '../config/primitives';
import { SEVERITY_ORDER, type FindingSeverity, type SeverityCounts } from '../domain/types';

/**
 * Field schemas shared by the event detail schemas. Every message reads "expected ..." so the parser
 * can add the field path and the offending value: `detail.image-digest: expected a sha256 digest, got 42`.
 */

/** Tags per event we accept: ECR allows far fewer on one image; more is abuse or corruption. */
export const MAX_TAGS = 1000;

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
/** ECR image tags: up to 300 characters (the API limit) of [A-Za-z0-9._-], not starting with '.' or '-'. */
export const EVENT_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,299}$/;
const ECR_REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/(.+)$/;

export const digest = z
  .string({ error: 'expected a sha256 digest (sha256: and 64 hex characters)' })
  .regex(DIGEST_PATTERN, { error: 'expected a sha256 digest (sha256: and 64 hex characters)' });

/** A repository name; an ARN here is an error (only Inspector2 Scan carries ARNs, see repositoryArnOrName). */
export const repositoryName = z.string({ error: 'expected a repository name' }).superRefine((value, ctx) => {
  if (REPOSITORY_NAME_PATTERN.test(value)) return;
  ctx.addIssue({
    code: 'custom',
    input: value,
    message: value.startsWith('arn:')
      ? 'expected a repository name, not an ARN'
      : 'expected an ECR repository name (lowercase [a-z0-9] components separated by ".", "_", "-" or "/")',
  });
});

/** Inspector2 Scan puts the repository ARN in `repository-name`: turned into the name here. A plain name is accepted too. */
export const repositoryArnOrName = z
  .string({ error: 'expected an ECR repository ARN' })
  .transform((value, ctx) => {
    const name = ECR_REPOSITORY_ARN.exec(value)?.[1] ?? (value.startsWith('arn:') ? undefined : value);
    if (name !== undefined && REPOSITORY_NAME_PATTERN.test(name)) return name;
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: 'expected an ECR repository ARN such as arn:aws:ecr:us-east-1:123456789012:repository/my-repo',
    });
    return z.NEVER;
  });

export const tag = z
  .string({ error: 'expected an image tag' })
  .regex(EVENT_TAG_PATTERN, { error: 'expected an image tag of [A-Za-z0-9._-], at most 300 characters' });

/** ECR Image Action's single `image-tag`: '' (or absent) for a push by digest. */
export const optionalSingleTag = z
  .union([z.literal(''), tag], { error: 'expected an image tag or ""' })
  .optional()
  .transform((value) => (value ? [value] : []));

export const tagList = z
  .array(tag, { error: 'expected an array of image tags' })
  .max(MAX_TAGS, { error: `expected at most ${MAX_TAGS} image tags` })
  .optional()
  .transform((tags) => [...new Set(tags ?? [])]);

export const accountId = z
  .string({ error: 'expected a 12-digit AWS account id' })
  .regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id' });

export const region = z
  .string({ error: 'expected an AWS region such as eu-west-1' })
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, { error: 'expected an AWS region such as eu-west-1' });

export const isoTime = z
  .string({ error: 'expected an ISO-8601 time such as 2026-11-23T01:54:34Z' })
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/, {
    error: 'expected an ISO-8601 time such as 2026-11-23T01:54:34Z',
  })
  .refine((value) => !Number.isNaN(Date.parse(value)), { error: 'expected a real ISO-8601 time' });

/** Severity names an event may carry. UNTRIAGED (Inspector) is UNDEFINED (basic). */
const SEVERITY_ALIASES: Readonly<Record<string, FindingSeverity>> = {
  ...Object.fromEntries(SEVERITY_ORDER.map((s) => [s, s])),
  UNTRIAGED: 'UNDEFINED',
};
const KNOWN_SEVERITY_NAMES = [...Object.keys(SEVERITY_ALIASES), 'TOTAL'];

export function zeroCounts(): SeverityCounts {
  return { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
}

/** A finding severity; UNTRIAGED becomes UNDEFINED. */
export const severity = z
  .string({ error: `expected a severity (${Object.keys(SEVERITY_ALIASES).join(', ')})` })
  .transform((value, ctx) => {
    const mapped = SEVERITY_ALIASES[value];
    if (mapped) return mapped;
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: `expected a severity (${Object.keys(SEVERITY_ALIASES).join(', ')})`,
    });
    return z.NEVER;
  });

const count = z
  .number({ error: 'expected a non-negative integer count' })
  .int({ error: 'expected a non-negative integer count' })
  .nonnegative({ error: 'expected a non-negative integer count' });

/**
 * `finding-severity-counts`: missing severities are 0 (basic scans omit them); TOTAL (Inspector) is not a
 * severity and is returned separately; an unknown severity name is an error naming it.
 */
export const severityCounts = z
  .record(z.string(), count, { error: 'expected an object of severity counts' })
  .optional()
  .transform((raw, ctx) => {
    const counts = zeroCounts();
    let total: number | undefined;
    for (const [name, value] of Object.entries(raw ?? {})) {
      if (name === 'TOTAL') {
        total = value;
        continue;
      }
      const mapped = SEVERITY_ALIASES[name];
      if (!mapped) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          input: name,
          message: `expected a severity name (one of ${KNOWN_SEVERITY_NAMES.join(', ')})`,
        });
        return z.NEVER;
      }
      counts[mapped] += value;
    }
    return { counts, total };
  });
