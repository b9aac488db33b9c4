// Namespace import: lets esbuild tree-shake zod (the `{ z }` re-export pulls in all of it, ~450 KB minified).
import * as z from 'zod';
import {
  COUNT_EXPECTED,
  SEVERITY_COUNTS_EXPECTED,
  SEVERITY_EXPECTED,
  SEVERITY_NAME_EXPECTED,
  severityOf,
  zeroCounts,
} from './field-readers';

/**
 * Zod versions of event fields, for code that composes them into zod schemas or reads an API response
 * with them: the CLI (`gate`, `simulate`) and shared/replication/image-verdict.ts. The event functions
 * never import this module (zod would cost ~100 KB and its schema building at cold start); the runtime
 * parser reads the same fields with ./field-readers.ts, whose names, messages and rules these reuse.
 */

export { DIGEST_PATTERN, EVENT_TAG_PATTERN, MAX_TAGS, zeroCounts } from './field-readers';

/** A finding severity; UNTRIAGED becomes UNDEFINED. */
export const severity = z.string({ error: SEVERITY_EXPECTED }).transform((value, ctx) => {
  const mapped = severityOf(value);
  if (mapped) return mapped;
  ctx.addIssue({ code: 'custom', input: value, message: SEVERITY_EXPECTED });
  return z.NEVER;
});

const count = z
  .number({ error: COUNT_EXPECTED })
  .int({ error: COUNT_EXPECTED })
  .nonnegative({ error: COUNT_EXPECTED });

/**
 * `finding-severity-counts` (or DescribeImageScanFindings' findingSeverityCounts): missing severities are 0;
 * TOTAL (Inspector) is not a severity and is returned separately; an unknown severity name is an error naming it.
 */
export const severityCounts = z
  .record(z.string(), count, { error: SEVERITY_COUNTS_EXPECTED })
  .optional()
  .transform((raw, ctx) => {
    const counts = zeroCounts();
    let total: number | undefined;
    for (const [name, value] of Object.entries(raw ?? {})) {
      if (name === 'TOTAL') {
        total = value;
        continue;
      }
      const mapped = severityOf(name);
      if (!mapped) {
        ctx.addIssue({ code: 'custom', path: [name], input: name, message: SEVERITY_NAME_EXPECTED });
        return z.NEVER;
      }
      counts[mapped] += value;
    }
    return { counts, total };
  });
