import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ListImagesCommand,
  PutImageCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AuditFollowUp, AuditWriter, RecordResult } from '../../audit/writer';
import { quarantineKeeperTag } from '../../automation/execute-plan';
import type { AuditEntry, Finding } from '../../domain/types';

/**
 * Stand-ins for the clients the event functions use, for `harbormaster simulate`: reads are answered from
 * the files given (the repository's tags, the findings, a manifest), every write is recorded in order as an
 * effect and applied to the in-memory registry, so a later call (or a second event) sees it as ECR would.
 *
 * Commands are told apart with `instanceof`, not their constructor name: the CLI bundle is minified, which
 * renames classes.
 */

/** One write the functions would make, in the order they make it. */
export type SimulatedEffect =
  | {
      readonly type: 'tag';
      readonly repository: string;
      readonly digest: string;
      readonly tags: string[];
      /** The quarantine's keeper tag (ECR deletes an image whose last tag goes). */
      readonly keeper?: true;
    }
  | {
      readonly type: 'untag';
      readonly repository: string;
      readonly digest: string;
      readonly tags: string[];
      /** The image lost its last tag: ECR would delete it. */
      readonly imageDeleted?: true;
    }
  | {
      readonly type: 'alert';
      readonly topicArn: string;
      readonly subject: string;
      readonly message: string;
    }
  | { readonly type: 'replicate'; readonly queueUrl: string; readonly message: unknown }
  | {
      readonly type: 'audit';
      readonly repository: string;
      readonly digest: string;
      readonly action: string;
      readonly eventId: string;
      readonly time: string;
      readonly tags: readonly string[];
      readonly detail?: Record<string, unknown>;
      readonly followUps: readonly AuditFollowUp[];
    };

/** Where the recording clients write: effects and reads in order. */
export interface Recorder {
  readonly effects: SimulatedEffect[];
  /** AWS reads the functions made (operation and what), answered from the files. */
  readonly reads: string[];
}

/** The structural part of a client the automation calls. */
interface Sender {
  send(command: unknown): Promise<unknown>;
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The registry the simulation runs against: per repository, tag -> digest; manifests and findings per digest. */
export class SimulatedRegistry {
  private readonly repositories = new Map<string, Map<string, string>>();
  private readonly manifests = new Map<string, { text: string; mediaType: string }>();
  private readonly findings = new Map<string, readonly Finding[]>();
  private defaultFindings: readonly Finding[] = [];

  tag(repository: string, tag: string, digest: string): void {
    this.tagsOfRepository(repository).set(tag, digest);
  }

  hasTag(repository: string, tag: string): boolean {
    return this.tagsOfRepository(repository).has(tag);
  }

  setManifest(digest: string, text: string, mediaType: string): void {
    this.manifests.set(digest, { text, mediaType });
  }

  /** The findings DescribeImageScanFindings returns for `digest` (or for every image without `digest`). */
  setFindings(findings: readonly Finding[], digest?: string): void {
    if (digest) this.findings.set(digest, findings);
    else this.defaultFindings = findings;
  }

  hasFindings(digest: string): boolean {
    return this.findings.has(digest);
  }

  tagsOf(repository: string, digest: string): string[] {
    return [...this.tagsOfRepository(repository)]
      .filter(([, d]) => d === digest)
      .map(([t]) => t)
      .sort();
  }

  /** Every repository's tags, tag -> digest, sorted by tag. */
  snapshot(): Record<string, Record<string, string>> {
    return Object.fromEntries(
      [...this.repositories]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([repo, tags]) => [repo, Object.fromEntries([...tags].sort(([a], [b]) => a.localeCompare(b)))]),
    );
  }

  /** The ECR client of the functions, answering from this registry and recording writes. */
  ecr(recorder: Recorder): ECRClient {
    const client: Sender = { send: async (command) => this.answer(command, recorder) };
    return client as unknown as ECRClient;
  }

  private tagsOfRepository(repository: string): Map<string, string> {
    let tags = this.repositories.get(repository);
    if (!tags) {
      tags = new Map();
      this.repositories.set(repository, tags);
    }
    return tags;
  }

  private answer(command: unknown, recorder: Recorder): unknown {
    if (command instanceof ListImagesCommand) {
      const repository = command.input.repositoryName ?? '';
      recorder.reads.push(`ListImages ${repository}`);
      return {
        imageIds: [...this.tagsOfRepository(repository)].map(([imageTag, imageDigest]) => ({
          imageTag,
          imageDigest,
        })),
      };
    }
    if (command instanceof DescribeImagesCommand) {
      const repository = command.input.repositoryName ?? '';
      const digest = command.input.imageIds?.[0]?.imageDigest ?? '';
      recorder.reads.push(`DescribeImages ${repository}@${digest}`);
      return { imageDetails: [{ imageDigest: digest, imageTags: this.tagsOf(repository, digest) }] };
    }
    if (command instanceof BatchGetImageCommand) {
      const repository = command.input.repositoryName ?? '';
      const digest = command.input.imageIds?.[0]?.imageDigest ?? '';
      recorder.reads.push(`BatchGetImage ${repository}@${digest}`);
      const manifest = this.manifests.get(digest) ?? {
        text: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST }),
        mediaType: OCI_MANIFEST,
      };
      return {
        images: [
          {
            imageId: { imageDigest: digest },
            imageManifest: manifest.text,
            imageManifestMediaType: manifest.mediaType,
          },
        ],
        failures: [],
      };
    }
    if (command instanceof DescribeImageScanFindingsCommand) {
      return this.describeFindings(command, recorder);
    }
    if (command instanceof PutImageCommand) {
      return this.putImage(command, recorder);
    }
    if (command instanceof BatchDeleteImageCommand) {
      return this.batchDelete(command, recorder);
    }
    throw new Error(`simulate: the functions' ECR client sent an unexpected ${commandName(command)}`);
  }

  private describeFindings(command: DescribeImageScanFindingsCommand, recorder: Recorder): unknown {
    const repository = command.input.repositoryName ?? '';
    const digest = command.input.imageId?.imageDigest ?? '';
    recorder.reads.push(`DescribeImageScanFindings ${repository}@${digest}`);
    const all = this.findings.get(digest) ?? this.defaultFindings;
    const start = command.input.nextToken ? Number(command.input.nextToken) : 0;
    const end = start + (command.input.maxResults ?? 100);
    // As enhanced findings, so package, fixed version and URL come back as Inspector returns them.
    const enhancedFindings = all.slice(start, end).map((f) => ({
      severity: f.severity,
      status: 'ACTIVE',
      packageVulnerabilityDetails: {
        vulnerabilityId: f.id,
        ...(f.url ? { sourceUrl: f.url } : {}),
        vulnerablePackages:
          f.packageName || f.installedVersion || f.fixedVersion
            ? [
                {
                  ...(f.packageName ? { name: f.packageName } : {}),
                  ...(f.installedVersion ? { version: f.installedVersion } : {}),
                  ...(f.fixedVersion ? { fixedInVersion: f.fixedVersion } : {}),
                },
              ]
            : [],
      },
    }));
    return {
      imageScanFindings: { enhancedFindings },
      ...(end < all.length ? { nextToken: String(end) } : {}),
    };
  }

  private putImage(command: PutImageCommand, recorder: Recorder): unknown {
    const repository = command.input.repositoryName ?? '';
    const digest = command.input.imageDigest ?? '';
    const tag = command.input.imageTag ?? '';
    const tags = this.tagsOfRepository(repository);
    // ECR: the tag already names this image; nothing is written.
    if (tags.get(tag) === digest) {
      throw awsError('ImageAlreadyExistsException', `tag ${tag} already points at ${digest}`);
    }
    tags.set(tag, digest);
    const keeper = tag === quarantineKeeperTag(digest);
    // Consecutive tag writes of one image show as one effect.
    const last = recorder.effects[recorder.effects.length - 1];
    if (
      last?.type === 'tag' &&
      last.repository === repository &&
      last.digest === digest &&
      (last.keeper === true) === keeper
    ) {
      last.tags.push(tag);
    } else {
      recorder.effects.push({ type: 'tag', repository, digest, tags: [tag], ...(keeper ? { keeper } : {}) });
    }
    return { image: { imageId: { imageDigest: digest, imageTag: tag } } };
  }

  private batchDelete(command: BatchDeleteImageCommand, recorder: Recorder): unknown {
    const repository = command.input.repositoryName ?? '';
    const tags = this.tagsOfRepository(repository);
    const removed: { digest: string; tag: string }[] = [];
    const failures: unknown[] = [];
    for (const id of command.input.imageIds ?? []) {
      const tag = id.imageTag ?? '';
      const digest = id.imageDigest ?? '';
      if (tags.get(tag) === digest) {
        tags.delete(tag);
        removed.push({ digest, tag });
      } else {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
      }
    }
    const digests = [...new Set(removed.map((r) => r.digest))];
    for (const digest of digests) {
      const gone = this.tagsOf(repository, digest).length === 0;
      recorder.effects.push({
        type: 'untag',
        repository,
        digest,
        tags: removed.filter((r) => r.digest === digest).map((r) => r.tag),
        ...(gone ? { imageDeleted: true as const } : {}),
      });
    }
    return { imageIds: removed.map((r) => ({ imageDigest: r.digest, imageTag: r.tag })), failures };
  }
}

function commandName(command: unknown): string {
  return (command as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? 'command';
}

/** The findings topic's client: every Publish is an alert effect. */
export function recordingSns(recorder: Recorder): SNSClient {
  let published = 0;
  const client: Sender = {
    send: async (command) => {
      if (!(command instanceof PublishCommand)) {
        throw new Error(`simulate: the functions' SNS client sent an unexpected ${commandName(command)}`);
      }
      recorder.effects.push({
        type: 'alert',
        topicArn: command.input.TopicArn ?? '',
        subject: command.input.Subject ?? '',
        message: command.input.Message ?? '',
      });
      published += 1;
      return { MessageId: `simulated-${published}` };
    },
  };
  return client as unknown as SNSClient;
}

/** The replication queue's client: every SendMessage is a replicate effect. */
export function recordingSqs(recorder: Recorder): SQSClient {
  let sent = 0;
  const client: Sender = {
    send: async (command) => {
      if (!(command instanceof SendMessageCommand)) {
        throw new Error(`simulate: the functions' SQS client sent an unexpected ${commandName(command)}`);
      }
      const body = command.input.MessageBody ?? '';
      let message: unknown = body;
      try {
        message = JSON.parse(body);
      } catch {
        // Shown as sent.
      }
      recorder.effects.push({ type: 'replicate', queueUrl: command.input.QueueUrl ?? '', message });
      sent += 1;
      return { MessageId: `simulated-${sent}` };
    },
  };
  return client as unknown as SQSClient;
}

/**
 * The audit table: a row is keyed like the real one (image, time, action, event id), so a redelivery is a
 * duplicate exactly when the conditional put would fail.
 */
export class RecordingAudit implements Pick<AuditWriter, 'record'> {
  private readonly keys = new Set<string>();

  constructor(private readonly recorder: () => Recorder) {}

  async record(entry: AuditEntry, followUps: readonly AuditFollowUp[] = []): Promise<RecordResult> {
    const key = `${entry.repository}@${entry.digest}|${entry.time}#${entry.action}#${entry.eventId}`;
    if (this.keys.has(key)) return { duplicate: true };
    this.keys.add(key);
    this.recorder().effects.push({
      type: 'audit',
      repository: entry.repository,
      digest: entry.digest,
      action: entry.action,
      eventId: entry.eventId,
      time: entry.time,
      tags: [...(entry.tags ?? [])],
      ...(entry.detail ? { detail: entry.detail } : {}),
      followUps: [...followUps],
    });
    return { duplicate: false };
  }
}
