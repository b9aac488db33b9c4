import { DescribeImagesCommand, type ECRClient, type ImageDetail } from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import type { GatedReplicationRule, HarbormasterConfig, RepositoryConfig } from '../../config/schema';
import { copyImage, type CopyOptions, type CopyResult } from '../../oci/copy';
import { DurationError, parseDuration } from '../../oci/duration';
import { ecrCredentialProvider } from '../../oci/credentials';
import {
  decideBackfill,
  tagsToReplicate,
  type BackfillDecision,
  type ExistingImage,
} from '../../replication/backfill-plan';
import {
  BackfillStateError,
  DEFAULT_BACKFILL_STATE_FILE,
  backfillKey,
  openBackfillState,
  type BackfillState,
} from '../../replication/backfill-state';
import { destinationLabel, type SourceRegistry } from '../../replication/destination-ref';
import { imageVerdict, ImageVerdictError, type ImageVerdict } from '../../replication/image-verdict';
import { secretCredentialsReader } from '../../replication/registry-credentials';
import { copyToDestination, type DestinationOutcome } from '../../replication/replicate';
import { repositoriesOfRule } from '../../replication/rule-targets';
import { currentVerdict } from '../../state/current-verdict';
import { ImageStateError, ImageStateStore } from '../../state/image-state-store';
import {
  addAwsOptions,
  awsError,
  awsOptionsFrom,
  resolveCliDeps,
  stateTableName,
  type AwsOptions,
  type CliDeps,
} from '../aws-options';
import { CliError, EXIT } from '../errors';
import { parsePositiveInt } from '../format/duration';
import { formatTable, shortDigest } from '../format/table';

interface BackfillFlags {
  config?: string;
  rule?: string;
  dryRun?: boolean;
  json?: boolean;
  concurrency: string;
  timeout?: string;
  /** The state file path, or false with --no-state. */
  state: string | false;
  stateTable?: string;
  region?: string;
  profile?: string;
}

/** What backfill needs beyond the common CLI dependencies; tests replace the copy engine and the terminal. */
export interface BackfillDeps {
  /** The OCI copy engine. */
  copy(options: CopyOptions): Promise<CopyResult>;
  /** Secrets Manager client for external registry credentials. */
  secrets(options: AwsOptions): SecretsManagerClient;
  /** True when stderr is a terminal (a progress bar instead of one line per image). */
  readonly stderrIsTTY: boolean;
  /** Calls `onInterrupt` on Ctrl-C; returns the function that stops listening. */
  listenForInterrupt(onInterrupt: () => void): () => void;
}

function defaultBackfillDeps(): BackfillDeps {
  const clients = new Map<string, SecretsManagerClient>();
  return {
    copy: copyImage,
    secrets: (options) => {
      const key = `${options.region ?? ''}|${options.profile ?? ''}`;
      let client = clients.get(key);
      if (!client) {
        client = new SecretsManagerClient({
          ...(options.region ? { region: options.region } : {}),
          ...(options.profile ? { profile: options.profile } : {}),
        });
        clients.set(key, client);
      }
      return client;
    },
    stderrIsTTY: process.stderr.isTTY === true,
    listenForInterrupt: (onInterrupt) => {
      process.once('SIGINT', onInterrupt);
      return () => process.removeListener('SIGINT', onInterrupt);
    },
  };
}

let backfillOverrides: Partial<BackfillDeps> = {};

/** For tests driving `run()`: replaces some backfill dependencies; call with no argument to restore the defaults. */
export function configureBackfillDeps(partial: Partial<BackfillDeps> = {}): void {
  backfillOverrides = partial;
}

/** What happened (or would happen) at one destination of one image. */
export interface BackfillCopy {
  readonly destination: string;
  readonly result: 'copied' | 'failed' | 'already-done' | 'would-copy' | 'not-attempted';
  readonly bytesCopied?: number;
  readonly blobsCopied?: number;
  readonly blobsSkipped?: number;
  readonly seconds?: number;
  readonly error?: string;
}

/** One image of one rule: copied (to each destination) or skipped, and why. */
export interface BackfillItem {
  readonly rule: string;
  readonly repository: string;
  readonly digest: string;
  /** Every tag the image carries. */
  readonly imageTags: readonly string[];
  readonly action: 'copy' | 'skip' | 'error';
  /** The verdict's reason for a copy; why it is skipped; or what failed while deciding. */
  readonly reason: string;
  /** The tags written at each destination (those matching the rule). */
  readonly tags: readonly string[];
  readonly copies: BackfillCopy[];
}

export interface BackfillReport {
  readonly dryRun: boolean;
  readonly source: SourceRegistry;
  readonly rules: readonly string[];
  readonly stateFile?: string;
  readonly items: readonly BackfillItem[];
  readonly summary: {
    readonly images: number;
    readonly toCopy: number;
    readonly skipped: number;
    readonly errors: number;
    readonly copied: number;
    readonly alreadyDone: number;
    readonly failed: number;
    readonly notAttempted: number;
    readonly bytesCopied: number;
  };
}

/** Lists every image of a repository (DescribeImages, all pages). */
export async function listImages(ecr: ECRClient, repository: string): Promise<ExistingImage[]> {
  const images: ExistingImage[] = [];
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await ecr.send(
        new DescribeImagesCommand({
          repositoryName: repository,
          // Untagged images never match a tag pattern; archived images are not listed unless asked for.
          filter: { tagStatus: 'TAGGED' },
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    } catch (error) {
      throw awsError(`DescribeImages for ${repository}`, error);
    }
    for (const detail of page.imageDetails ?? []) {
      const image = toExistingImage(repository, detail);
      if (image) images.push(image);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return images;
}

function toExistingImage(repository: string, detail: ImageDetail): ExistingImage | undefined {
  if (!detail.imageDigest) return undefined;
  return {
    repository,
    digest: detail.imageDigest,
    tags: detail.imageTags ?? [],
    ...(detail.imageManifestMediaType ? { mediaType: detail.imageManifestMediaType } : {}),
  };
}

async function sourceRegistry(
  config: HarbormasterConfig,
  aws: AwsOptions,
  deps: CliDeps,
): Promise<SourceRegistry> {
  const region = aws.region ?? config.env.region;
  if (config.env.account) return { account: config.env.account, region };
  try {
    const identity = await deps.sts({ ...aws, region }).send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error('GetCallerIdentity returned no account');
    return { account: identity.Account, region };
  } catch (error) {
    throw awsError('finding the source account (config env.account is not set)', error);
  }
}

function selectRules(
  config: HarbormasterConfig,
  name: string | undefined,
  path: string,
): GatedReplicationRule[] {
  if (name === undefined) return config.gatedReplication;
  const rule = config.gatedReplication.find((r) => r.name === name);
  if (!rule) {
    const names = config.gatedReplication.map((r) => r.name);
    throw new CliError(
      `--rule: expected one of the gatedReplication rules in ${path} (${names.join(', ') || 'none'}), got "${name}"`,
    );
  }
  return [rule];
}

/**
 * Where an image's verdict comes from: the image-state table when one is given (the verdict the automation
 * recorded, as the replicator reads it), else the image's latest ECR scan judged here.
 */
type VerdictReader = (image: ExistingImage, repository: RepositoryConfig) => Promise<ImageVerdict>;

function verdictReader(
  ecr: ECRClient,
  state: { store: ImageStateStore; tableName: string } | undefined,
  now: Date,
): VerdictReader {
  if (!state) return (image, repository) => imageVerdict(ecr, image, repository.scan, now);
  return async (image) => {
    try {
      return await currentVerdict(state.store, image);
    } catch (error) {
      if (!(error instanceof ImageStateError)) throw error;
      const cause = error.cause as Error | undefined;
      const detail = cause ? `: ${cause.name}: ${cause.message}` : '';
      throw new ImageVerdictError(`${error.message} (table ${state.tableName})${detail}`, { cause: error });
    }
  };
}

/** Decides every image of every selected rule (listing each repository once and reading each verdict once). */
async function plan(
  rules: readonly GatedReplicationRule[],
  config: HarbormasterConfig,
  ecr: ECRClient,
  readVerdict: VerdictReader,
  deps: CliDeps,
): Promise<BackfillItem[]> {
  const listed = new Map<string, ExistingImage[]>();
  const verdicts = new Map<string, Promise<ImageVerdict>>();
  const items: BackfillItem[] = [];
  for (const rule of rules) {
    for (const repository of repositoriesOfRule(config, rule.repositories)) {
      let images = listed.get(repository.name);
      if (!images) {
        images = await listImages(ecr, repository.name);
        listed.set(repository.name, images);
        deps.err(`listed ${repository.name}: ${images.length} image(s)\n`);
      }
      for (const image of images) items.push(await planImage(rule, repository, image, readVerdict, verdicts));
    }
  }
  return items;
}

async function planImage(
  rule: GatedReplicationRule,
  repository: RepositoryConfig,
  image: ExistingImage,
  readVerdict: VerdictReader,
  verdicts: Map<string, Promise<ImageVerdict>>,
): Promise<BackfillItem> {
  const base = {
    rule: rule.name,
    repository: image.repository,
    digest: image.digest,
    imageTags: image.tags,
    copies: [],
  };
  let verdict: ImageVerdict | undefined;
  if (tagsToReplicate(rule, image.tags).length > 0) {
    const key = `${image.repository}@${image.digest}`;
    let pending = verdicts.get(key);
    if (!pending) {
      pending = readVerdict(image, repository);
      verdicts.set(key, pending);
    }
    try {
      verdict = await pending;
    } catch (error) {
      if (!(error instanceof ImageVerdictError)) throw error;
      return { ...base, action: 'error', reason: error.message, tags: [] };
    }
  }
  const decision: BackfillDecision = decideBackfill(rule, image, verdict);
  return decision.action === 'copy'
    ? { ...base, action: 'copy', reason: decision.reason, tags: decision.tags }
    : { ...base, action: 'skip', reason: decision.reason, tags: [] };
}

interface Progress {
  start(total: number): void;
  /** One image finished (all its destinations). */
  image(item: BackfillItem, done: number, total: number): void;
  /** Bytes moved so far on the current copy. */
  bytes(image: string, destination: string, done: number, total: number): void;
  stop(): void;
}

function progressReporter(deps: CliDeps, tty: boolean): Progress {
  if (!tty) {
    return {
      start: (total) => deps.err(`copying ${total} image(s)\n`),
      image: (item, done, total) =>
        deps.err(`[${done}/${total}] ${describeImage(item)}: ${item.copies.map(describeCopy).join('; ')}\n`),
      bytes: () => undefined,
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({
    format: '{bar} {value}/{total} images | {image} -> {destination} {mb}',
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  });
  return {
    start: (total) => bar.start(total, 0, { image: '', destination: '', mb: '' }),
    image: (_item, done) => bar.update(done),
    bytes: (image, destination, done, total) =>
      bar.update({
        image,
        destination,
        mb: total > 0 ? `${(done / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB` : '',
      }),
    stop: () => bar.stop(),
  };
}

function describeImage(item: Pick<BackfillItem, 'repository' | 'digest' | 'tags' | 'imageTags'>): string {
  const tags = item.tags.length > 0 ? item.tags : item.imageTags;
  return `${item.repository}@${shortDigest(item.digest)}${tags.length > 0 ? ` [${tags.join(',')}]` : ''}`;
}

function describeCopy(copy: BackfillCopy): string {
  switch (copy.result) {
    case 'copied':
      return copy.bytesCopied === 0 && copy.blobsCopied === 0
        ? `${copy.destination} already there`
        : `${copy.destination} copied ${((copy.bytesCopied ?? 0) / 1e6).toFixed(1)} MB in ${copy.seconds?.toFixed(1)} s (${copy.blobsSkipped ?? 0} blob(s) present)`;
    case 'already-done':
      return `${copy.destination} done in an earlier run`;
    case 'would-copy':
      return `${copy.destination} would be copied`;
    case 'not-attempted':
      return `${copy.destination} not attempted (interrupted)`;
    case 'failed':
      return `${copy.destination} FAILED: ${copy.error}`;
  }
}

/** The short detail after a destination in the report table. */
function copyDetail(copy: BackfillCopy): string {
  if (copy.result === 'failed') return `: ${copy.error}`;
  if (copy.result !== 'copied') return '';
  return ` (${((copy.bytesCopied ?? 0) / 1e6).toFixed(1)} MB, ${copy.blobsSkipped ?? 0} blob(s) already present)`;
}

function fromOutcome(outcome: DestinationOutcome): BackfillCopy {
  return outcome.result === 'succeeded'
    ? {
        destination: outcome.destination,
        result: 'copied',
        bytesCopied: outcome.bytesCopied,
        blobsCopied: outcome.blobsCopied,
        blobsSkipped: outcome.blobsSkipped,
        seconds: Math.round(outcome.seconds * 1000) / 1000,
      }
    : {
        destination: outcome.destination,
        result: 'failed',
        error: outcome.error,
        seconds: Math.round(outcome.seconds * 1000) / 1000,
      };
}

function summarize(items: readonly BackfillItem[]): BackfillReport['summary'] {
  const copies = items.flatMap((i) => i.copies);
  const count = (result: BackfillCopy['result']) => copies.filter((c) => c.result === result).length;
  return {
    images: items.length,
    toCopy: items.filter((i) => i.action === 'copy').length,
    skipped: items.filter((i) => i.action === 'skip').length,
    errors: items.filter((i) => i.action === 'error').length,
    copied: count('copied'),
    alreadyDone: count('already-done'),
    failed: count('failed'),
    notAttempted: count('not-attempted'),
    bytesCopied: copies.reduce((sum, c) => sum + (c.bytesCopied ?? 0), 0),
  };
}

export function formatBackfillReport(report: BackfillReport): string {
  const rows = report.items.flatMap((item): string[][] => {
    const image = `${item.repository}@${shortDigest(item.digest)}`;
    if (item.action !== 'copy') {
      return [
        [
          item.rule,
          image,
          item.imageTags.join(',') || '-',
          item.action === 'skip' ? 'skip' : 'ERROR',
          item.reason,
        ],
      ];
    }
    return item.copies.map((copy) => [
      item.rule,
      image,
      item.tags.join(','),
      copy.result,
      `${copy.destination}${copyDetail(copy)}`,
    ]);
  });
  const s = report.summary;
  const lines = [
    formatTable(['RULE', 'IMAGE', 'TAGS', 'ACTION', 'DESTINATION / REASON'], rows).trimEnd(),
    '',
    report.dryRun
      ? `dry run: ${s.toCopy} image(s) to copy (${s.alreadyDone} copies already done), ${s.skipped} skipped, ${s.errors} error(s)`
      : `${s.copied} copied (${(s.bytesCopied / 1e6).toFixed(1)} MB moved), ${s.alreadyDone} already done, ${s.failed} failed, ${s.notAttempted} not attempted; ${s.skipped} image(s) skipped, ${s.errors} error(s)`,
  ];
  if (report.stateFile) lines.push(`state: ${report.stateFile}`);
  return `${lines.join('\n')}\n`;
}

/** Runs a backfill: plan, then (unless dry run) copy, recording finished copies in the state. */
export async function backfill(
  input: {
    config: HarbormasterConfig;
    configPath: string;
    rule?: string;
    dryRun: boolean;
    concurrency: number;
    /** Each image copy fails after this long (the backfill goes on with the next). */
    timeoutMs?: number;
    state: BackfillState;
    /** The image-state table to read verdicts from; undefined: judge each image's ECR scan. */
    stateTable?: string;
    aws: AwsOptions;
  },
  deps: CliDeps,
  backfillDeps: BackfillDeps,
): Promise<BackfillReport> {
  const rules = selectRules(input.config, input.rule, input.configPath);
  const source = await sourceRegistry(input.config, input.aws, deps);
  const ecr = deps.ecr({ ...input.aws, region: source.region });
  const state = input.stateTable
    ? {
        store: new ImageStateStore(deps.dynamodb({ ...input.aws, region: source.region }), input.stateTable),
        tableName: input.stateTable,
      }
    : undefined;
  const items = await plan(rules, input.config, ecr, verdictReader(ecr, state, deps.now()), deps);
  const rulesByName = new Map(rules.map((r) => [r.name, r]));
  const toCopy = items.filter((i) => i.action === 'copy');

  if (input.dryRun) {
    for (const item of toCopy) {
      for (const destination of rulesByName.get(item.rule)?.destinations ?? []) {
        const label = destinationLabel(destination, source, item.repository);
        const done = input.state.has(backfillKey(item.rule, item.digest, label, item.tags));
        item.copies.push({ destination: label, result: done ? 'already-done' : 'would-copy' });
      }
    }
    return report(true);
  }

  const controller = new AbortController();
  const stopListening = backfillDeps.listenForInterrupt(() => {
    deps.err(
      '\ninterrupted: stopping after the copy in flight is aborted; run the same command again to resume\n',
    );
    controller.abort();
  });
  const progress = progressReporter(deps, backfillDeps.stderrIsTTY);
  const copyDeps = {
    copy: backfillDeps.copy,
    ecrCredentials: ecrCredentialProvider(
      (region) => deps.ecr({ ...input.aws, region }),
      () => deps.now().getTime(),
    ),
    readSecret: secretCredentialsReader(backfillDeps.secrets({ ...input.aws, region: source.region })),
    clock: () => deps.now().getTime(),
  };
  progress.start(toCopy.length);
  try {
    let done = 0;
    for (const item of toCopy) {
      for (const destination of rulesByName.get(item.rule)?.destinations ?? []) {
        const label = destinationLabel(destination, source, item.repository);
        const key = backfillKey(item.rule, item.digest, label, item.tags);
        if (input.state.has(key)) {
          item.copies.push({ destination: label, result: 'already-done' });
          continue;
        }
        if (controller.signal.aborted) {
          item.copies.push({ destination: label, result: 'not-attempted' });
          continue;
        }
        const { outcome } = await copyToDestination(
          { source, repository: item.repository, digest: item.digest, tags: item.tags },
          destination,
          {
            ...copyDeps,
            copyOptions: {
              concurrency: input.concurrency,
              ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
              signal: controller.signal,
              onProgress: (p) => progress.bytes(describeImage(item), label, p.bytesDone, p.bytesTotal),
            },
          },
        );
        item.copies.push(
          controller.signal.aborted && outcome.result === 'failed'
            ? { destination: label, result: 'not-attempted' }
            : fromOutcome(outcome),
        );
        if (outcome.result === 'succeeded') input.state.markDone(key, deps.now());
      }
      done += 1;
      progress.image(item, done, toCopy.length);
    }
  } finally {
    progress.stop();
    stopListening();
  }
  return report(false);

  function report(dryRun: boolean): BackfillReport {
    return {
      dryRun,
      source,
      rules: rules.map((r) => r.name),
      ...(input.state.path ? { stateFile: input.state.path } : {}),
      items,
      summary: summarize(items),
    };
  }
}

export function registerBackfill(program: Command, explicitDeps?: CliDeps): void {
  const command = program
    .command('backfill')
    .description(
      "Copy the existing images that match the config's gated replication rules (verdict checks included), skipping what is already there",
    )
    .option('--config <file>', `Harbormaster config (default: ${DEFAULT_CONFIG_PATH})`)
    .option('--rule <name>', 'only this gatedReplication rule (default: every rule)')
    .option('--dry-run', 'list what would be copied and why other images are skipped; copy nothing')
    .option('--concurrency <n>', 'blobs transferred at the same time per copy', '4')
    .option('--timeout <duration>', 'fail one image copy after this long (e.g. 10m) and go on with the next')
    .option(
      '--state <file>',
      'where finished copies are recorded so a rerun skips them',
      DEFAULT_BACKFILL_STATE_FILE,
    )
    .option(
      '--no-state',
      'keep no state file (a rerun still skips blobs and manifests already at the destination)',
    )
    .option(
      '--state-table <name>',
      "read each verdict from the image-state table, as the automation recorded it (default: $HARBORMASTER_STATE_TABLE; without one, each image's ECR scan is judged here)",
    )
    .option('--json', 'print the report as JSON on stdout');
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ harbormaster backfill --dry-run
  $ harbormaster backfill --rule payments-releases-dr --profile platform-admin
  $ harbormaster backfill --json > backfill-report.json

An image is copied when one of its tags matches the rule's tagPatterns and its verdict passes within the
rule's maxSeverity: with --state-table (or HARBORMASTER_STATE_TABLE) the verdict the automation recorded (a
quarantined image is skipped); without, its latest ECR scan under its repository's scan policy (the same
verdict code as the scan function; a multi-arch index by its platform images' scans). Sources are
read by digest; only matching tags are written. Safe to interrupt (Ctrl-C) and run again: finished copies are
recorded in the state file, and anything else already at the destination moves no bytes.
The source registry is the config's env (--region overrides env.region; the account is env.account, or the caller's).
Exit codes: 0 everything copied (or nothing to do), 1 some copies failed or were interrupted, 2 error.`,
  );
  command.action(async (flags: BackfillFlags) => {
    const deps = resolveCliDeps(explicitDeps);
    const backfillDeps = { ...defaultBackfillDeps(), ...backfillOverrides };
    const configPath = flags.config ?? DEFAULT_CONFIG_PATH;
    const config = loadConfig(configPath);
    if (config.gatedReplication.length === 0) {
      deps.err(`harbormaster: no gatedReplication rules in ${configPath}: nothing to backfill\n`);
      return;
    }
    const concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
    let timeoutMs: number | undefined;
    try {
      timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
    } catch (error) {
      if (error instanceof DurationError) throw new CliError(error.message, EXIT.ERROR, { cause: error });
      throw error;
    }
    let state: BackfillState;
    try {
      state = openBackfillState(flags.state === false ? undefined : flags.state);
    } catch (error) {
      if (error instanceof BackfillStateError)
        throw new CliError(error.message, EXIT.ERROR, { cause: error });
      throw error;
    }
    let result: BackfillReport;
    try {
      result = await backfill(
        {
          config,
          configPath,
          rule: flags.rule,
          dryRun: flags.dryRun === true,
          concurrency,
          timeoutMs,
          state,
          stateTable: stateTableName(flags.stateTable, deps),
          aws: awsOptionsFrom(flags),
        },
        deps,
        backfillDeps,
      );
    } catch (error) {
      if (error instanceof BackfillStateError)
        throw new CliError(error.message, EXIT.ERROR, { cause: error });
      throw error;
    }
    deps.out(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatBackfillReport(result));
    const s = result.summary;
    if (s.failed > 0 || s.notAttempted > 0 || s.errors > 0) {
      throw new CliError(
        `${s.failed} cop${s.failed === 1 ? 'y' : 'ies'} failed, ${s.notAttempted} not attempted, ${s.errors} image(s) could not be judged; run again to retry (finished copies are skipped)`,
        EXIT.FAIL,
      );
    }
  });
}
