import type { FindingSeverity } from '../domain/types';
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
  type ParsedSeverityCounts,
} from './event-fields';
import {
  readArray,
  readMatching,
  readObject,
  readOneOf,
  readOptional,
  readPlainObject,
  readString,
  valueError,
  type FieldPath,
  type RawObject,
} from './read';

/**
 * Readers for the raw EventBridge events Harbormaster consumes, written against AWS's published
 * samples (Amazon ECR "Amazon ECR events and EventBridge"; Amazon Inspector "Amazon EventBridge event
 * schema for Amazon Inspector events"). Objects are read loosely: AWS adds fields over time and an
 * unknown extra field must not dead-letter a real event. Only this module sees hyphenated keys and ARNs.
 * Fields are read in the order listed, and the first bad one is the one reported.
 */

const optionalString = (value: unknown, path: FieldPath, expected: string): string | undefined =>
  readOptional(value, (v) => readString(v, path, expected));

const RESULTS = ['SUCCESS', 'FAILED'] as const;
const RESULT_EXPECTED = 'expected result SUCCESS or FAILED';

/** The EventBridge envelope (as delivered to a rule target, and as the SQS message body). */
export interface Envelope {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources?: readonly string[];
  readonly detail: RawObject;
}

/** Reads the envelope of an event already known to be an object. */
export function readEnvelope(raw: RawObject): Envelope {
  const version = readString(
    raw.version,
    ['version'],
    'expected the EventBridge envelope version as a string',
  );
  const id = readString(raw.id, ['id'], 'expected the event id as a string');
  if (id.length === 0) throw valueError(['id'], 'expected a non-empty event id', id);
  const detailType = readString(
    raw['detail-type'],
    ['detail-type'],
    'expected the event detail-type as a string',
  );
  const source = readString(raw.source, ['source'], 'expected the event source as a string');
  const account = readAccountId(raw.account, ['account']);
  const time = readIsoTime(raw.time, ['time']);
  const region = readRegion(raw.region, ['region']);
  const resources = readOptional(raw.resources, (value) =>
    readArray(
      value,
      ['resources'],
      'expected an array of resource ARNs',
      (item, path) => readString(item, path, 'expected a resource ARN string'),
      { max: [MAX_TAGS, `expected at most ${MAX_TAGS} resources`] },
    ),
  );
  const detail = readPlainObject(raw.detail, ['detail'], 'expected the event detail object');
  return {
    version,
    id,
    'detail-type': detailType,
    source,
    account,
    time,
    region,
    ...(resources ? { resources } : {}),
    detail,
  };
}

const DETAIL = ['detail'] as const;
const at = (key: string): FieldPath => [...DETAIL, key];

/** `ECR Image Action` (PUSH, DELETE, UPDATE_STORAGE_CLASS) with result SUCCESS. */
export interface EcrImageAction {
  readonly actionType: string;
  readonly result: 'SUCCESS' | 'FAILED';
  readonly repository: string;
  readonly digest: string;
  readonly tags: string[];
  readonly mediaType?: string;
  /** Not in AWS's published samples yet; read when present for archive/restore. */
  readonly targetStorageClass?: string;
  readonly storageClass?: string;
}

export function readEcrImageAction(detail: RawObject): EcrImageAction {
  const actionType = readString(detail['action-type'], at('action-type'), 'expected action-type as a string');
  const result = readOneOf(detail.result, at('result'), RESULTS, RESULT_EXPECTED);
  const repository = readRepositoryName(detail['repository-name'], at('repository-name'));
  const digest = readDigest(detail['image-digest'], at('image-digest'));
  const tags = readOptionalSingleTag(detail['image-tag'], at('image-tag'));
  const mediaType = optionalString(
    detail['manifest-media-type'],
    at('manifest-media-type'),
    'expected a media type string',
  );
  const targetStorageClass = optionalString(
    detail['target-storage-class'],
    at('target-storage-class'),
    'expected a storage class string',
  );
  const storageClass = optionalString(
    detail['storage-class'],
    at('storage-class'),
    'expected a storage class string',
  );
  return { actionType, result, repository, digest, tags, mediaType, targetStorageClass, storageClass };
}

/** `ECR Image Scan` (basic scanning) with scan-status COMPLETE, and `Inspector2 Scan` (enhanced). */
export interface ImageScan {
  readonly scanStatus: string;
  readonly repository: string;
  readonly digest: string;
  readonly tags: string[];
  readonly severityCounts: ParsedSeverityCounts;
}

export function readScanStatus(detail: RawObject): string {
  return readString(detail['scan-status'], at('scan-status'), 'expected scan-status as a string');
}

export function readEcrImageScan(detail: RawObject): ImageScan {
  return readScan(detail, readRepositoryName);
}

/** `Inspector2 Scan`: repository-name is the repository ARN; counts CRITICAL/HIGH/MEDIUM/TOTAL. */
export function readInspectorScan(detail: RawObject): ImageScan {
  return readScan(detail, readRepositoryArnOrName);
}

function readScan(detail: RawObject, readRepository: (value: unknown, path: FieldPath) => string): ImageScan {
  const scanStatus = readScanStatus(detail);
  const repository = readRepository(detail['repository-name'], at('repository-name'));
  const digest = readDigest(detail['image-digest'], at('image-digest'));
  const tags = readTagList(detail['image-tags'], at('image-tags'));
  const severityCounts = readSeverityCounts(detail['finding-severity-counts'], at('finding-severity-counts'));
  return { scanStatus, repository, digest, tags, severityCounts };
}

/** `ECR Replication Action`: result SUCCESS or FAILED, in the destination region. */
export interface EcrReplicationAction {
  readonly result: 'SUCCESS' | 'FAILED';
  readonly repository: string;
  readonly digest: string;
  readonly tags: string[];
}

export function readEcrReplicationAction(detail: RawObject): EcrReplicationAction {
  optionalString(detail['action-type'], at('action-type'), 'expected action-type as a string');
  const result = readOneOf(detail.result, at('result'), RESULTS, RESULT_EXPECTED);
  const repository = readRepositoryName(detail['repository-name'], at('repository-name'));
  const digest = readDigest(detail['image-digest'], at('image-digest'));
  const tags = readOptionalSingleTag(detail['image-tag'], at('image-tag'));
  readOptional(detail['source-account'], (value) => readAccountId(value, at('source-account')));
  readOptional(detail['source-region'], (value) => readRegion(value, at('source-region')));
  return { result, repository, digest, tags };
}

const RESOURCES_EXPECTED = 'expected an array of resources';
const RESOURCES_MIN = [1, 'expected at least one resource'] as const;
const readResourceType = (resource: RawObject, path: FieldPath): string =>
  readString(resource.type, [...path, 'type'], 'expected the resource type');

/** Just enough of an Inspector finding to decide whether it is about an ECR image: the first resource's type. */
export function readInspectorFindingResourceType(detail: RawObject): string {
  const types = readArray(
    detail.resources,
    at('resources'),
    RESOURCES_EXPECTED,
    (item, path) => readResourceType(readObject(item, path), path),
    { min: RESOURCES_MIN },
  );
  return types[0];
}

export interface VulnerablePackage {
  readonly name?: string;
  readonly version?: string;
  readonly release?: string;
  readonly fixedInVersion?: string;
}

/** `Inspector2 Finding` for an AWS_ECR_CONTAINER_IMAGE resource (camelCase keys); the first resource's image. */
export interface InspectorFinding {
  readonly severity: FindingSeverity;
  readonly status: string;
  readonly vulnerabilityId: string;
  readonly sourceUrl?: string;
  readonly vulnerablePackages?: readonly VulnerablePackage[];
  readonly repository: string;
  readonly digest: string;
  readonly tags: string[];
}

function readVulnerablePackage(item: unknown, path: FieldPath): VulnerablePackage {
  const pkg = readObject(item, path);
  return {
    name: optionalString(pkg.name, [...path, 'name'], 'expected a package name'),
    version: optionalString(pkg.version, [...path, 'version'], 'expected a package version'),
    release: optionalString(pkg.release, [...path, 'release'], 'expected a package release'),
    fixedInVersion: optionalString(
      pkg.fixedInVersion,
      [...path, 'fixedInVersion'],
      'expected a fixed-in version',
    ),
  };
}

interface ResourceImage {
  readonly repository: string;
  readonly digest: string;
  readonly tags: string[];
}

function readResourceImage(item: unknown, path: FieldPath): ResourceImage {
  const resource = readObject(item, path);
  readResourceType(resource, path);
  const detailsPath = [...path, 'details'];
  const details = readObject(resource.details, detailsPath);
  const imagePath = [...detailsPath, 'awsEcrContainerImage'];
  const image = readObject(details.awsEcrContainerImage, imagePath, 'expected awsEcrContainerImage details');
  return {
    repository: readRepositoryName(image.repositoryName, [...imagePath, 'repositoryName']),
    digest: readDigest(image.imageHash, [...imagePath, 'imageHash']),
    tags: readTagList(image.imageTags, [...imagePath, 'imageTags']),
  };
}

export function readInspectorFinding(detail: RawObject): InspectorFinding {
  optionalString(detail.findingArn, at('findingArn'), 'expected the finding ARN');
  const severity = readSeverity(detail.severity, at('severity'));
  const status = readString(
    detail.status,
    at('status'),
    'expected the finding status (ACTIVE, SUPPRESSED or CLOSED)',
  );
  optionalString(detail.type, at('type'), 'expected the finding type');
  optionalString(detail.title, at('title'), 'expected the finding title');
  const vulnPath = at('packageVulnerabilityDetails');
  const vuln = readObject(
    detail.packageVulnerabilityDetails,
    vulnPath,
    'expected packageVulnerabilityDetails for a package vulnerability finding',
  );
  const vulnerabilityId = readMatching(
    vuln.vulnerabilityId,
    [...vulnPath, 'vulnerabilityId'],
    /^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$/,
    'expected a vulnerability id such as CVE-2024-3094',
  );
  const sourceUrl = optionalString(vuln.sourceUrl, [...vulnPath, 'sourceUrl'], 'expected a URL string');
  const vulnerablePackages = readOptional(vuln.vulnerablePackages, (value) =>
    readArray(
      value,
      [...vulnPath, 'vulnerablePackages'],
      'expected an array of vulnerable packages',
      readVulnerablePackage,
      { max: [MAX_TAGS, `expected at most ${MAX_TAGS} vulnerable packages`] },
    ),
  );
  const [image] = readArray(detail.resources, at('resources'), RESOURCES_EXPECTED, readResourceImage, {
    min: RESOURCES_MIN,
  });
  return {
    severity,
    status,
    vulnerabilityId,
    ...(sourceUrl !== undefined ? { sourceUrl } : {}),
    ...(vulnerablePackages ? { vulnerablePackages } : {}),
    ...image,
  };
}
