import type { core, ZodType } from 'zod';
import type { Finding, Ignored, NormalizedEvent } from '../domain/types';
import { describeValue, EventParseError, formatEventPath } from './errors';
import {
  ecrImageActionSchema,
  ecrImageScanSchema,
  ecrReplicationActionSchema,
  envelopeSchema,
  inspectorFindingResourceTypeSchema,
  inspectorFindingSchema,
  inspectorScanSchema,
  type Envelope,
} from './schemas';

/** EventBridge caps an event at 256 KB; anything far larger is not an event. */
export const MAX_EVENT_BYTES = 1024 * 1024;

function toParseError(
  issues: readonly core.$ZodIssue[],
  prefix: ReadonlyArray<PropertyKey>,
): EventParseError {
  const issue = issues[0];
  const path = formatEventPath([...prefix, ...issue.path]);
  const input = (issue as { input?: unknown }).input;
  const expected = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_type' && input === undefined)
    return new EventParseError(path, `${expected}, but it is missing`);
  return new EventParseError(path, expected, { got: describeValue(input) });
}

function parseWith<T extends ZodType>(
  schema: T,
  value: unknown,
  prefix: ReadonlyArray<PropertyKey>,
): core.output<T> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw toParseError(parsed.error.issues, prefix);
  return parsed.data;
}

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
  const d = parseWith(ecrImageActionSchema, detail, ['detail']);
  const common = {
    ...base(envelope),
    repository: d['repository-name'],
    digest: d['image-digest'],
    tags: d['image-tag'],
  };
  const mediaType = d['manifest-media-type'] ? { mediaType: d['manifest-media-type'] } : {};
  switch (d['action-type']) {
    case 'PUSH':
      return { ...common, kind: 'image.pushed', ...mediaType };
    case 'DELETE':
      return { ...common, kind: 'image.deleted' };
    default: {
      const storageClass = d['target-storage-class'] ?? d['storage-class'];
      return { ...common, kind: 'image.storage-class-changed', ...(storageClass ? { storageClass } : {}) };
    }
  }
}

function ecrImageScan(envelope: Envelope): NormalizedEvent | Ignored {
  const status = envelope.detail['scan-status'];
  if (status !== 'COMPLETE') {
    if (typeof status !== 'string') parseWith(ecrImageScanSchema, envelope.detail, ['detail']);
    // A FAILED scan (e.g. UNSUPPORTED_IMAGE) has no findings to judge: no verdict, no promotion, no quarantine.
    return { ignored: `ECR Image Scan with scan-status ${describeValue(status)} has no findings to judge` };
  }
  const d = parseWith(ecrImageScanSchema, envelope.detail, ['detail']);
  const counts = d['finding-severity-counts'];
  return {
    ...base(envelope),
    kind: 'scan.completed',
    scanner: 'basic',
    repository: d['repository-name'],
    digest: d['image-digest'],
    tags: d['image-tags'],
    severityCounts: counts.counts,
    uncountedFindings: 0,
  };
}

function inspectorScan(envelope: Envelope): NormalizedEvent | Ignored {
  const status = envelope.detail['scan-status'];
  if (status !== 'INITIAL_SCAN_COMPLETE') {
    if (typeof status !== 'string') parseWith(inspectorScanSchema, envelope.detail, ['detail']);
    return {
      ignored: `Inspector2 Scan with scan-status ${describeValue(status)} is not a completed image scan`,
    };
  }
  const d = parseWith(inspectorScanSchema, envelope.detail, ['detail']);
  const { counts, total } = d['finding-severity-counts'];
  const counted = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    ...base(envelope),
    kind: 'scan.completed',
    scanner: 'enhanced',
    repository: d['repository-name'],
    digest: d['image-digest'],
    tags: d['image-tags'],
    severityCounts: counts,
    uncountedFindings: total !== undefined ? Math.max(0, total - counted) : 0,
  };
}

function inspectorFinding(envelope: Envelope): NormalizedEvent | Ignored {
  const { resources } = parseWith(inspectorFindingResourceTypeSchema, envelope.detail, ['detail']);
  if (resources[0].type !== 'AWS_ECR_CONTAINER_IMAGE') {
    return {
      ignored: `Inspector2 Finding for a ${describeValue(resources[0].type)} resource is not about an ECR image`,
    };
  }
  const d = parseWith(inspectorFindingSchema, envelope.detail, ['detail']);
  const image = d.resources[0].details.awsEcrContainerImage;
  const vuln = d.packageVulnerabilityDetails;
  const pkg = vuln.vulnerablePackages?.[0];
  const installed = pkg?.version ? (pkg.release ? `${pkg.version}-${pkg.release}` : pkg.version) : undefined;
  const fixed = pkg?.fixedInVersion && pkg.fixedInVersion !== 'NotAvailable' ? pkg.fixedInVersion : undefined;
  const finding: Finding = {
    id: vuln.vulnerabilityId,
    severity: d.severity,
    ...(pkg?.name ? { packageName: pkg.name } : {}),
    ...(installed ? { installedVersion: installed } : {}),
    ...(fixed ? { fixedVersion: fixed } : {}),
    ...(vuln.sourceUrl ? { url: vuln.sourceUrl } : {}),
  };
  return {
    ...base(envelope),
    kind: 'finding.updated',
    scanner: 'enhanced',
    repository: image.repositoryName,
    digest: image.imageHash,
    tags: image.imageTags,
    finding,
    status: d.status,
  };
}

function ecrReplication(envelope: Envelope): NormalizedEvent {
  const d = parseWith(ecrReplicationActionSchema, envelope.detail, ['detail']);
  return {
    ...base(envelope),
    kind: 'replication.completed',
    repository: d['repository-name'],
    digest: d['image-digest'],
    tags: d['image-tag'],
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
  const envelope = parseWith(envelopeSchema, raw, []);
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
