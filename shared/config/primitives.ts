// Namespace import: lets esbuild tree-shake zod (the `{ z }` re-export pulls in all of it, ~450 KB minified).
import * as z from 'zod';

/** Small reusable schemas whose error messages read as "expected ..." so config errors are one clear line. */

export const positiveInt = z
  .number({ error: 'expected a positive integer' })
  .int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' });

export const nonEmptyString = z.string({ error: 'expected a non-empty string' }).min(1, {
  error: 'expected a non-empty string',
});

/** ECR's repository name rule: 2-256 chars, lowercase components of [a-z0-9] joined by '.', '_', '-' or '/'. */
export const REPOSITORY_NAME_PATTERN =
  /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
export const repositoryName = z
  .string({ error: 'expected a repository name' })
  .regex(REPOSITORY_NAME_PATTERN, {
    error:
      'expected an ECR repository name (2-256 characters, lowercase [a-z0-9] components separated by ".", "_", "-" or "/")',
  });

export const accountId = z
  .string({ error: 'expected a 12-digit AWS account id as a string' })
  .regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id as a string' });

export const awsRegion = z
  .string({ error: 'expected an AWS region such as eu-west-1' })
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, { error: 'expected an AWS region such as eu-west-1' });

/** An IAM principal for repository policies: an IAM role/user ARN or an account id. Never '*'. */
export const principal = z
  .string({ error: 'expected an IAM role/user ARN or a 12-digit account id' })
  .regex(/^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(role|user|root)(\/[\w+=,.@/-]*)?)$/, {
    error: 'expected an IAM role/user ARN or a 12-digit account id (a "*" principal is never allowed)',
  });

/**
 * An ECR tag wildcard pattern (as in lifecycle tagPatternList and mutability exclusion filters):
 * letters, digits, '.', '_', '-' and '*', 1-128 characters.
 */
export const tagPattern = z.string({ error: 'expected a tag pattern' }).regex(/^[A-Za-z0-9._*-]{1,128}$/, {
  error: 'expected a tag pattern of 1-128 characters from [A-Za-z0-9._-] and "*"',
});

/** A literal image tag (what PutImage accepts). */
export const imageTag = z
  .string({ error: 'expected an image tag' })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, {
    error: 'expected an image tag of 1-128 characters from [A-Za-z0-9._-], not starting with "." or "-"',
  });

/** Severity names as AWS reports them, ordered from least to most severe. */
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The highest severity an image may carry and still pass; NONE tolerates no finding at all. */
export const severityThreshold = z.enum(['NONE', ...SEVERITIES], {
  error: `expected one of NONE, ${SEVERITIES.join(', ')}`,
});
export type SeverityThreshold = z.infer<typeof severityThreshold>;

export const isoDate = z
  .string({ error: 'expected a date as YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date as YYYY-MM-DD' })
  // Date.parse rolls 2027-02-30 over to March 2: only a date that reads back the same is real.
  .refine(
    (s) => {
      const [year, month, day] = s.split('-').map(Number);
      const date = new Date(Date.UTC(year, month - 1, day));
      return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
    },
    { error: 'expected a real calendar date' },
  );

export const email = z.email({ error: 'expected an email address' });

export const secretName = z
  .string({ error: 'expected a Secrets Manager secret name' })
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, { error: 'expected a Secrets Manager secret name' });
