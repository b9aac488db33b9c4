import type { FindingsAlert } from '../../../shared/notify/alert';

export const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

export function failingAlert(overrides: Partial<FindingsAlert> = {}): FindingsAlert {
  return {
    version: 1,
    eventId: 'evt-scan-1',
    account: '111122223333',
    region: 'eu-west-1',
    repository: 'payments/api',
    digest: DIGEST,
    tags: ['v1.4.2'],
    team: 'payments',
    scanner: 'enhanced',
    verdict: {
      result: 'fail',
      highestSeverity: 'CRITICAL',
      reason: 'fail: 1 CRITICAL, 1 HIGH above threshold MEDIUM',
    },
    severityCounts: { CRITICAL: 1, HIGH: 1, MEDIUM: 3, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
    topFindings: [
      {
        id: 'CVE-2024-3094',
        severity: 'CRITICAL',
        packageName: 'xz-utils',
        installedVersion: '5.6.0',
        fixedVersion: '5.6.1',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-3094',
      },
      { id: 'CVE-2023-4911', severity: 'HIGH', packageName: 'glibc', installedVersion: '2.35-0ubuntu3.3' },
    ],
    newFindings: ['CVE-2024-3094'],
    fixedFindings: ['CVE-2022-0001'],
    firstScan: false,
    quarantinedTags: ['v1.4.2'],
    consoleUrl:
      'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/111122223333/payments/api/_/image/' +
      `${DIGEST}/scan-results?region=eu-west-1`,
    ...overrides,
  };
}
