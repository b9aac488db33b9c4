import type { Finding, Ignored, NormalizedEvent } from '../domain/types';
import {
  readEcrImageAction,
  readEcrImageScan,
  readEcrReplicationAction,
  readEnvelope,
  readInspectorFinding,
  readInspectorFindingResourceType,
  readInspectorScan,
  readScanStatus,
  type Envelope,
} from './details';
import { describeValue, EventParseError } from './errors';

/** EventBridge caps an event at 256 KB; anything far larger is not an event. */
export const MAX_EVENT_BYTES = 1024 * 1024;

function base(envelope: Envelope) {
  return { id: envelope.id, account: envelope.account, region: envelope.region, time: envelope.time };
}

function ecrImageAction(envelope: Envelope): NormalizedEvent | Ignored {
  const { detail } = envelope;
  const action = detail['action-type'];
  if (detail.result === 'FAILED') {
    // A failed action changed nothing in the repository; there is nothing to audit or tag.
    return { ignored: `ECR Image Action ${describeValue(action)} with result FAILED changed nothing` };
  }
  if (typeof action === 'string' && !['PUSH', 'DELETE', 'UPDATE_STORAGE_CLASS'].includes(action)) {
    return { ignored: `ECR Image Action with action-type ${describeValue(action)} is not handled` };
  }
  const d = readEcrImageAction(detail);
  const common = { ...base(envelope), repository: d.repository, digest: d.digest, tags: d.tags };
  const mediaType = d.mediaType ? { mediaType: d.mediaType } : {};
  switch (d.actionType) {
    case 'PUSH':
      return { ...common, kind: 'image.pushed', ...mediaType };
    case 'DELETE':
      return { ...common, kind: 'image.deleted' };
    default: {
      const storageClass = d.targetStorageClass ?? d.storageClass;
      return { ...common, kind: 'image.storage-class-changed', ...(storageClass ? { storageClass } : {}) };
    }
  }
}

function ecrImageScan(envelope: Envelope): NormalizedEvent | Ignored {
  const status = envelope.detail['scan-status'];
  if (status !== 'COMPLETE') {
    if (typeof status !== 'string') readScanStatus(envelope.detail);
    // A FAILED scan (e.g. UNSUPPORTED_IMAGE) has no findings to judge: no verdict, no promotion, no quarantine.
    return { ignored: `ECR Image Scan with scan-status ${describeValue(status)} has no findings to judge` };
  }
  const d = readEcrImageScan(envelope.detail);
  return {
    ...base(envelope),
    kind: 'scan.completed',
    scanner: 'basic',
    repository: d.repository,
    digest: d.digest,
    tags: d.tags,
    severityCounts: d.severityCounts.counts,
    uncountedFindings: 0,
  };
}

function inspectorScan(envelope: Envelope): NormalizedEvent | Ignored {
  const status = envelope.detail['scan-status'];
  if (status !== 'INITIAL_SCAN_COMPLETE') {
    if (typeof status !== 'string') readScanStatus(envelope.detail);
    return {
      ignored: `Inspector2 Scan with scan-status ${describeValue(status)} is not a completed image scan`,
    };
  }
  const d = readInspectorScan(envelope.detail);
  const { counts, total } = d.severityCounts;
  const counted = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    ...base(envelope),
    kind: 'scan.completed',
    scanner: 'enhanced',
    repository: d.repository,
    digest: d.digest,
    tags: d.tags,
    severityCounts: counts,
    uncountedFindings: total !== undefined ? Math.max(0, total - counted) : 0,
  };
}

function inspectorFinding(envelope: Envelope): NormalizedEvent | Ignored {
  const resourceType = readInspectorFindingResourceType(envelope.detail);
  if (resourceType !== 'AWS_ECR_CONTAINER_IMAGE') {
    return {
      ignored: `Inspector2 Finding for a ${describeValue(resourceType)} resource is not about an ECR image`,
    };
  }
  const d = readInspectorFinding(envelope.detail);
  const pkg = d.vulnerablePackages?.[0];
  const installed = pkg?.version ? (pkg.release ? `${pkg.version}-${pkg.release}` : pkg.version) : undefined;
  const fixed = pkg?.fixedInVersion && pkg.fixedInVersion !== 'NotAvailable' ? pkg.fixedInVersion : undefined;
  const finding: Finding = {
    id: d.vulnerabilityId,
    severity: d.severity,
    ...(pkg?.name ? { packageName: pkg.name } : {}),
    ...(installed ? { installedVersion: installed } : {}),
    ...(fixed ? { fixedVersion: fixed } : {}),
    ...(d.sourceUrl ? { url: d.sourceUrl } : {}),
  };
  return {
    ...base(envelope),
    kind: 'finding.updated',
    scanner: 'enhanced',
    repository: d.repository,
    digest: d.digest,
    tags: d.tags,
    finding,
    status: d.status,
  };
}

function ecrReplication(envelope: Envelope): NormalizedEvent {
  const d = readEcrReplicationAction(envelope.detail);
  return {
    ...base(envelope),
    kind: 'replication.completed',
    repository: d.repository,
    digest: d.digest,
    tags: d.tags,
    result: d.result,
  };
}

const HANDLERS: Readonly<Record<string, (envelope: Envelope) => NormalizedEvent | Ignored>> = {
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
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EventParseError('(event)', 'expected an EventBridge event object', { got: describeValue(raw) });
  }
  const envelope = readEnvelope(raw as Readonly<Record<string, unknown>>);
  const handle = HANDLERS[`${envelope.source}/${envelope['detail-type']}`];
  if (!handle) {
    return {
      ignored: `${envelope['detail-type']} events from ${envelope.source} are not handled by Harbormaster`,
    };
  }
  return handle(envelope);
}

/** Parses JSON text holding one EventBridge event; truncated or non-JSON text is an EventParseError. */
export function parseEventJson(text: string): NormalizedEvent | Ignored {
  if (typeof text !== 'string')
    throw new EventParseError('(event)', 'expected JSON text', { got: describeValue(text) });
  if (Buffer.byteLength(text, 'utf8') > MAX_EVENT_BYTES) {
    throw new EventParseError(
      '(event)',
      `expected at most ${MAX_EVENT_BYTES} bytes of JSON (EventBridge events are at most 256 KB)`,
      {
        got: `${Buffer.byteLength(text, 'utf8')} bytes`,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const why = (cause as Error).message.split('\n')[0];
    throw new EventParseError(
      '(event)',
      `expected JSON text (${text.trim() === '' ? 'the input is empty' : why})`,
      { cause },
    );
  }
  return parseEvent(value);
}

/**
 * EventBridge -> SQS delivers the envelope itself as the message body (no SNS-style wrapper), so a
 * record body parses exactly like event JSON. Kept as its own name so handlers say what they mean.
 */
export function parseSqsRecordBody(body: string): NormalizedEvent | Ignored {
  return parseEventJson(body);
}
