import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { RegistryStack } from '../../../infra/stacks/registry-stack';
import { allowlistExpiries } from '../../../shared/config/allowlist-expiry';
import { parseConfig } from '../../../shared/config/load';
import type { HarbormasterConfig } from '../../../shared/config/schema';
import { decideVerdict } from '../../../shared/policy/verdict';
import { emptyCounts } from '../../../shared/policy/severity';

const entry = (id: string, expires: string) => ({ id, reason: 'not reachable', expires });

function configWith(allowlist: ReturnType<typeof entry>[]): HarbormasterConfig {
  return parseConfig({
    env: { region: 'eu-west-1', account: '111122223333' },
    teams: { payments: {} },
    repositories: [
      { name: 'payments/api', team: 'payments', scan: { maxSeverity: 'MEDIUM', allowlist } },
      { name: 'payments/worker', team: 'payments' },
    ],
  });
}

const NOW = new Date('2027-03-01T10:00:00Z');
const ALLOWLIST = [
  entry('CVE-2026-0001', '2027-02-28'), // expired yesterday
  entry('CVE-2026-0002', '2027-03-01'), // today is its last day
  entry('CVE-2026-0003', '2027-03-31'), // 30 days left: warned
  entry('CVE-2026-0004', '2027-04-01'), // 31 days left: quiet
];

describe('allowlistExpiries', () => {
  it('lists expired entries and those expiring within 30 days, judged by the given clock', () => {
    // Act
    const expiries = allowlistExpiries(configWith(ALLOWLIST), NOW);

    // Assess
    expect(expiries.map((e) => [e.id, e.status, e.daysLeft])).toEqual([
      ['CVE-2026-0001', 'expired', -1],
      ['CVE-2026-0002', 'expiring', 0],
      ['CVE-2026-0003', 'expiring', 30],
    ]);
    expect(expiries.map((e) => e.message)).toEqual([
      'repositories[0].scan.allowlist[0] (payments/api): allowlist entry CVE-2026-0001 expired on 2027-02-28: its findings fail images again; renew it with a new date or remove it',
      'repositories[0].scan.allowlist[1] (payments/api): allowlist entry CVE-2026-0002 expires on 2027-03-01 (today is its last day); renew it or fix the finding',
      'repositories[0].scan.allowlist[2] (payments/api): allowlist entry CVE-2026-0003 expires on 2027-03-31 (in 30 day(s)); renew it or fix the finding',
    ]);
  });

  it('says nothing when every entry has more than 30 days left', () => {
    expect(allowlistExpiries(configWith([entry('CVE-2026-0004', '2027-04-01')]), NOW)).toEqual([]);
  });
});

describe('synth warnings for lapsing allowlist entries', () => {
  function registry(context: Record<string, string>, now?: Date) {
    const app = new App({ context });
    return new RegistryStack(app, 'HarbormasterRegistry', {
      env: { region: 'eu-west-1', account: '111122223333' },
      config: configWith(ALLOWLIST),
      ...(now ? { now } : {}),
    });
  }

  it('annotates the repository with one warning per expired or expiring entry (clock from props)', () => {
    // Act
    const annotations = Annotations.fromStack(registry({}, NOW));

    // Assess
    const warnings = annotations.findWarning('*', Match.stringLikeRegexp('allowlist entry'));
    expect(warnings.map((w) => [w.id, String(w.entry.data).replace(/ \[ack: .*\]$/, '')])).toEqual([
      [
        '/HarbormasterRegistry/PaymentsApi',
        'repositories[0].scan.allowlist[0] (payments/api): allowlist entry CVE-2026-0001 expired on 2027-02-28: its findings fail images again; renew it with a new date or remove it',
      ],
      [
        '/HarbormasterRegistry/PaymentsApi',
        'repositories[0].scan.allowlist[1] (payments/api): allowlist entry CVE-2026-0002 expires on 2027-03-01 (today is its last day); renew it or fix the finding',
      ],
      [
        '/HarbormasterRegistry/PaymentsApi',
        'repositories[0].scan.allowlist[2] (payments/api): allowlist entry CVE-2026-0003 expires on 2027-03-31 (in 30 day(s)); renew it or fix the finding',
      ],
    ]);
  });

  it('takes the clock from the harbormaster:now context (as `cdk synth -c harbormaster:now=...`)', () => {
    // Act: two months earlier, nothing lapses yet.
    const early = Annotations.fromStack(registry({ 'harbormaster:now': '2027-01-01' }));
    const late = Annotations.fromStack(registry({ 'harbormaster:now': '2027-05-01' }));

    // Assess
    expect(early.findWarning('*', Match.stringLikeRegexp('allowlist entry'))).toHaveLength(0);
    expect(late.findWarning('*', Match.stringLikeRegexp('expired on'))).toHaveLength(4);
  });

  it('refuses a harbormaster:now that is not a date', () => {
    expect(() => registry({ 'harbormaster:now': 'soon' })).toThrow(
      'context harbormaster:now: expected an ISO date such as 2027-03-01, got soon',
    );
  });
});

describe('the verdict names a lapsed allowlist entry', () => {
  const policy = configWith([entry('CVE-2026-0001', '2027-02-28'), entry('CVE-2026-0009', '2027-02-01')])
    .repositories[0].scan;
  const counts = { ...emptyCounts(), HIGH: 1, LOW: 1 };
  const finding = (id: string, severity: 'HIGH' | 'LOW') => ({ id, severity, packageName: 'zlib' });

  it('with finding details: names the lapsed entry whose finding now blocks, not the others', () => {
    // Act
    const verdict = decideVerdict({
      counts,
      findings: [finding('CVE-2026-0001', 'HIGH'), finding('CVE-2026-0009', 'LOW')],
      policy,
      now: NOW,
    });

    // Assess
    expect(verdict.result).toBe('fail');
    expect(verdict.reason).toBe(
      'fail: 1 HIGH above threshold MEDIUM; allowlist expired: CVE-2026-0001 (2027-02-28)',
    );
  });

  it('with counts only: names every lapsed entry, as any of them may be why', () => {
    expect(decideVerdict({ counts, policy, now: NOW }).reason).toBe(
      'fail: 1 HIGH above threshold MEDIUM; allowlist expired: CVE-2026-0001 (2027-02-28), CVE-2026-0009 (2027-02-01)',
    );
  });

  it('says nothing of the allowlist while the entry applies', () => {
    const verdict = decideVerdict({
      counts,
      findings: [finding('CVE-2026-0001', 'HIGH')],
      policy,
      now: new Date('2027-02-20T00:00:00Z'),
    });
    expect(verdict.reason).toBe(
      'pass: no finding above threshold MEDIUM (highest LOW); allowlisted: CVE-2026-0001',
    );
  });
});
