import type { ECRClient } from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { AuditStore } from '../../audit/timeline-store';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import { auditSchema, type HarbormasterConfig } from '../../config/schema';
import { findRepository } from '../../policy/managed';
import { planRelease, releasedVerdict, releaseEventId } from '../../policy/release';
import { addTags, removeImageTags } from '../../registry/ecr-images';
import { tagDigests } from '../../registry/tag-digests';
import { imageVerdict } from '../../replication/image-verdict';
import type { ImageKey, ImageState, ImageStateData, QuarantineRecord } from '../../state/image-state';
import { ImageBusyError, ImageStateStore, type Lease } from '../../state/image-state-store';
import {
  addAwsOptions,
  auditTableName,
  awsError,
  awsOptionsFrom,
  type AwsOptions,
  type CliDeps,
  requiredStateTableName,
  resolveCliDeps,
} from '../aws-options';
import { CliError, EXIT } from '../errors';
import { formatImageRef, parseImageRef } from '../format/image-ref';

interface ReleaseOptions {
  reason?: string;
  stateTable?: string;
  table?: string;
  config?: string;
  json?: boolean;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** How long a release holds the image's lease: far longer than it runs; a stopped run's re-run waits this long at most. */
export const RELEASE_LEASE_MS = 5 * 60_000;
/** Tags an audit row lists at most (the state keeps them all), as the scan path's rows. */
const AUDIT_TAGS_MAX = 100;
/** Tags the text output names before "and N more" (--json has them all). */
const SHOWN_TAGS = 20;

/** Why the image may be deployed again. */
export interface ReleaseBasis {
  /** recorded: the verdict the scan path holds passes; current-policy: its findings pass the config's policy now. */
  readonly source: 'recorded' | 'current-policy';
  readonly reason: string;
  /** Allowlist entries that excused a finding (current-policy). */
  readonly allowlisted?: readonly string[];
  /** The config whose policy passed it (current-policy). */
  readonly config?: string;
}

export interface ReleaseResult {
  readonly image: string;
  readonly digest: string;
  readonly status: 'released' | 'already-released';
  /** Undefined for an image already released (nothing was judged). */
  readonly basis?: ReleaseBasis;
  readonly time: string;
  readonly by: string;
  readonly reason: string;
  readonly restoredTags: readonly string[];
  /** Tags not put back, with the image each names now when known. */
  readonly skippedTags: readonly { readonly tag: string; readonly digest?: string }[];
  readonly keeperTag: string;
  /** False when no tag could be put back: the keeper then stays, or ECR would delete the image. */
  readonly keeperRemoved: boolean;
  /** The id the release holds the lease with and its audit row carries. */
  readonly eventId: string;
}

/** The config when --config is given or the default file exists; undefined otherwise. */
interface LoadedConfig {
  readonly path: string;
  readonly config: HarbormasterConfig;
}

function configAt(option: string | undefined): LoadedConfig | undefined {
  const path = option ?? DEFAULT_CONFIG_PATH;
  if (option === undefined && !existsSync(path)) return undefined;
  return { path, config: loadConfig(path) };
}

async function stateOf(store: ImageStateStore, key: ImageKey, table: string): Promise<ImageState> {
  try {
    return await store.get(key);
  } catch (error) {
    throw awsError(`reading image-state table ${table}`, (error as Error).cause ?? error);
  }
}

/**
 * The image passes now: its recorded verdict passes (a later scan passed it), or its findings, read from
 * ECR now, pass the current config's policy (an allowlist entry added since) — THE verdict, as gate
 * and the scan function decide it. Refuses with exit 1 otherwise.
 */
async function judge(
  ecr: ECRClient,
  data: ImageStateData,
  label: string,
  loaded: LoadedConfig | undefined,
  now: Date,
): Promise<ReleaseBasis> {
  const recorded = data.verdict;
  if (recorded?.result === 'pass') return { source: 'recorded', reason: recorded.reason };
  const failing = recorded ? `its recorded verdict fails (${recorded.reason})` : 'it has no recorded verdict';
  if (!loaded) {
    throw new CliError(
      `cannot release ${label}: ${failing}, and there is no ${DEFAULT_CONFIG_PATH} here to judge its findings with the current policy: pass --config FILE`,
    );
  }
  const repository = findRepository(loaded.config, data.repository);
  if (!repository) throw new CliError(`${data.repository} is not managed in ${loaded.path}`);
  // A variable, not a literal: an index is judged from its platform images' scans where imageVerdict knows how.
  const image = { repository: data.repository, digest: data.digest, mediaType: data.mediaType };
  let current;
  try {
    current = await imageVerdict(ecr, image, repository.scan, now);
  } catch (error) {
    throw awsError(`reading the scan of ${label}`, (error as Error).cause ?? error);
  }
  if (current.kind === 'unavailable') {
    throw new CliError(
      `refusing to release ${label}: ${failing}, and its scan cannot be judged now: ${current.reason}`,
      EXIT.FAIL,
    );
  }
  if (current.verdict.result !== 'pass') {
    throw new CliError(
      `refusing to release ${label}: it still fails under the policy of ${loaded.path} (${current.verdict.reason}); fix the image, or allowlist the findings with an expiry and run again`,
      EXIT.FAIL,
    );
  }
  const allowlisted = (current.verdict as { allowlisted?: readonly string[] }).allowlisted ?? [];
  return {
    source: 'current-policy',
    reason: current.verdict.reason,
    ...(allowlisted.length > 0 ? { allowlisted: [...allowlisted] } : {}),
    config: loaded.path,
  };
}

async function callerArn(deps: CliDeps, aws: AwsOptions): Promise<string> {
  try {
    const identity = await deps.sts(aws).send(new GetCallerIdentityCommand({}));
    return identity.Arn ?? identity.UserId ?? 'unknown';
  } catch (error) {
    throw awsError('GetCallerIdentity', error);
  }
}

function auditStore(
  deps: CliDeps,
  aws: AwsOptions,
  tableName: string,
  loaded: LoadedConfig | undefined,
): AuditStore {
  let retentionDays: number;
  if (loaded) retentionDays = loaded.config.audit.retentionDays;
  else {
    retentionDays = auditSchema.parse({}).retentionDays;
    deps.err(
      `harbormaster: no ${DEFAULT_CONFIG_PATH}; audit rows expire after the default ${retentionDays} days\n`,
    );
  }
  return new AuditStore(deps.dynamodb(aws), { tableName, retentionDays, now: deps.now });
}

/** The release's audit row, keyed by the release's recorded time and id: writing it twice writes it once. */
async function recordReleased(
  audit: AuditStore,
  key: ImageKey,
  quarantine: QuarantineRecord & { readonly released: NonNullable<QuarantineRecord['released']> },
  extra: Record<string, unknown>,
): Promise<void> {
  const { released } = quarantine;
  await audit.record({
    repository: key.repository,
    digest: key.digest,
    action: 'released',
    time: released.time,
    eventId: releaseEventId(key.digest, quarantine),
    tags: released.restoredTags.slice(0, AUDIT_TAGS_MAX),
    detail: {
      by: released.by,
      reason: released.reason,
      restoredCount: released.restoredTags.length,
      skippedTags: released.skippedTags.slice(0, AUDIT_TAGS_MAX),
      keeperTag: quarantine.keeperTag,
      quarantineEventId: quarantine.eventId,
      ...extra,
    },
  });
}

/** Whether the release's audit row exists (a run may have stopped between the state write and the row). */
async function hasReleasedRow(
  audit: AuditStore,
  key: ImageKey,
  quarantine: QuarantineRecord,
): Promise<boolean> {
  const eventId = releaseEventId(key.digest, quarantine);
  let cursor: string | undefined;
  do {
    const page = await audit.imageTimeline(key.repository, key.digest, {
      since: quarantine.released?.time,
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    if (page.entries.some((e) => e.action === 'released' && e.eventId === eventId)) return true;
    cursor = page.nextCursor;
  } while (cursor);
  return false;
}

/** One line naming what failed and the AWS error under it (a registry or state error carries the SDK error). */
function failure(action: string, error: unknown): CliError {
  const cause = (error as Error).cause;
  return cause instanceof Error && !(error instanceof CliError)
    ? awsError(`${action}: ${(error as Error).message}`, cause)
    : awsError(action, error);
}

function tagList(tags: readonly string[]): string {
  if (tags.length === 0) return 'none';
  const shown = tags.slice(0, SHOWN_TAGS).join(', ');
  return tags.length > SHOWN_TAGS ? `${shown} and ${tags.length - SHOWN_TAGS} more` : shown;
}

function formatResult(result: ReleaseResult): string {
  if (result.status === 'already-released') {
    return `${result.image} is already released (${result.time} by ${result.by}: ${result.reason}); nothing to do\n`;
  }
  const basis = result.basis;
  const lines = [
    `${result.image} released by ${result.by}: ${result.reason}`,
    basis?.source === 'current-policy'
      ? `verdict: passes the current policy of ${basis.config}: ${basis.reason}`
      : `verdict: ${basis?.reason ?? ''} (recorded)`,
    `restored ${result.restoredTags.length} tag(s): ${tagList(result.restoredTags)}`,
  ];
  if (result.skippedTags.length > 0) {
    lines.push(
      `skipped ${result.skippedTags.length} tag(s) now on another image: ${result.skippedTags
        .map((s) => (s.digest ? `${s.tag} (${s.digest})` : s.tag))
        .join(', ')}`,
    );
  }
  lines.push(
    result.keeperRemoved
      ? `keeper tag ${result.keeperTag} removed`
      : `keeper tag ${result.keeperTag} kept: no other tag could be put back, and ECR deletes an image without tags`,
  );
  return `${lines.join('\n')}\n`;
}

export function registerRelease(program: Command, explicitDeps?: CliDeps): void {
  const command = program
    .command('release')
    .description(
      'Give a quarantined image its tags back once it passes (a later scan, or the current allowlist), recording who and why',
    )
    .argument('<image>', 'REPOSITORY@sha256:DIGEST of the quarantined image')
    .requiredOption('--reason <text>', 'why the image may be deployed again; stored in the audit trail')
    .option('--state-table <name>', 'image-state table name (default: $HARBORMASTER_STATE_TABLE)')
    .option('--table <name>', 'audit table name (default: $HARBORMASTER_AUDIT_TABLE)')
    .option(
      '--config <file>',
      `config whose scan policy and allowlist judge the image's findings now, and whose audit.retentionDays the row uses (default: ${DEFAULT_CONFIG_PATH})`,
    )
    .option('--json', 'print the result as JSON');
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ harbormaster release payments/api@sha256:4f1c...e9 --reason "rebuilt base image; rescan passed"
  $ harbormaster release payments/api@sha256:4f1c...e9 --reason "CVE-2024-6387 allowlisted until 2027-01-31 (SEC-112)" --json

The image is released when its recorded verdict passes, or when its findings read from ECR now pass the
config's policy. Every tag quarantine removed is put back (the same manifest, PutImage) except a tag that
now names another image, then the keeper tag goes. Who (STS caller identity) and why are recorded in the
image-state table and the audit trail. Running it again is safe: a finished release says so and changes nothing.
Exit codes: 0 released (or already released), 1 refused (not quarantined, or still failing), 2 error.`,
  );
  command.action(async (imageArg: string, options: ReleaseOptions) => {
    const deps = resolveCliDeps(explicitDeps);
    const ref = parseImageRef(imageArg);
    if (!ref.digest) {
      throw new CliError(
        `"${imageArg}": expected REPOSITORY@sha256:DIGEST (a quarantined image keeps only its keeper tag)`,
      );
    }
    const reason = options.reason?.trim();
    if (!reason)
      throw new CliError('--reason: expected a non-empty text saying why the image may be deployed again');
    const stateTable = requiredStateTableName(options.stateTable, deps);
    const tableName = auditTableName(options.table, deps);
    const aws = awsOptionsFrom(options);
    const ecr = deps.ecr(aws);
    const key: ImageKey = { repository: ref.repository, digest: ref.digest };
    const label = formatImageRef(key);
    const store = new ImageStateStore(deps.dynamodb(aws), stateTable);
    const loaded = configAt(options.config);

    const state = await stateOf(store, key, stateTable);
    const quarantine = state.data.quarantine;
    if (!quarantine) {
      throw new CliError(
        `refusing to release ${label}: it is not quarantined (table ${stateTable} records no quarantine of it)`,
        EXIT.FAIL,
      );
    }
    const eventId = releaseEventId(key.digest, quarantine);
    if (quarantine.released) {
      const audit = auditStore(deps, aws, tableName, loaded);
      try {
        // A run that stopped after recording the release but before its audit row: write the row now.
        if (!(await hasReleasedRow(audit, key, quarantine)))
          await recordReleased(audit, key, { ...quarantine, released: quarantine.released }, {});
      } catch (error) {
        throw awsError(`audit table ${tableName}`, (error as Error).cause ?? error);
      }
      const done = quarantine.released;
      const result: ReleaseResult = {
        image: label,
        digest: key.digest,
        status: 'already-released',
        time: done.time,
        by: done.by,
        reason: done.reason,
        restoredTags: done.restoredTags,
        skippedTags: done.skippedTags.map((tag) => ({ tag })),
        keeperTag: quarantine.keeperTag,
        keeperRemoved: done.restoredTags.length > 0,
        eventId,
      };
      deps.out(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result));
      return;
    }

    const basis = await judge(ecr, state.data, label, loaded, deps.now());
    const by = await callerArn(deps, aws);
    const audit = auditStore(deps, aws, tableName, loaded);

    // The image's lease: a scan event of this image waits (is retried) until the release is recorded.
    let lease: Lease;
    let claimed: ImageState;
    try {
      const claim = await store.claim(key, eventId, { now: deps.now().getTime(), leaseMs: RELEASE_LEASE_MS });
      if (claim.status === 'duplicate') {
        throw new CliError(`${label} was released by another run just now; run again to see it`);
      }
      ({ lease, state: claimed } = claim);
    } catch (error) {
      if (error instanceof ImageBusyError) {
        throw new CliError(
          `cannot release ${label} now: ${error.message.replace(/; this event will be retried.*$/, '')}; run again once it is done (a stopped release run holds it for ${RELEASE_LEASE_MS / 60_000} minutes)`,
        );
      }
      throw awsError(`claiming ${label} in table ${stateTable}`, (error as Error).cause ?? error);
    }

    let result: ReleaseResult;
    try {
      // The claim bumps the version by one: anything more means the image changed after it was judged.
      if (claimed.version !== state.version + 1) {
        throw new CliError(`${label} changed while it was being judged; run the command again`);
      }
      const named = await tagDigests(ecr, { repository: key.repository, tags: quarantine.removedTags });
      const plan = planRelease(quarantine, key.digest, named);
      const { outcomes } = await addTags(ecr, { ...key, tags: plan.restore });
      // An immutable tag that another image took after the lookup stays there.
      const refused = plan.restore.filter((t) => outcomes[t] === 'immutable');
      const restored = [...plan.present, ...plan.restore.filter((t) => outcomes[t] !== 'immutable')].sort();
      const skipped = [...plan.skipped, ...refused.map((tag) => ({ tag }))];
      // Only once the restored tags exist: ECR deletes an image whose last tag is removed.
      const keeperRemoved = restored.length > 0;
      if (keeperRemoved) await removeImageTags(ecr, { ...key, tags: [quarantine.keeperTag] });

      const released = {
        time: deps.now().toISOString(),
        by,
        reason,
        restoredTags: restored,
        skippedTags: skipped.map((s) => s.tag),
      };
      const recorded = claimed.data.verdict;
      // A pass earned under the current policy becomes the recorded verdict, so every reader agrees.
      const verdict =
        basis.source === 'current-policy' && recorded
          ? releasedVerdict(recorded, basis, { eventId: lease.eventId, time: released.time, by })
          : recorded;
      await store.commit(lease, claimed, {
        ...claimed.data,
        ...(verdict ? { verdict } : {}),
        quarantine: { ...quarantine, released },
      });
      result = {
        image: label,
        digest: key.digest,
        status: 'released',
        basis,
        ...released,
        skippedTags: skipped,
        keeperTag: quarantine.keeperTag,
        keeperRemoved,
        eventId,
      };
    } catch (error) {
      // Nothing half-recorded: the effects so far are idempotent, and a re-run completes them.
      await store.release(lease).catch(() => undefined);
      throw failure(`releasing ${label}`, error);
    }

    try {
      await recordReleased(
        audit,
        key,
        {
          ...quarantine,
          released: {
            time: result.time,
            by,
            reason,
            restoredTags: result.restoredTags,
            skippedTags: result.skippedTags.map((s) => s.tag),
          },
        },
        {
          basis: basis.source,
          verdict: basis.reason,
          ...(basis.allowlisted ? { allowlisted: [...basis.allowlisted] } : {}),
          keeperRemoved: result.keeperRemoved,
        },
      );
    } catch (error) {
      throw awsError(
        `${label} is released, but its audit row failed (table ${tableName}); run the command again to write it`,
        (error as Error).cause ?? error,
      );
    }
    deps.out(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result));
  });
}
