import type { SQSRecord } from 'aws-lambda';
import type { AutomationLog, EventOutcome } from '../../automation/execute-plan';
import { onImageEvent } from '../../automation/on-image-event';
import { onScanEvent } from '../../automation/on-scan-event';
import { sqsEventRecordHandler } from '../../automation/sqs-record-handler';
import type {
  FindingEvent,
  ImageEvent,
  NormalizedEvent,
  ReplicationEvent,
  ScanEvent,
} from '../../domain/types';
import { EVENT_TYPE } from '../../events/dispatch';
import { ecrImageAction, IMAGE_EVENTS } from '../../events/image-events';
import { SCAN_EVENTS } from '../../events/scan-events';
import { INDEX_MEDIA_TYPES } from '../../registry/ecr-images';
import type { RuntimeConfig } from '../../runtime/runtime-config';
import type { ImageKey, ImageStateData } from '../../state/image-state';
import { MemoryStateStore } from '../../state/memory-state-store';
import {
  RecordingAudit,
  recordingSns,
  recordingSqs,
  type Recorder,
  type SimulatedEffect,
  type SimulatedRegistry,
} from './recording-clients';

/**
 * Runs events through the event functions' own code (the SQS record handler, onImageEvent, onScanEvent)
 * with recording clients, an in-memory image state and a recording audit trail, so what it reports is
 * what the functions would do, duplicate suppression included.
 */

/** The functions an event reaches (its EventBridge rules): an index push goes to both. */
export type FunctionName = 'image-events' | 'scan-events';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra?: Record<string, unknown>;
}

/** One event handled by one function. */
export interface FunctionRun {
  readonly function: FunctionName;
  readonly outcome: 'done' | 'duplicate' | 'ignored' | 'failed';
  /** What the function reports it did (done). */
  readonly actions?: readonly string[];
  /** Why it was ignored, or how it failed (the record would be retried, then dead-lettered). */
  readonly reason?: string;
  /** AWS reads, answered from the files given. */
  readonly reads: readonly string[];
  /** Writes, in order. */
  readonly effects: readonly SimulatedEffect[];
  readonly metrics: Readonly<Record<string, number>>;
  readonly log: readonly LogLine[];
}

export interface SimulationInput {
  readonly config: RuntimeConfig;
  readonly now: Date;
  readonly registry: SimulatedRegistry;
  /** Image states the run starts from. */
  readonly state: readonly ImageStateData[];
}

/** The scan function's lease (the stack sets it above the function timeout); never reached in a run. */
const LEASE_MS = 15 * 60_000;

export function functionsOf(event: NormalizedEvent): FunctionName[] {
  if (event.kind === 'scan.completed' || event.kind === 'finding.updated') return ['scan-events'];
  if (event.kind === 'image.pushed' && event.mediaType && INDEX_MEDIA_TYPES.includes(event.mediaType)) {
    return ['image-events', 'scan-events'];
  }
  return ['image-events'];
}

/** A simulation: deliver events one after another; the registry, state and audit trail carry over. */
export class Simulation {
  private readonly store: MemoryStateStore;
  private readonly touched = new Map<string, ImageKey>();
  private current: Recorder = { effects: [], reads: [] };
  private readonly audit = new RecordingAudit(() => this.current);
  private messages = 0;

  constructor(private readonly input: SimulationInput) {
    this.store = new MemoryStateStore(input.state);
    for (const data of input.state) this.touch(data);
  }

  /** Delivers one event (its SQS body) to one function, as its queue would. */
  async deliver(body: string, fn: FunctionName): Promise<FunctionRun> {
    const { config, now, registry } = this.input;
    const recorder: Recorder = { effects: [], reads: [] };
    this.current = recorder;
    const log: LogLine[] = [];
    const line =
      (level: LogLine['level']) =>
      (message: string, extra?: Record<string, unknown>): void => {
        log.push({ level, message, ...(extra ? { extra } : {}) });
      };
    const automationLog: AutomationLog = { info: line('info'), warn: line('warn'), error: line('error') };
    const metrics: Record<string, number> = {};
    const metric = (name: string, value = 1): void => {
      metrics[name] = (metrics[name] ?? 0) + value;
    };
    const base = {
      config,
      audit: this.audit,
      log: automationLog,
      metric,
      now: () => now,
      ecr: registry.ecr(recorder),
    };
    const account = config.env.account;
    const topicArn = `arn:aws:sns:${config.env.region}:${account ?? '111122223333'}:harbormaster-findings`;
    // As the image function wires it: the findings topic also carries native replication failures.
    const imageDeps = { ...base, sns: recordingSns(recorder), topicArn };
    const handle =
      fn === 'image-events'
        ? sqsEventRecordHandler({
            events: IMAGE_EVENTS,
            accepts: (e: NormalizedEvent): e is ImageEvent | ReplicationEvent =>
              e.kind !== 'scan.completed' && e.kind !== 'finding.updated',
            process: (e) => onImageEvent(e, imageDeps),
            log: automationLog,
            metric,
            ...(account ? { account } : {}),
          })
        : sqsEventRecordHandler({
            events: { ...SCAN_EVENTS, [EVENT_TYPE.ecrImageAction]: ecrImageAction },
            accepts: (e: NormalizedEvent): e is ScanEvent | FindingEvent | ImageEvent =>
              e.kind === 'scan.completed' || e.kind === 'finding.updated' || e.kind === 'image.pushed',
            process: (e) =>
              onScanEvent(e, {
                ...base,
                state: this.trackedStore(),
                leaseMs: LEASE_MS,
                sns: recordingSns(recorder),
                topicArn,
                sqs: recordingSqs(recorder),
                ...(config.gatedReplication.length > 0
                  ? {
                      replicationQueueUrl: `https://sqs.${config.env.region}.amazonaws.com/${account ?? '111122223333'}/harbormaster-replication`,
                    }
                  : {}),
              }),
            log: automationLog,
            metric,
            ...(account ? { account } : {}),
          });
    this.messages += 1;
    const record = { messageId: `simulated-${this.messages}`, body } as SQSRecord;
    let outcome: EventOutcome | undefined;
    let failure: string | undefined;
    try {
      outcome = await handle(record);
    } catch (error) {
      const err = error as Error;
      failure = `${err.name}: ${err.message}${err.cause instanceof Error ? ` (${err.cause.name}: ${err.cause.message})` : ''}`;
    }
    return {
      function: fn,
      outcome: outcome ? outcome.status : 'failed',
      ...(outcome?.status === 'done' ? { actions: [...outcome.actions] } : {}),
      ...(outcome?.status === 'ignored' ? { reason: outcome.reason } : {}),
      ...(failure ? { reason: failure } : {}),
      reads: recorder.reads,
      effects: recorder.effects,
      metrics,
      log,
    };
  }

  /** The state of every image the run read or wrote, sorted by image. */
  async states(): Promise<ImageStateData[]> {
    const keys = [...this.touched.entries()].sort(([a], [b]) => a.localeCompare(b));
    const out: ImageStateData[] = [];
    for (const [, key] of keys) out.push((await this.store.get(key)).data);
    return out;
  }

  private touch(key: ImageKey): void {
    this.touched.set(`${key.repository}@${key.digest}`, {
      repository: key.repository,
      digest: key.digest,
    });
  }

  private trackedStore(): Pick<
    MemoryStateStore,
    'claim' | 'commit' | 'release' | 'addParent' | 'checkpoint'
  > {
    return {
      claim: (key, eventId, options) => {
        this.touch(key);
        return this.store.claim(key, eventId, options);
      },
      commit: (lease, claimed, data) => this.store.commit(lease, claimed, data),
      checkpoint: (lease, data) => this.store.checkpoint(lease, data),
      release: (lease) => this.store.release(lease),
      addParent: (child, parent) => {
        this.touch(child);
        return this.store.addParent(child, parent);
      },
    };
  }
}
