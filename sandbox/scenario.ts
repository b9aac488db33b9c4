import type { HarbormasterConfig, RepositoryConfig } from '../shared/config/schema';
import type { BusEvent } from './event-bus';

/**
 * Events shaped like AWS's published samples (test/fixtures/events holds them verbatim), for the image and
 * scan the demo, the tests and the bench make up. Only the fields each sample carries.
 */

export function pushEvent(
  repository: string,
  digest: string,
  tag: string,
  mediaType: string,
  region: string,
): BusEvent {
  return {
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    region,
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': repository,
      'image-digest': digest,
      'action-type': 'PUSH',
      'image-tag': tag,
      'manifest-media-type': mediaType,
      'artifact-media-type': 'application/vnd.oci.image.config.v1+json',
    },
  };
}

export interface Counts {
  readonly CRITICAL?: number;
  readonly HIGH?: number;
  readonly MEDIUM?: number;
  readonly LOW?: number;
  readonly INFORMATIONAL?: number;
}

/**
 * A completed scan: `Inspector2 Scan` for enhanced scanning (repository ARN in repository-name; counts
 * CRITICAL/HIGH/MEDIUM/TOTAL only) or `ECR Image Scan` for basic scanning.
 */
export function scanEvent(
  config: HarbormasterConfig,
  account: string,
  repository: string,
  digest: string,
  tags: readonly string[],
  counts: Counts,
): BusEvent {
  const region = config.env.region;
  const arn = `arn:aws:ecr:${region}:${account}:repository/${repository}`;
  if (config.scanning?.type === 'ENHANCED') {
    const total = Object.values(counts).reduce((sum: number, n) => sum + (n ?? 0), 0);
    return {
      'detail-type': 'Inspector2 Scan',
      source: 'aws.inspector2',
      region,
      resources: [arn],
      detail: {
        'scan-status': 'INITIAL_SCAN_COMPLETE',
        'repository-name': arn,
        'finding-severity-counts': {
          CRITICAL: counts.CRITICAL ?? 0,
          HIGH: counts.HIGH ?? 0,
          MEDIUM: counts.MEDIUM ?? 0,
          TOTAL: total,
        },
        'image-digest': digest,
        'image-tags': [...tags],
      },
    };
  }
  return {
    'detail-type': 'ECR Image Scan',
    source: 'aws.ecr',
    region,
    resources: [arn],
    detail: {
      'scan-status': 'COMPLETE',
      'repository-name': repository,
      // Basic scan counts omit zero severities.
      'finding-severity-counts': Object.fromEntries(Object.entries(counts).filter(([, n]) => n)),
      'image-digest': digest,
      'image-tags': [...tags],
    },
  };
}

/** Findings as DescribeImageScanFindings returns them, both shapes (basic findings[], enhanced enhancedFindings[]). */
export function scanFindings(
  findings: readonly {
    id: string;
    severity: string;
    packageName: string;
    version: string;
    fixedIn?: string;
  }[],
) {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return {
    findingSeverityCounts: counts,
    findings: findings.map((f) => ({
      name: f.id,
      severity: f.severity,
      uri: `https://nvd.nist.gov/vuln/detail/${f.id}`,
      attributes: [
        { key: 'package_name', value: f.packageName },
        { key: 'package_version', value: f.version },
      ],
    })),
    enhancedFindings: findings.map((f) => ({
      awsAccountId: '000000000000',
      findingArn: `arn:aws:inspector2:eu-west-1:000000000000:finding/${f.id}`,
      severity: f.severity,
      status: 'ACTIVE',
      title: `${f.id} - ${f.packageName}`,
      type: 'PACKAGE_VULNERABILITY',
      packageVulnerabilityDetails: {
        vulnerabilityId: f.id,
        sourceUrl: `https://nvd.nist.gov/vuln/detail/${f.id}`,
        vulnerablePackages: [
          { name: f.packageName, version: f.version, fixedInVersion: f.fixedIn ?? 'NotAvailable' },
        ],
      },
    })),
  };
}

/** The release tag a repository's semver auto-tag rule cascades from (its prefix + version). */
export function releaseTag(repository: RepositoryConfig, version: string): string {
  const semver = repository.autoTag.find((rule) => rule.type === 'semver') as { prefix?: string } | undefined;
  return `${semver?.prefix ?? ''}${version}`;
}

/** The repositories the demo uses: one that a gated rule replicates, one of another team that quarantines. */
export function demoRepositories(config: HarbormasterConfig): {
  passing: RepositoryConfig;
  failing: RepositoryConfig;
} {
  const matches = (pattern: string, name: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
        .join('.*')}$`,
    ).test(name);
  const replicated = config.repositories.find((r) =>
    config.gatedReplication.some((rule) => rule.repositories.some((p) => matches(p, r.name))),
  );
  const passing = replicated ?? config.repositories[0];
  const failing =
    config.repositories.find((r) => r.team !== passing.team && r.scan?.quarantine) ??
    config.repositories.find((r) => r.name !== passing.name) ??
    passing;
  return { passing, failing };
}
