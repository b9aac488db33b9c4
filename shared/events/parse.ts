import type { Ignored, NormalizedEvent } from '../domain/types';
import { parseEventJsonWith, parseEventWith, type DetailParsers } from './dispatch';
import { ecrImageAction, ecrReplication } from './image-events';
import { ecrImageScan, inspectorFinding, inspectorScan } from './scan-events';

export { MAX_EVENT_BYTES } from './dispatch';

/** Every event type Harbormaster handles (the functions each take their own part: IMAGE_EVENTS, SCAN_EVENTS). */
const ALL_EVENTS: DetailParsers = {
  'aws.ecr/ECR Image Action': ecrImageAction,
  'aws.ecr/ECR Image Scan': ecrImageScan,
  'aws.ecr/ECR Replication Action': ecrReplication,
  'aws.inspector2/Inspector2 Scan': inspectorScan,
  'aws.inspector2/Inspector2 Finding': inspectorFinding,
};

/**
 * Parses one EventBridge event (the full envelope, as delivered) into the normalized event.
 * Returns `{ ignored: reason }` for events the automation deliberately does not act on:
 * - an `ECR Image Action` with result FAILED (nothing changed) or an action-type other than PUSH, DELETE, UPDATE_STORAGE_CLASS;
 * - an `ECR Image Scan` whose scan-status is not COMPLETE (a FAILED scan has no findings to judge);
 * - an `Inspector2 Scan` whose scan-status is not INITIAL_SCAN_COMPLETE;
 * - an `Inspector2 Finding` about a resource other than AWS_ECR_CONTAINER_IMAGE;
 * - any other source/detail-type (e.g. `ECR Pull Through Cache Action`).
 * Throws EventParseError, naming the field, for anything malformed.
 */
export function parseEvent(raw: unknown): NormalizedEvent | Ignored {
  return parseEventWith(ALL_EVENTS, raw);
}

/** Parses JSON text holding one EventBridge event; truncated or non-JSON text is an EventParseError. */
export function parseEventJson(text: string): NormalizedEvent | Ignored {
  return parseEventJsonWith(ALL_EVENTS, text);
}

/**
 * EventBridge -> SQS delivers the envelope itself as the message body (no SNS-style wrapper), so a
 * record body parses exactly like event JSON. Kept as its own name so handlers say what they mean.
 */
export function parseSqsRecordBody(body: string): NormalizedEvent | Ignored {
  return parseEventJson(body);
}
