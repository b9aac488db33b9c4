import type { Finding, Ignored, NormalizedEvent } from '../domain/types';
import { DETAIL, EVENT_TYPE, eventBase, type DetailParsers, type Envelope } from './dispatch';
import { describeValue } from './errors';
import {
  MAX_TAGS,
  readDigest,
  readRepositoryArnOrName,
  readRepositoryName,
  readSeverity,
  readSeverityCounts,
  readTagList,
} from './field-readers';
import {
  readArray,
  readMatching,
  readObject,
  readOptionalString,
  readString,
  type RawObject,
  type Reader,
} from './read';

/**
 * `ECR Image Scan` (basic), `Inspector2 Scan` and `Inspector2 Finding` (enhanced), as AWS publishes them
 * (Amazon ECR "Amazon ECR events and EventBridge"; Amazon Inspector "Amazon EventBridge event schema for
 * Amazon Inspector events"): scan events have an `image-tags` array; Inspector2 Scan puts the repository
 * ARN in `repository-name`; the finding event is camelCase. Fields are read in the order written; the
 * first bad one is the one an error names.
 */

function readScan(envelope: Envelope, readRepository: Reader<string>) {
  const { detail } = envelope;
  readString(detail, 'scan-status', DETAIL, 'expected scan-status as a string');
  const scan = {
    ...eventBase(envelope),
    kind: 'scan.completed' as const,
    repository: readRepository(detail, 'repository-name', DETAIL),
    digest: readDigest(detail, 'image-digest', DETAIL),
    tags: readTagList(detail, 'image-tags', DETAIL),
  };
  return { scan, ...readSeverityCounts(detail, 'finding-severity-counts', DETAIL) };
}

export function ecrImageScan(envelope: Envelope): NormalizedEvent | Ignored {
  const status = envelope.detail['scan-status'];
  if (status !== 'COMPLETE') {
    if (typeof status !== 'string') readScan(envelope, readRepositoryName); // names the bad scan-status
    // A FAILED scan (e.g. UNSUPPORTED_IMAGE) has no findings to judge: no verdict, no promotion, no quarantine.
    return { ignored: `ECR Image Scan with scan-status ${describeValue(status)} has no findings to judge` };
  }
  const { scan, counts } = readScan(envelope, readRepositoryName);
  return { ...scan, scanner: 'basic', severityCounts: counts, uncountedFindings: 0 };
}

export function inspectorScan(envelope: Envelope): NormalizedEvent | Ignored {
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

export function inspectorFinding(envelope: Envelope): NormalizedEvent | Ignored {
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
  return { ...eventBase(envelope), kind: 'finding.updated', scanner: 'enhanced', ...image, finding, status };
}

/** The scan-events function's parsers. */
export const SCAN_EVENTS: DetailParsers = {
  [EVENT_TYPE.ecrImageScan]: ecrImageScan,
  [EVENT_TYPE.inspectorScan]: inspectorScan,
  [EVENT_TYPE.inspectorFinding]: inspectorFinding,
};
