import type { Finding, Ignored, NormalizedEvent } from '../domain/types';
import { describeValue, EventParseError } from './errors';
import {
  MAX_TAGS,
  readAccountId,
  readDigest,
  readIsoTime,
  readOptionalSingleTag,
  readRegion,
  readRepositoryArnOrName,
  readRepositoryName,
  readSeverity,
  readSeverityCounts,
  readTagList,
} from './event-fields';
import {
  readArray,
  readMatching,
  readObject,
  readOptionalString,
  readPlainObject,
  readString,
  valueError,
  type FieldPath,
  type RawObject,
  type Reader,
} from './read';

/**
 * Parses the raw EventBridge events Harbormaster consumes into the normalized shape, written against
 * AWS's published samples (Amazon ECR "Amazon ECR events and EventBridge"; Amazon Inspector "Amazon
 * EventBridge event schema for Amazon Inspector events"). Objects are read loosely: AWS adds fields
 * over time and an unknown extra field must not dead-letter a real event. Only this module sees
 * hyphenated keys and ARNs. Each reader reads the fields in the order written, so the first bad one
 * (in that order) is the one an error names.
 */

/** EventBridge caps an event at 256 KB; anything far larger is not an event. */
export const MAX_EVENT_BYTES = 1024 * 1024;

/** The EventBridge envelope (as delivered to a rule target, and as the SQS message body). */
interface Envelope {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: RawObject;
}

const TOP: FieldPath = [];
const DETAIL: FieldPath = ['detail'];
const RESULTS: readonly string[] = ['SUCCESS', 'FAILED'];

function readEnvelope(raw: RawObject): Envelope {
  readString(raw, 'version', TOP, 'expected the EventBridge envelope version as a string');
  const id = readString(raw, 'id', TOP, 'expected the event id as a string');
  if (id === '') throw valueError(['id'], 'expected a non-empty event id', id);
  const detailType = readString(raw, 'detail-type', TOP, 'expected the event detail-type as a string');
  const source = readString(raw, 'source', TOP, 'expected the event source as a string');
  const account = readAccountId(raw, 'account', TOP);
  const time = readIsoTime(raw, 'time', TOP);
  const region = readRegion(raw, 'region', TOP);
  if (raw.resources !== undefined) {
    readArray(raw, 'resources', TOP, 'expected an array of resource ARNs', readResourceArn, {
      max: [MAX_TAGS, `expected at most ${MAX_TAGS} resources`],
    });
  }
  const detail = readPlainObject(raw, 'detail', TOP, 'expected the event detail object');
  return { id, account, region, time, source, detailType, detail };
}

const readResourceArn: Reader<string> = (obj, key, at) =>
  readString(obj, key, at, 'expected a resource ARN string');

function base(envelope: Envelope) {
  return { id: envelope.id, account: envelope.account, region: envelope.region, time: envelope.time };
}

/** `result`, then the image fields ECR Image Action and ECR Replication Action share. */
function readActionImage(detail: RawObject) {
  const result = detail.result;
  if (typeof result !== 'string' || !RESULTS.includes(result))
    throw valueError(['detail', 'result'], 'expected result SUCCESS or FAILED', result);
  return {
    result: result as 'SUCCESS' | 'FAILED',
    repository: readRepositoryName(detail, 'repository-name', DETAIL),
    digest: readDigest(detail, 'image-digest', DETAIL),
    tags: readOptionalSingleTag(detail, 'image-tag', DETAIL),
  };
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
  readString(detail, 'action-type', DETAIL, 'expected action-type as a string');
  const { repository, digest, tags } = readActionImage(detail);
  const mediaType = readOptionalString(detail, 'manifest-media-type', DETAIL, 'expected a media type string');
  /** target-storage-class is not in AWS's published samples yet; read when present for archive/restore. */
  const targetStorageClass = readOptionalString(
    detail,
    'target-storage-class',
    DETAIL,
    'expected a storage class string',
  );
  const storageClass = readOptionalString(detail, 'storage-class', DETAIL, 'expected a storage class string');
  const common = { ...base(envelope), repository, digest, tags };
  switch (action) {
    case 'PUSH':
      return { ...common, kind: 'image.pushed', ...(mediaType ? { mediaType } : {}) };
    case 'DELETE':
      return { ...common, kind: 'image.deleted' };
    default: {
      const storage = targetStorageClass ?? storageClass;
      return {
        ...common,
        kind: 'image.storage-class-changed',
        ...(storage ? { storageClass: storage } : {}),
      };
    }
  }
}

function ecrReplication(envelope: Envelope): NormalizedEvent {
  const { detail } = envelope;
  readOptionalString(detail, 'action-type', DETAIL, 'expected action-type as a string');
  const { result, repository, digest, tags } = readActionImage(detail);
  if (detail['source-account'] !== undefined) readAccountId(detail, 'source-account', DETAIL);
  if (detail['source-region'] !== undefined) readRegion(detail, 'source-region', DETAIL);
  return { ...base(envelope), kind: 'replication.completed', repository, digest, tags, result };
}

/** The fields ECR Image Scan and Inspector2 Scan share; Inspector2 Scan's repository-name is an ARN. */
function readScan(envelope: Envelope, readRepository: Reader<string>) {
  const { detail } = envelope;
  readString(detail, 'scan-status', DETAIL, 'expected scan-status as a string');
  const scan = {
    ...base(envelope),
    kind: 'scan.completed' as const,
    repository: readRepository(detail, 'repository-name', DETAIL),
    digest: readDigest(detail, 'image-digest', DETAIL),
    tags: readTagList(detail, 'image-tags', DETAIL),
  };
  return { scan, ...readSeverityCounts(detail, 'finding-severity-counts', DETAIL) };
}

function ecrImageScan(envelope: Envelope): NormalizedEvent | Ignored {
  const status = envelope.detail['scan-status'];
  if (status !== 'COMPLETE') {
    if (typeof status !== 'string') readScan(envelope, readRepositoryName); // names the bad scan-status
    // A FAILED scan (e.g. UNSUPPORTED_IMAGE) has no findings to judge: no verdict, no promotion, no quarantine.
    return { ignored: `ECR Image Scan with scan-status ${describeValue(status)} has no findings to judge` };
  }
  const { scan, counts } = readScan(envelope, readRepositoryName);
  return { ...scan, scanner: 'basic', severityCounts: counts, uncountedFindings: 0 };
}

function inspectorScan(envelope: Envelope): NormalizedEvent | Ignored {
  const status = envelope.detail['scan-status'];
  if (status !== 'INITIAL_SCAN_COMPLETE') {
    if (typeof status !== 'string') readScan(envelope, readRepositoryArnOrName); // names the bad scan-status
    return {
      ignored: `Inspector2 Scan with scan-status ${describeValue(status)} is not a completed image scan`,
    };
  }
  const { scan, counts, total } = readScan(envelope, readRepositoryArnOrName);
  const counted = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    ...scan,
    scanner: 'enhanced',
    severityCounts: counts,
    uncountedFindings: total !== undefined ? Math.max(0, total - counted) : 0,
  };
}

const RESOURCES = 'expected an array of resources';
const AT_LEAST_ONE_RESOURCE = [1, 'expected at least one resource'] as const;

const readResourceType: Reader<string> = (obj, key, at) =>
  readString(readObject(obj, key, at), 'type', [...at, key], 'expected the resource type');

/** An Inspector finding's resource: its type, then the ECR image it names. */
const readResourceImage: Reader<{ repository: string; digest: string; tags: string[] }> = (obj, key, at) => {
  readResourceType(obj, key, at);
  const path = [...at, key];
  const details = readObject(readObject(obj, key, at), 'details', path);
  const imagePath = [...path, 'details'];
  const image = readObject(
    details,
    'awsEcrContainerImage',
    imagePath,
    'expected awsEcrContainerImage details',
  );
  const at2 = [...imagePath, 'awsEcrContainerImage'];
  return {
    repository: readRepositoryName(image, 'repositoryName', at2),
    digest: readDigest(image, 'imageHash', at2),
    tags: readTagList(image, 'imageTags', at2),
  };
};

const readVulnerablePackage: Reader<RawObject> = (obj, key, at) => {
  const pkg = readObject(obj, key, at);
  const path = [...at, key];
  readOptionalString(pkg, 'name', path, 'expected a package name');
  readOptionalString(pkg, 'version', path, 'expected a package version');
  readOptionalString(pkg, 'release', path, 'expected a package release');
  readOptionalString(pkg, 'fixedInVersion', path, 'expected a fixed-in version');
  return pkg;
};

function inspectorFinding(envelope: Envelope): NormalizedEvent | Ignored {
  const { detail } = envelope;
  // Just enough to decide whether it is about an ECR image: every resource's type.
  const [type] = readArray(detail, 'resources', DETAIL, RESOURCES, readResourceType, {
    min: AT_LEAST_ONE_RESOURCE,
  });
  if (type !== 'AWS_ECR_CONTAINER_IMAGE') {
    return { ignored: `Inspector2 Finding for a ${describeValue(type)} resource is not about an ECR image` };
  }
  readOptionalString(detail, 'findingArn', DETAIL, 'expected the finding ARN');
  const severity = readSeverity(detail, 'severity', DETAIL);
  const status = readString(
    detail,
    'status',
    DETAIL,
    'expected the finding status (ACTIVE, SUPPRESSED or CLOSED)',
  );
  readOptionalString(detail, 'type', DETAIL, 'expected the finding type');
  readOptionalString(detail, 'title', DETAIL, 'expected the finding title');
  const vuln = readObject(
    detail,
    'packageVulnerabilityDetails',
    DETAIL,
    'expected packageVulnerabilityDetails for a package vulnerability finding',
  );
  const vulnAt = ['detail', 'packageVulnerabilityDetails'];
  const id = readMatching(
    vuln,
    'vulnerabilityId',
    vulnAt,
    /^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$/,
    'expected a vulnerability id such as CVE-2024-3094',
  );
  const url = readOptionalString(vuln, 'sourceUrl', vulnAt, 'expected a URL string');
  const packages =
    vuln.vulnerablePackages === undefined
      ? []
      : readArray(
          vuln,
          'vulnerablePackages',
          vulnAt,
          'expected an array of vulnerable packages',
          readVulnerablePackage,
          {
            max: [MAX_TAGS, `expected at most ${MAX_TAGS} vulnerable packages`],
          },
        );
  const [image] = readArray(detail, 'resources', DETAIL, RESOURCES, readResourceImage, {
    min: AT_LEAST_ONE_RESOURCE,
  });
  const pkg = packages[0] as
    { name?: string; version?: string; release?: string; fixedInVersion?: string } | undefined;
  const installed = pkg?.version ? (pkg.release ? `${pkg.version}-${pkg.release}` : pkg.version) : undefined;
  const fixed = pkg?.fixedInVersion && pkg.fixedInVersion !== 'NotAvailable' ? pkg.fixedInVersion : undefined;
  const finding: Finding = {
    id,
    severity,
    ...(pkg?.name ? { packageName: pkg.name } : {}),
    ...(installed ? { installedVersion: installed } : {}),
    ...(fixed ? { fixedVersion: fixed } : {}),
    ...(url ? { url } : {}),
  };
  return { ...base(envelope), kind: 'finding.updated', scanner: 'enhanced', ...image, finding, status };
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
  const envelope = readEnvelope(raw as RawObject);
  const handle = HANDLERS[`${envelope.source}/${envelope.detailType}`];
  if (!handle) {
    return {
      ignored: `${envelope.detailType} events from ${envelope.source} are not handled by Harbormaster`,
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
