import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AuditStore } from '../../audit/timeline-store';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import { imageTag } from '../../config/primitives';
import { auditSchema } from '../../config/schema';
import type { AuditFollowUp } from '../../audit/timeline-store';
import { addTags, type TagOutcome } from '../../registry/ecr-images';
import { verdictOf, type CurrentVerdict } from '../../state/current-verdict';
import type { ImageState } from '../../state/image-state';
import { ImageStateStore } from '../../state/image-state-store';
import {
  addAwsOptions,
  auditTableName,
  awsError,
  awsOptionsFrom,
  type CliDeps,
  requiredStateTableName,
  resolveCliDeps,
  resolveImageDigest,
} from '../aws-options';
import { CliError, EXIT } from '../errors';
import { formatImageRef, parseImageRef } from '../format/image-ref';
import { formatTable } from '../format/table';

interface PromoteOptions {
  to: string;
  force?: boolean;
  reason?: string;
  table?: string;
  stateTable?: string;
  config?: string;
  json?: boolean;
  region?: string;
  profile?: string;
}

export interface PromoteResult {
  readonly image: string;
  readonly digest: string;
  readonly outcomes: Readonly<Record<string, TagOutcome>>;
  /** The image's manifest media type (an index for a multi-arch image); '' when no tag was written. */
  readonly mediaType: string;
  /** The recorded verdict the decision was based on; undefined when the image has none. */
  readonly verdict?: { readonly result: 'pass' | 'fail'; readonly reason: string; readonly time: string };
  /** A multi-arch index: each platform image and its verdict. */
  readonly platforms?: readonly PromotedPlatform[];
  readonly forced: boolean;
  /** The caller's IAM identity (STS GetCallerIdentity ARN), recorded in the audit trail. */
  readonly by: string;
  /** The audit event id of this promotion. */
  readonly eventId: string;
}

export interface PromotedPlatform {
  readonly platform: string;
  readonly digest: string;
  /** 'not-scanned' for attestation manifests; 'pending' before the platform image's scan is judged. */
  readonly result: 'pass' | 'fail' | 'pending' | 'not-scanned';
}

/** --to a,b,c: each a valid image tag, duplicates removed. */
export function parseTargetTags(text: string): string[] {
  const tags = [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t.length > 0),
    ),
  ];
  if (tags.length === 0)
    throw new CliError('--to: expected one or more tags, e.g. --to staging or --to prod,stable');
  for (const tag of tags) {
    if (!imageTag.safeParse(tag).success) {
      throw new CliError(
        `--to: "${tag}" is not an image tag (1-128 characters from [A-Za-z0-9._-], not starting with "." or "-")`,
      );
    }
  }
  return tags;
}

/** The audit retention the automation writes with: the config's, or the schema default with a note. */
function retentionDays(configOption: string | undefined, deps: CliDeps): number {
  const path = configOption ?? DEFAULT_CONFIG_PATH;
  if (configOption !== undefined || existsSync(path)) return loadConfig(path).audit.retentionDays;
  const fallback = auditSchema.parse({}).retentionDays;
  deps.err(`harbormaster: no ${DEFAULT_CONFIG_PATH}; audit rows expire after the default ${fallback} days\n`);
  return fallback;
}

function describeVerdict(current: CurrentVerdict): string {
  return current.kind === 'verdict'
    ? `${current.verdict.reason || current.verdict.result} (${current.verdict.time})`
    : current.reason;
}

/** An index's platform images as its state lists them, in platform order. */
function platformsOf(state: ImageState): PromotedPlatform[] | undefined {
  const children = state.data.children;
  if (!children) return undefined;
  return Object.entries(children)
    .map(([digest, c]): PromotedPlatform => ({
      platform: c.platform,
      digest,
      result: !c.scannable ? 'not-scanned' : (c.verdict?.result ?? 'pending'),
    }))
    .sort((a, b) => a.platform.localeCompare(b.platform) || a.digest.localeCompare(b.digest));
}

/**
 * Why the image cannot be promoted even with --force: a platform image of an index (its index carries
 * the tags), or a quarantined image (`harbormaster release` is the audited way back).
 */
function neverPromotable(
  label: string,
  key: { repository: string; digest: string },
  state: ImageState,
): string | undefined {
  if (state.parents.length > 0) {
    return (
      `refusing to promote ${label}: it is a platform image of the multi-arch index ${state.parents.join(', ')}; ` +
      `promote the index (${key.repository}@${state.parents[0]}) instead`
    );
  }
  const quarantine = state.data.quarantine;
  if (quarantine && !quarantine.released) {
    return (
      `refusing to promote ${label}: it is quarantined (since ${quarantine.time}, ${quarantine.removedTags.length} tag(s) removed). ` +
      `Once it passes or is allowlisted, restore it with: harbormaster release ${key.repository}@${key.digest} --reason TEXT`
    );
  }
  return undefined;
}

export function registerPromote(program: Command, explicitDeps?: CliDeps): void {
  const command = program
    .command('promote')
    .description(
      'Add tags to an image that passed its scan: build once, tag many (PutImage with the same manifest, no data transfer)',
    )
    .argument('<image>', 'REPOSITORY:TAG or REPOSITORY@sha256:DIGEST')
    .requiredOption('--to <tags>', 'tag(s) to add, comma-separated, e.g. staging or prod,stable')
    .option('--force', 'promote even though the verdict fails or is missing (needs --reason)')
    .option('--reason <text>', 'why the promotion is forced; stored in the audit trail with who forced it')
    .option('--table <name>', 'audit table name (default: $HARBORMASTER_AUDIT_TABLE)')
    .option(
      '--state-table <name>',
      'image-state table holding the verdict (default: $HARBORMASTER_STATE_TABLE)',
    )
    .option(
      '--config <file>',
      `config whose audit.retentionDays the audit row uses (default: ${DEFAULT_CONFIG_PATH})`,
    )
    .option('--json', 'print the result as JSON');
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ harbormaster promote payments/api:v1.4.2 --to staging
  $ harbormaster promote payments/api:v1.4.2 --to prod,stable --region eu-west-1
  $ harbormaster promote payments/api:v1.4.3 --to prod --force --reason "INC-2231 hotfix; CVE-2024-0001 not reachable"

The verdict is the one the automation recorded in the image-state table (for a multi-arch index, decided
from its platform images); a failing or missing verdict refuses the promotion unless --force --reason is
given. A multi-arch index is promoted as one image: the tags go on the index. A platform image of an index
and a quarantined image are refused even with --force (restore a quarantined one with harbormaster release).
Who promoted (STS caller identity) and why are recorded in the audit trail.
Exit codes: 0 promoted, 1 refused (failing verdict, or an immutable tag already on another image), 2 error.`,
  );
  command.action(async (imageArg: string, options: PromoteOptions) => {
    const deps = resolveCliDeps(explicitDeps);
    const ref = parseImageRef(imageArg, 'tag-or-digest');
    const tags = parseTargetTags(options.to);
    const reason = options.reason?.trim();
    if (options.force && !reason)
      throw new CliError('--force needs --reason TEXT: the audit trail records why');
    if (!options.force && options.reason !== undefined)
      throw new CliError('--reason is only used with --force');
    const tableName = auditTableName(options.table, deps);
    const stateTable = requiredStateTableName(options.stateTable, deps);
    const retention = retentionDays(options.config, deps);
    const aws = awsOptionsFrom(options);
    const ecr = deps.ecr(aws);
    const label = formatImageRef(ref);

    const { digest } = await resolveImageDigest(ecr, ref);
    const store = new AuditStore(deps.dynamodb(aws), { tableName, retentionDays: retention, now: deps.now });
    const key = { repository: ref.repository, digest };
    let state: ImageState;
    try {
      state = await new ImageStateStore(deps.dynamodb(aws), stateTable).get(key);
    } catch (error) {
      throw awsError(`reading image-state table ${stateTable}`, (error as Error).cause ?? error);
    }
    const refusal = neverPromotable(label, key, state);
    if (refusal) throw new CliError(refusal, EXIT.FAIL);
    const current = verdictOf(state);
    const verdict = current.kind === 'verdict' ? current.verdict : undefined;
    const passing = verdict?.result === 'pass';
    if (!passing && !options.force) {
      throw new CliError(
        `refusing to promote ${label}: ${verdict ? 'its verdict fails' : 'it has no verdict yet'}: ` +
          `${describeVerdict(current)}. Fix the image, or pass --force --reason TEXT`,
        EXIT.FAIL,
      );
    }

    let by: string;
    try {
      const identity = await deps.sts(aws).send(new GetCallerIdentityCommand({}));
      by = identity.Arn ?? identity.UserId ?? 'unknown';
    } catch (error) {
      throw awsError('GetCallerIdentity', error);
    }

    let outcomes: Readonly<Record<string, TagOutcome>>;
    let mediaType: string;
    try {
      // An index's own manifest is PUT again: the tags name the whole multi-arch image.
      ({ outcomes, mediaType } = await addTags(ecr, { repository: ref.repository, digest, tags }));
    } catch (error) {
      throw awsError(`tagging ${label}`, (error as Error).cause ?? error);
    }
    const written = tags.filter((t) => outcomes[t] !== 'immutable');
    const refused = tags.filter((t) => outcomes[t] === 'immutable');

    const eventId = `cli-promote-${randomUUID()}`;
    const forced = !passing;
    const followUps: AuditFollowUp[] = forced
      ? [
          {
            action: 'forced-promotion',
            tags: written,
            detail: {
              by,
              reason,
              verdict: verdict?.result ?? 'none',
              verdictReason: verdict?.reason ?? describeVerdict(current),
            },
          },
        ]
      : [];
    if (written.length > 0) {
      try {
        await store.record(
          {
            repository: ref.repository,
            digest,
            action: 'promoted',
            time: deps.now().toISOString(),
            eventId,
            tags: written,
            detail: { by, source: 'cli', outcomes: Object.fromEntries(written.map((t) => [t, outcomes[t]])) },
          },
          followUps,
        );
      } catch (error) {
        throw awsError(
          `tags written but the audit row failed (table ${tableName})`,
          (error as Error).cause ?? error,
        );
      }
    }

    const platforms = platformsOf(state);
    const result: PromoteResult = {
      image: label,
      digest,
      outcomes,
      mediaType,
      ...(verdict ? { verdict: { result: verdict.result, reason: verdict.reason, time: verdict.time } } : {}),
      ...(platforms ? { platforms } : {}),
      forced,
      by,
      eventId,
    };
    if (options.json) {
      deps.out(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const lines = [
        `${label} (${digest})`,
        `verdict: ${describeVerdict(current)}${forced ? ` - FORCED by ${by}: ${reason}` : ''}`,
      ];
      if (platforms) {
        lines.push(`multi-arch index: ${platforms.map((p) => `${p.platform} ${p.result}`).join(', ')}`);
      }
      const rows = tags.map((tag) => {
        const outcome = outcomes[tag];
        return [
          `${ref.repository}:${tag}`,
          outcome === 'added'
            ? 'added'
            : outcome === 'present'
              ? 'already here'
              : 'REFUSED: immutable tag on another image',
        ];
      });
      deps.out(`${lines.join('\n')}\n\n${formatTable(['TAG', 'RESULT'], rows)}`);
    }
    if (refused.length > 0) {
      throw new CliError(
        `${refused.join(', ')} not promoted: immutable tag(s) already on another image`,
        EXIT.FAIL,
      );
    }
  });
}
