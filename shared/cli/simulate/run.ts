import type { SQSRecord } from 'aws-lambda';
import type { AutomationLog, EventOutcome } from '../../automation/execute-plan';
import * as imageFunction from '../../automation/image-function';
import { onImageEvent } from '../../automation/on-image-event';
import { onScanEvent, type ScanDeps } from '../../automation/on-scan-event';
import * as scanFunction from '../../automation/scan-function';
import { sqsEventRecordHandler } from '../../automation/sqs-record-handler';
import type { NormalizedEvent } from '../../domain/types';
import { INDEX_MEDIA_TYPES } from '../../registry/ecr-images';
import { ENV } from '../../runtime/env-names';
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
import { SimulatedSignatures } from './signatures';

/**
 * Runs events through the event functions' own code (the SQS record handler, their routing and deps from
 * shared/automation/{image,scan}-function.ts, onImageEvent, onScanEvent) with recording clients, an in-memory image state and a recording audit trail, so what it reports is
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
  /** The image-state calls (claim, commit, release, ...) in order: how the function holds the image's lease. */
  readonly leases: readonly string[];
  readonly metrics: Readonly<Record<string, number>>;
  readonly log: readonly LogLine[];
}

export interface SimulationInput {
  readonly config: RuntimeConfig;
  readonly now: Date;
  readonly registry: SimulatedRegistry;
  /** Image states the run starts from. */
  readonly state: readonly ImageStateData[];
  /**
   * The signature artifacts the registry serves (`--signatures`); without them a repository that requires a
   * signature is verified against none.
   */
  readonly signatures?: SimulatedSignatures;
}

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
      ...(config.env.account ? { account: config.env.account } : {}),
    };
    const account = config.env.account ?? '111122223333';
    // What the stack sets in the functions' environment (the lease: above the function timeout).
    const settings: Record<string, string> = {
      [ENV.FINDINGS_TOPIC]: `arn:aws:sns:${config.env.region}:${account}:harbormaster-findings`,
      [ENV.STATE_TABLE]: 'harbormaster-image-state',
      [ENV.LEASE_SECONDS]: '900',
      [ENV.REPLICATION_QUEUE]: `https://sqs.${config.env.region}.amazonaws.com/${account}/harbormaster-replication`,
    };
    const setting = (name: string): string => {
      const value = settings[name];
      if (value === undefined) throw new Error(`simulate: no value for the function setting ${name}`);
      return value;
    };
    const leases: string[] = [];
    const clients = {
      ecr: registry.ecr(recorder),
      sns: recordingSns(recorder),
      sqs: recordingSqs(recorder),
      state: () => this.trackedStore(leases),
    };
    const common = { log: automationLog, metric, ...(base.account ? { account: base.account } : {}) };
    const handle =
      fn === 'image-events'
        ? sqsEventRecordHandler({
            events: imageFunction.events,
            accepts: imageFunction.accepts,
            process: (e) => onImageEvent(e, imageFunction.deps(base, clients, setting)),
            ...common,
          })
        : sqsEventRecordHandler({
            events: scanFunction.events,
            accepts: scanFunction.accepts,
            process: (e) =>
              onScanEvent(
                e,
                scanFunction.deps(
                  base,
                  {
                    ...clients,
                    signatureSource: (where) =>
                      (this.input.signatures ?? new SimulatedSignatures()).source(where.repository, recorder),
                  },
                  setting,
                ),
              ),
            ...common,
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
      leases,
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

  /** The run's store, recording each call as the function's DynamoDB client would make it. */
  private trackedStore(leases: string[]): ScanDeps['state'] {
    const store = this.store;
    const at = (key: ImageKey): string => `${key.repository}@${key.digest}`;
    return {
      claim: async (key, eventId, options) => {
        this.touch(key);
        try {
          const claim = await store.claim(key, eventId, options);
          leases.push(`claim ${at(key)}: ${claim.status}`);
          return claim;
        } catch (error) {
          leases.push(`claim ${at(key)}: ${(error as Error).name}`);
          throw error;
        }
      },
      commit: async (lease, claimed, data) => {
        await store.commit(lease, claimed, data);
        leases.push(`commit ${at(lease.key)}`);
      },
      checkpoint: async (lease, data) => {
        await store.checkpoint(lease, data);
        leases.push(`checkpoint ${at(lease.key)}`);
      },
      release: async (lease) => {
        await store.release(lease);
        leases.push(`release ${at(lease.key)}`);
      },
      addParent: async (child, parent) => {
        this.touch(child);
        const state = await store.addParent(child, parent);
        leases.push(`addParent ${at(child)} <- ${parent}`);
        return state;
      },
    };
  }
}
