import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FindingEvent, ImageEvent, NormalizedEvent, ScanEvent } from '../domain/types';
import { EVENT_TYPE, type DetailParsers } from '../events/dispatch';
import { ecrImageAction } from '../events/image-action';
import { SCAN_EVENTS } from '../events/scan-events';
import { ENV } from '../runtime/env-names';
import { compileSigners } from '../signing/trust';
import type { ImageFunctionClients, Setting, WiringBase } from './image-function';
import type { ScanDeps } from './on-scan-event';
import { ecrScanSignatures, type ScanSignatureDeps } from './scan-signature';

/**
 * The scan-events function's wiring, shared by functions/scan-events (AWS clients, the environment) and
 * `harbormaster simulate` (recording clients, fixed settings), so both route and build deps the same way.
 */

export interface ScanFunctionClients extends Omit<ImageFunctionClients, 'state'> {
  readonly sqs: SQSClient;
  readonly state: (tableName: string) => ScanDeps['state'];
  /** Where signatures are read; default: the ECR registry API (ecrScanSignatures). */
  readonly signatureSource?: ScanSignatureDeps['source'];
}

/** Scan and finding events, and index pushes (their EventBridge rule matches the index media types). */
export const events: DetailParsers = { ...SCAN_EVENTS, [EVENT_TYPE.ecrImageAction]: ecrImageAction };

export const accepts = (event: NormalizedEvent): event is ScanEvent | FindingEvent | ImageEvent =>
  event.kind === 'scan.completed' || event.kind === 'finding.updated' || event.kind === 'image.pushed';

/** True when some repository requires a signature: only then are signers compiled and sources made. */
export function verifiesSignatures(config: WiringBase['config']): boolean {
  return config.repositories.some((r) => r.scan.requireSignature);
}

/** The deps onScanEvent gets; each setting is read only when the config needs it. */
export function deps(base: WiringBase, clients: ScanFunctionClients, setting: Setting): ScanDeps {
  const { config } = base;
  // The replication queue exists only when the config has gated replication rules.
  const replicationQueueUrl = config.gatedReplication.length > 0 ? setting(ENV.REPLICATION_QUEUE) : undefined;
  // Trusted signers are parsed once per container, and only when a repository requires a signature.
  const signatures = !verifiesSignatures(config)
    ? undefined
    : clients.signatureSource
      ? { signers: compileSigners(config.signers ?? {}), source: clients.signatureSource }
      : ecrScanSignatures(config, clients.ecr);
  return {
    ...base,
    ecr: clients.ecr,
    sns: clients.sns,
    sqs: clients.sqs,
    state: clients.state(setting(ENV.STATE_TABLE)),
    leaseMs: Number(setting(ENV.LEASE_SECONDS)) * 1000,
    topicArn: setting(ENV.FINDINGS_TOPIC),
    ...(replicationQueueUrl ? { replicationQueueUrl } : {}),
    ...(signatures ? { signatures } : {}),
  };
}
