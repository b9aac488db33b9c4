import type { Command } from 'commander';
import { AuditStore, type TimelinePage, type TimelineQuery } from '../../audit/timeline-store';
import type { AuditEntry } from '../../domain/types';
import {
  addAwsOptions,
  auditTableName,
  awsError,
  awsOptionsFrom,
  type CliDeps,
  resolveCliDeps,
  resolveImageDigest,
} from '../aws-options';
import { CliError } from '../errors';
import { formatAuditTable } from '../format/audit-entries';
import { parseDuration, parsePositiveInt } from '../format/duration';
import { formatImageRef, parseImageRef } from '../format/image-ref';

interface AuditOptions {
  since?: string;
  json?: boolean;
  limit: string;
  table?: string;
  region?: string;
  profile?: string;
}

/** Rows the store returns per query; a row's follow-up entries come with it. */
const PAGE_ROWS = 100;
/** The store only uses retention when writing; this command only reads. */
const READ_ONLY_RETENTION_DAYS = 1;

/** --since as a duration back from now (7d, 12h) or an ISO date/time (2026-11-01). */
export function sinceTime(text: string, now: Date): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms))
      throw new CliError(
        `--since: expected a duration such as 7d or a date such as 2026-11-01, got "${text}"`,
      );
    return new Date(ms).toISOString();
  }
  return new Date(now.getTime() - parseDuration(text, '--since')).toISOString();
}

/** Reads pages until `limit` entries (or the end of the timeline), newest first. */
async function collect(
  read: (query: TimelineQuery) => Promise<TimelinePage>,
  since: string | undefined,
  limit: number,
) {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await read({ since, limit: Math.min(PAGE_ROWS, limit), cursor });
    entries.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor && entries.length < limit);
  return { entries: entries.slice(0, limit), truncated: entries.length > limit || cursor !== undefined };
}

export function registerAudit(program: Command, explicitDeps?: CliDeps): void {
  const command = program
    .command('audit')
    .description("Show an image's audit timeline (or a repository's), newest first")
    .argument('<image>', 'REPOSITORY, REPOSITORY:TAG or REPOSITORY@sha256:DIGEST')
    .option('--since <when>', 'only entries newer than a duration (30m, 12h, 7d) or a date (2026-11-01)')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'print JSON for scripts')
    .option('--table <name>', 'audit table name (default: $HARBORMASTER_AUDIT_TABLE)');
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ harbormaster audit payments/api:v1.4.2
  $ harbormaster audit payments/api@sha256:4f1c...e9 --json
  $ harbormaster audit payments/api --since 7d --limit 200
  $ HARBORMASTER_AUDIT_TABLE=HarbormasterAutomation-AuditTable... harbormaster audit payments/api:latest --region eu-west-1

A tag is resolved to its digest first (the timeline belongs to the image, not the tag).
Exit codes: 0 timeline printed (possibly empty), 2 error.`,
  );
  command.action(async (imageArg: string, options: AuditOptions) => {
    const deps = resolveCliDeps(explicitDeps);
    const ref = parseImageRef(imageArg);
    const limit = parsePositiveInt(options.limit, '--limit');
    const since = options.since ? sinceTime(options.since, deps.now()) : undefined;
    const tableName = auditTableName(options.table, deps);
    const aws = awsOptionsFrom(options);

    const digest = ref.tag || ref.digest ? (await resolveImageDigest(deps.ecr(aws), ref)).digest : undefined;
    const store = new AuditStore(deps.dynamodb(aws), { tableName, retentionDays: READ_ONLY_RETENTION_DAYS });
    let result: { entries: AuditEntry[]; truncated: boolean };
    try {
      result = digest
        ? await collect((q) => store.imageTimeline(ref.repository, digest, q), since, limit)
        : await collect((q) => store.repositoryTimeline(ref.repository, q), since, limit);
    } catch (error) {
      throw awsError(`reading audit table ${tableName}`, (error as Error).cause ?? error);
    }

    if (options.json) {
      deps.out(
        `${JSON.stringify(
          {
            repository: ref.repository,
            ...(ref.tag ? { tag: ref.tag } : {}),
            ...(digest ? { digest } : {}),
            ...(since ? { since } : {}),
            entries: result.entries,
            truncated: result.truncated,
          },
          null,
          2,
        )}\n`,
      );
      return;
    }
    const subject = digest ? `${formatImageRef(ref)}${ref.tag ? ` (${digest})` : ''}` : ref.repository;
    if (result.entries.length === 0) {
      deps.out(`${subject}: no audit entries${since ? ` since ${since}` : ''}\n`);
      return;
    }
    deps.out(`${subject}\n\n${formatAuditTable(result.entries, !digest)}`);
    if (result.truncated)
      deps.out(`\n(showing the newest ${limit}; raise --limit or narrow --since for more)\n`);
  });
}
