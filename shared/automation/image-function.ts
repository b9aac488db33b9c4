import type { ECRClient } from '@aws-sdk/client-ecr';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { AuditWriter } from '../audit/writer';
import type { ImageEvent, NormalizedEvent, ReplicationEvent } from '../domain/types';
import type { DetailParsers } from '../events/dispatch';
import { IMAGE_EVENTS } from '../events/image-events';
import { ENV } from '../runtime/env-names';
import type { ImageStateStore } from '../state/image-state-store';
import type { EventFunctionBase } from './event-queue-handler';
import type { ImageEventDeps } from './on-image-event';

/**
 * The image-events function's wiring, shared by functions/image-events (AWS clients, the environment) and
 * `harbormaster simulate` (recording clients, fixed settings), so both route and build deps the same way.
 */

/** The common parts; simulate's audit trail only records. */
export type WiringBase = Omit<EventFunctionBase, 'audit'> & { readonly audit: Pick<AuditWriter, 'record'> };

/** A required setting by its environment variable name (requiredEnv in the function). */
export type Setting = (name: string) => string;

export interface ImageFunctionClients {
  readonly ecr: ECRClient;
  readonly sns: SNSClient;
  /** The image-state store over the named table (DynamoDB in the function, in memory in simulate). */
  readonly state: (tableName: string) => Pick<ImageStateStore, 'claim' | 'commit' | 'release'>;
}

/** The detail parsers this function ships: ECR Image Action and ECR Replication Action. */
export const events: DetailParsers = IMAGE_EVENTS;

/** Everything but scans and findings (the scan function's). */
export const accepts = (event: NormalizedEvent): event is ImageEvent | ReplicationEvent =>
  event.kind !== 'scan.completed' && event.kind !== 'finding.updated';

/** The deps onImageEvent gets: the findings topic (native replication failures) and the image's lease. */
export function deps(base: WiringBase, clients: ImageFunctionClients, setting: Setting): ImageEventDeps {
  return {
    ...base,
    ecr: clients.ecr,
    sns: clients.sns,
    topicArn: setting(ENV.FINDINGS_TOPIC),
    state: clients.state(setting(ENV.STATE_TABLE)),
    leaseMs: Number(setting(ENV.LEASE_SECONDS)) * 1000,
  };
}
