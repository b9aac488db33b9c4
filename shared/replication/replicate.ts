import type { ReplicationDestination } from '../config/schema';
import type { AuditEntry } from '../domain/types';
import type { CopyOptions, CopyResult } from '../oci/copy';
import type { CredentialProvider } from '../oci/credentials';
import { formatReference } from '../oci/reference';
import {
  destinationLabel,
  destinationReference,
  sourceReference,
  type SourceRegistry,
} from './destination-ref';
import {
  buildReplicationFailureAlert,
  type ReplicationFailureAlert,
} from '../notify/replication-failure-alert';
import type { ReplicationJob } from './resolve-request';
import { destinationCredentials, type SecretCredentialsReader } from './registry-credentials';

/** What happened at one destination. */
export interface DestinationOutcome {
  /** `<registry>/<repository>` at the destination (see destinationLabel). */
  readonly destination: string;
  readonly result: 'succeeded' | 'failed';
  /** Blob bytes streamed to the destination (0 when the image was already there). */
  readonly bytesCopied: number;
  readonly blobsCopied: number;
  /** Blobs found already present (or mounted) at the destination. */
  readonly blobsSkipped: number;
  /** Wall time spent on this destination, in seconds. */
  readonly seconds: number;
  /** The copy engine's message when it failed (never contains credentials). */
  readonly error?: string;
  /** The copy engine's error code (auth, digest-mismatch, not-found, network, registry, unsupported, aborted). */
  readonly errorCode?: string;
}

export interface ReplicationReport {
  readonly outcomes: readonly DestinationOutcome[];
}

/** The part of AuditStore (shared/audit/timeline-store.ts) replication uses. */
export interface ReplicationAuditLog {
  /** Conditional write; `duplicate` when a row with the same key already exists. */
  record(entry: AuditEntry): Promise<{ readonly duplicate: boolean }>;
  /** Removes a row written by record, so a retry is not taken for a duplicate. */
  withdraw(entry: Pick<AuditEntry, 'repository' | 'digest' | 'action' | 'time' | 'eventId'>): Promise<void>;
}

/** Everything replicate() talks to, injected so the orchestration is tested with fakes and reused by the CLI. */
export interface ReplicationDeps {
  /** The OCI copy engine (shared/oci copyImage). */
  readonly copy: (options: CopyOptions) => Promise<CopyResult>;
  /** ECR credentials for the source and ECR destinations (ecrCredentialProvider). */
  readonly ecrCredentials: CredentialProvider;
  /** Reads {"username","password"} secrets for external registries, once per secret. */
  readonly readSecret: SecretCredentialsReader;
  /** The audit trail (shared/audit AuditStore); `replicated` rows are idempotent by event id, rule and destination. */
  readonly audit: ReplicationAuditLog;
  /** Publishes a failure alert (SNS, findings topic, verdict=replication-failed). */
  readonly alert: (alert: ReplicationFailureAlert) => Promise<void>;
  /** The owning team of a repository, for the alert's routing attribute. */
  readonly teamOf?: (repository: string) => string | undefined;
  /** Called once per destination as soon as it is done (metrics, progress). */
  readonly onOutcome?: (outcome: DestinationOutcome) => void;
  /**
   * Records that a destination holds the image and its tags, after its audit row is written (so a crash in
   * between leaves a redelivery that copies again, cheaply, and finds the row already there).
   */
  readonly recordDone?: (destination: ReplicationDestination) => Promise<void>;
  /** Extra copy options (concurrency, chunk size, plain HTTP for tests). */
  readonly copyOptions?: Partial<
    Omit<CopyOptions, 'source' | 'destination' | 'sourceCredentials' | 'destinationCredentials'>
  >;
  /** @default () => Date.now() */
  readonly clock?: () => number;
}

export interface ReplicateOptions {
  /**
   * The audit rows' time. Must be the same on every delivery of one message (e.g. the SQS SentTimestamp) so a
   * redelivery writes the same keys and is recognised as a duplicate.
   */
  readonly time: string;
}

/** At least one destination failed; the alert was raised. Thrown so the queue retries and finally dead-letters. */
export class ReplicationFailedError extends Error {
  readonly report: ReplicationReport;
  constructor(message: string, report: ReplicationReport, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicationFailedError';
    this.report = report;
  }
}

/**
 * Copies one scanned image to every destination of its rule, one destination after another (the engine already
 * copies blobs concurrently; one image at a time keeps memory bounded). The source is read by digest, so what
 * was scanned is what is copied; each tag of the message is written at the destination after the image (the
 * first pass moves the blobs, later tags find them present).
 *
 * Each destination's result becomes a `replicated` audit row. A redelivery redoes every destination, which is
 * cheap for those already done (every blob and the manifest are found present) and writes no duplicate rows.
 * When any destination failed, one alert is published (only the first time that failure is recorded) and
 * ReplicationFailedError is thrown.
 */
export async function replicate(
  message: ReplicationJob,
  deps: ReplicationDeps,
  options: ReplicateOptions,
): Promise<ReplicationReport> {
  const outcomes: DestinationOutcome[] = [];
  const failureRows: AuditEntry[] = [];
  let anyNewFailure = false;
  let firstCause: unknown;

  for (const destination of message.destinations) {
    const { outcome, cause } = await copyToDestination(message, destination, deps);
    if (cause !== undefined) firstCause ??= cause;
    outcomes.push(outcome);
    deps.onOutcome?.(outcome);

    const row = auditRow(message, outcome, options.time);
    const { duplicate } = await deps.audit.record(row);
    if (outcome.result === 'failed') {
      failureRows.push(row);
      if (!duplicate) anyNewFailure = true;
    } else {
      await deps.recordDone?.(destination);
    }
  }

  const report: ReplicationReport = { outcomes };
  const failed = outcomes.filter((o) => o.result === 'failed');
  if (failed.length === 0) return report;

  if (anyNewFailure) {
    try {
      await deps.alert(buildReplicationFailureAlert(message, outcomes, deps.teamOf?.(message.repository)));
    } catch (error) {
      // Withdraw the failure rows so the retry is not taken for a duplicate and raises the alert again.
      await Promise.all(failureRows.map((row) => deps.audit.withdraw(row)));
      throw new ReplicationFailedError(
        `replication of ${message.repository}@${message.digest} failed and its alert could not be published: ${(error as Error).message}`,
        report,
        { cause: error },
      );
    }
  }
  throw new ReplicationFailedError(
    `replication of ${message.repository}@${message.digest} (rule ${message.rule}) failed for ${failed.length} of ${outcomes.length} destination(s): ${failed
      .map((o) => `${o.destination}: ${o.error}`)
      .join('; ')}`,
    report,
    { cause: firstCause },
  );
}

/** The image a copy reads: a managed repository's digest, and the tags to write at the destination. */
export interface ReplicationImage {
  readonly source: SourceRegistry;
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
}

/** The part of ReplicationDeps one copy needs (the CLI's backfill uses it without audit or alerts). */
export type CopyDeps = Pick<
  ReplicationDeps,
  'copy' | 'ecrCredentials' | 'readSecret' | 'copyOptions' | 'clock'
>;

/**
 * Copies one image to one destination: by digest from the source, then each tag (the first pass moves the blobs,
 * later ones find them present; with no tag, by digest only). Never throws: a failure is an outcome, with its cause.
 */
export async function copyToDestination(
  image: ReplicationImage,
  destination: ReplicationDestination,
  deps: CopyDeps,
): Promise<{ outcome: DestinationOutcome; cause?: unknown }> {
  const clock = deps.clock ?? (() => Date.now());
  const label = destinationLabel(destination, image.source, image.repository);
  const source = sourceReference(image.source, image.repository, image.digest);
  const started = clock();
  try {
    const credentials = destinationCredentials(destination, deps.ecrCredentials, deps.readSecret);
    const targets = image.tags.length > 0 ? image.tags.map((tag) => ({ tag })) : [{ digest: image.digest }];
    let bytesCopied = 0;
    let blobsCopied = 0;
    let blobsSkipped: number | undefined;
    for (const target of targets) {
      const result = await deps.copy({
        ...deps.copyOptions,
        source,
        destination: destinationReference(destination, image.source, image.repository, target),
        sourceCredentials: deps.ecrCredentials,
        ...(credentials ? { destinationCredentials: credentials } : {}),
      });
      if (result.digest !== image.digest) {
        throw new Error(`destination holds ${result.digest} after the copy, expected ${image.digest}`);
      }
      bytesCopied += result.bytesCopied;
      blobsCopied += result.blobsCopied;
      // Later tag passes re-check the same blobs; the first pass says what was already there.
      blobsSkipped ??= result.blobsSkipped;
    }
    return {
      outcome: {
        destination: label,
        result: 'succeeded',
        bytesCopied,
        blobsCopied,
        blobsSkipped: blobsSkipped ?? 0,
        seconds: (clock() - started) / 1000,
      },
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      outcome: {
        destination: label,
        result: 'failed',
        bytesCopied: 0,
        blobsCopied: 0,
        blobsSkipped: 0,
        seconds: (clock() - started) / 1000,
        error: (error as Error).message ?? String(error),
        ...(typeof code === 'string' ? { errorCode: code } : {}),
      },
      cause: error,
    };
  }
}

/** The `replicated` audit row of one destination; its event id makes it unique per message, rule, destination and result. */
export function auditRow(message: ReplicationJob, outcome: DestinationOutcome, time: string): AuditEntry {
  return {
    repository: message.repository,
    digest: message.digest,
    action: 'replicated',
    time,
    eventId: `${message.eventId}#${message.rule}#${outcome.destination}${outcome.result === 'failed' ? '#failed' : ''}`,
    tags: message.tags,
    detail: {
      rule: message.rule,
      destination: outcome.destination,
      result: outcome.result,
      bytesCopied: outcome.bytesCopied,
      blobsCopied: outcome.blobsCopied,
      blobsSkipped: outcome.blobsSkipped,
      seconds: Math.round(outcome.seconds * 1000) / 1000,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
    },
  };
}

/** The text form of the source image, for logs. */
export function describeSource(message: ReplicationJob): string {
  return formatReference(sourceReference(message.source, message.repository, message.digest));
}
