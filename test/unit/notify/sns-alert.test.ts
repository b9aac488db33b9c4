import { ALERT_ATTRIBUTE, ecrFindingsConsoleUrl } from '../../../shared/notify/alert';
import { SNS_SUBJECT_MAX, buildSnsAlert } from '../../../shared/notify/sns-alert';
import { DIGEST, failingAlert } from './alert-fixture';

describe('buildSnsAlert', () => {
  it('writes a one-line ASCII subject naming verdict, image, counts and quarantine', () => {
    // Act
    const msg = buildSnsAlert(failingAlert());

    // Assess
    expect(msg.Subject).toBe(
      '[Harbormaster] FAIL payments/api:v1.4.2 - 1 CRITICAL, 1 HIGH, 3 MEDIUM (quarantined)',
    );
    expect(msg.Subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX);
  });

  it('keeps the subject under 100 characters and free of line breaks for long repository names', () => {
    // Prepare
    const alert = failingAlert({
      repository: `team/${'very-long-name-'.repeat(10)}`,
      tags: ['ünïcode\ntag'],
    });

    // Act
    const msg = buildSnsAlert(alert);

    // Assess
    expect(msg.Subject.length).toBeLessThan(100);
    expect(msg.Subject).toMatch(/^[\x20-\x7e]+$/);
    expect(msg.Subject.endsWith('...')).toBe(true);
  });

  it('writes an email body with verdict, counts, top CVEs installed -> fixed, new and fixed CVEs, quarantine and link', () => {
    // Act
    const { Message } = buildSnsAlert(failingAlert());

    // Assess
    expect(Message).toContain('payments/api:v1.4.2 FAILED its enhanced scan.');
    expect(Message).toContain('Verdict: fail: 1 CRITICAL, 1 HIGH above threshold MEDIUM');
    expect(Message).toContain('QUARANTINED: release tags removed: v1.4.2.');
    expect(Message).toMatch(/CRITICAL\s+1\n/);
    expect(Message).toMatch(/MEDIUM\s+3\n/);
    expect(Message).toContain('CVE-2024-3094  xz-utils 5.6.0 -> 5.6.1');
    expect(Message).toContain('CVE-2023-4911  glibc 2.35-0ubuntu3.3 (no fix yet)');
    expect(Message).toContain('New since the previous scan (1): CVE-2024-3094');
    expect(Message).toContain('Fixed since the previous scan (1): CVE-2022-0001');
    expect(Message).toContain(`/_/image/${DIGEST}/scan-results?region=eu-west-1`);
  });

  it('says it is the first result instead of new/fixed lists on a first scan, and omits quarantine when none', () => {
    // Act
    const { Message } = buildSnsAlert(failingAlert({ firstScan: true, quarantinedTags: [] }));

    // Assess
    expect(Message).toContain('First scan result recorded for this image.');
    expect(Message).not.toContain('New since');
    expect(Message).not.toContain('QUARANTINED');
  });

  it('carries string attributes for per-team filter policies and the alert itself as JSON', () => {
    // Prepare
    const alert = failingAlert();

    // Act
    const { MessageAttributes } = buildSnsAlert(alert);

    // Assess
    expect(MessageAttributes.repository).toEqual({ DataType: 'String', StringValue: 'payments/api' });
    expect(MessageAttributes.team).toEqual({ DataType: 'String', StringValue: 'payments' });
    expect(MessageAttributes.verdict).toEqual({ DataType: 'String', StringValue: 'fail' });
    expect(MessageAttributes.highestSeverity).toEqual({ DataType: 'String', StringValue: 'CRITICAL' });
    expect(JSON.parse(MessageAttributes[ALERT_ATTRIBUTE].StringValue ?? '')).toEqual(alert);
  });

  it('reports highestSeverity NONE when nothing counts', () => {
    // Act
    const { MessageAttributes } = buildSnsAlert(
      failingAlert({ verdict: { result: 'pass', reason: 'pass: nothing above MEDIUM' } }),
    );

    // Assess
    expect(MessageAttributes.highestSeverity.StringValue).toBe('NONE');
  });
});

describe('ecrFindingsConsoleUrl', () => {
  it('builds the regional console link with the _ separator after a repository name with slashes', () => {
    // Act
    const url = ecrFindingsConsoleUrl({
      account: '111122223333',
      region: 'eu-west-1',
      repository: 'payments/api',
      digest: DIGEST,
    });

    // Assess
    expect(url).toBe(
      `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/111122223333/payments/api/_/image/${DIGEST}/scan-results?region=eu-west-1`,
    );
  });
});
