import type { ScanPolicy } from '../../../shared/config/schema';
import type { Finding, SeverityCounts } from '../../../shared/domain/types';
import { decideVerdict, isAllowlistEntryActive, needsFindingDetails } from '../../../shared/policy/verdict';

const zero: SeverityCounts = { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
const counts = (c: Partial<SeverityCounts>): SeverityCounts => ({ ...zero, ...c });
const policy = (p: Partial<ScanPolicy>): ScanPolicy => ({
  maxSeverity: 'MEDIUM',
  allowlist: [],
  promoteTo: [],
  quarantine: false,
  ...p,
});
const NOW = new Date('2026-11-23T12:00:00Z');
const allow = (id: string, expires: string) => ({ id, reason: 'not reachable', expires });
const finding = (id: string, severity: Finding['severity']): Finding => ({ id, severity });

describe('decideVerdict: thresholds', () => {
  it.each<
    [string, Partial<SeverityCounts>, ScanPolicy['maxSeverity'], 'pass' | 'fail', Partial<SeverityCounts>]
  >([
    ['no findings pass any threshold', {}, 'NONE', 'pass', {}],
    ['MEDIUM tolerates MEDIUM', { MEDIUM: 3, LOW: 9 }, 'MEDIUM', 'pass', {}],
    ['MEDIUM fails on HIGH', { HIGH: 1, MEDIUM: 3 }, 'MEDIUM', 'fail', { HIGH: 1 }],
    ['HIGH tolerates HIGH', { HIGH: 4 }, 'HIGH', 'pass', {}],
    ['HIGH fails on CRITICAL', { CRITICAL: 1, HIGH: 4 }, 'HIGH', 'fail', { CRITICAL: 1 }],
    ['CRITICAL tolerates everything', { CRITICAL: 9 }, 'CRITICAL', 'pass', {}],
    ['LOW fails on MEDIUM', { MEDIUM: 1, LOW: 2 }, 'LOW', 'fail', { MEDIUM: 1 }],
    ['INFORMATIONAL fails on LOW', { LOW: 1, INFORMATIONAL: 5 }, 'INFORMATIONAL', 'fail', { LOW: 1 }],
    ['INFORMATIONAL tolerates UNDEFINED', { UNDEFINED: 2 }, 'INFORMATIONAL', 'pass', {}],
    ['NONE fails on a single INFORMATIONAL', { INFORMATIONAL: 1 }, 'NONE', 'fail', { INFORMATIONAL: 1 }],
    ['NONE fails on UNDEFINED', { UNDEFINED: 1 }, 'NONE', 'fail', { UNDEFINED: 1 }],
  ])('%s', (_name, c, maxSeverity, result, blocking) => {
    // Act
    const verdict = decideVerdict({ counts: counts(c), policy: policy({ maxSeverity }), now: NOW });
    // Assess
    expect(verdict.result).toBe(result);
    expect(verdict.blockingCounts).toEqual(counts(blocking));
  });

  it('reports the highest severity even when it does not block', () => {
    const verdict = decideVerdict({ counts: counts({ MEDIUM: 2, LOW: 1 }), policy: policy({}), now: NOW });
    expect(verdict).toEqual({
      result: 'pass',
      highestSeverity: 'MEDIUM',
      blockingCounts: zero,
      allowlisted: [],
      reason: 'pass: no finding above threshold MEDIUM (highest MEDIUM)',
    });
  });

  it('leaves highestSeverity out when there is no finding', () => {
    const verdict = decideVerdict({ counts: zero, policy: policy({}), now: NOW });
    expect(verdict).not.toHaveProperty('highestSeverity');
    expect(verdict.reason).toBe('pass: no finding above threshold MEDIUM');
  });

  it('says why it fails, most severe first', () => {
    const verdict = decideVerdict({
      counts: counts({ CRITICAL: 2, HIGH: 1, MEDIUM: 7 }),
      policy: policy({}),
      now: NOW,
    });
    expect(verdict.reason).toBe('fail: 2 CRITICAL, 1 HIGH above threshold MEDIUM');
    expect(verdict.highestSeverity).toBe('CRITICAL');
  });

  it('words the NONE threshold plainly', () => {
    expect(
      decideVerdict({ counts: counts({ LOW: 3 }), policy: policy({ maxSeverity: 'NONE' }), now: NOW }).reason,
    ).toBe('fail: 3 LOW (threshold NONE tolerates no finding)');
    expect(decideVerdict({ counts: zero, policy: policy({ maxSeverity: 'NONE' }), now: NOW }).reason).toBe(
      'pass: no findings',
    );
  });
});

describe('decideVerdict: allowlist', () => {
  const failing = counts({ CRITICAL: 1, MEDIUM: 1 });
  const findings = [finding('CVE-2023-45853', 'CRITICAL'), finding('CVE-2024-0001', 'MEDIUM')];

  it.each([
    ['well before expiry', '2026-11-23T12:00:00Z', 'pass'],
    ['at the first instant of the expiry day', '2027-03-31T00:00:00Z', 'pass'],
    ['at the last millisecond of the expiry day (UTC)', '2027-03-31T23:59:59.999Z', 'pass'],
    ['at midnight after the expiry day', '2027-04-01T00:00:00Z', 'fail'],
    ['long after expiry', '2028-01-01T00:00:00Z', 'fail'],
  ])('an entry expiring 2027-03-31 %s -> %s', (_name, now, result) => {
    // Prepare
    const p = policy({ allowlist: [allow('CVE-2023-45853', '2027-03-31')] });
    // Act
    const verdict = decideVerdict({ counts: failing, findings, policy: p, now: new Date(now) });
    // Assess
    expect(verdict.result).toBe(result);
    expect(verdict.allowlisted).toEqual(result === 'pass' ? ['CVE-2023-45853'] : []);
  });

  it('excuses only the findings it names and says which', () => {
    const p = policy({ allowlist: [allow('CVE-2023-45853', '2027-03-31')] });
    const verdict = decideVerdict({
      counts: counts({ CRITICAL: 2 }),
      findings: [finding('CVE-2023-45853', 'CRITICAL'), finding('CVE-2025-1111', 'CRITICAL')],
      policy: p,
      now: NOW,
    });
    expect(verdict).toEqual({
      result: 'fail',
      highestSeverity: 'CRITICAL',
      blockingCounts: counts({ CRITICAL: 1 }),
      allowlisted: ['CVE-2023-45853'],
      reason: 'fail: 1 CRITICAL above threshold MEDIUM; allowlisted: CVE-2023-45853',
    });
  });

  it('matches ids case-insensitively and reports the id as configured', () => {
    const p = policy({ allowlist: [allow('CVE-2023-45853', '2027-03-31')] });
    const verdict = decideVerdict({
      counts: counts({ HIGH: 1 }),
      findings: [finding('cve-2023-45853', 'HIGH')],
      policy: p,
      now: NOW,
    });
    expect(verdict.result).toBe('pass');
    expect(verdict.allowlisted).toEqual(['CVE-2023-45853']);
  });

  it('cannot apply with counts only (no finding list)', () => {
    const p = policy({ allowlist: [allow('CVE-2023-45853', '2027-03-31')] });
    expect(decideVerdict({ counts: counts({ CRITICAL: 1 }), policy: p, now: NOW }).result).toBe('fail');
  });

  it('keeps blocking what a partial finding list does not show', () => {
    const p = policy({ allowlist: [allow('CVE-2023-45853', '2027-03-31')] });
    const verdict = decideVerdict({
      counts: counts({ HIGH: 3 }),
      findings: [finding('CVE-2023-45853', 'HIGH')],
      policy: p,
      now: NOW,
    });
    expect(verdict.blockingCounts).toEqual(counts({ HIGH: 2 }));
  });
});

describe('decideVerdict: basic vs enhanced counts', () => {
  it('basic counts are complete: no uncounted findings', () => {
    expect(
      decideVerdict({
        counts: counts({ LOW: 4 }),
        policy: policy({ maxSeverity: 'INFORMATIONAL' }),
        now: NOW,
      }).result,
    ).toBe('fail');
  });

  it('enhanced: uncounted findings (LOW at most) pass a LOW threshold', () => {
    const verdict = decideVerdict({
      counts: zero,
      uncountedFindings: 7,
      policy: policy({ maxSeverity: 'LOW' }),
      now: NOW,
    });
    expect(verdict.result).toBe('pass');
  });

  it('enhanced: uncounted findings fail INFORMATIONAL closed and say so', () => {
    const verdict = decideVerdict({
      counts: zero,
      uncountedFindings: 7,
      policy: policy({ maxSeverity: 'INFORMATIONAL' }),
      now: NOW,
    });
    expect(verdict.result).toBe('fail');
    expect(verdict.reason).toBe(
      'fail: 7 LOW above threshold INFORMATIONAL (7 finding(s) of unreported severity counted as LOW; finding details would make this exact)',
    );
  });

  it('enhanced: finding details settle the uncounted severities', () => {
    const verdict = decideVerdict({
      counts: zero,
      uncountedFindings: 2,
      findings: [finding('CVE-1', 'INFORMATIONAL'), finding('CVE-2', 'UNDEFINED')],
      policy: policy({ maxSeverity: 'INFORMATIONAL' }),
      now: NOW,
    });
    expect(verdict.result).toBe('pass');
    expect(verdict.highestSeverity).toBe('INFORMATIONAL');
  });
});

describe('needsFindingDetails', () => {
  const withAllow = policy({ allowlist: [allow('CVE-2023-45853', '2027-03-31')] });
  it.each<[string, Partial<SeverityCounts>, ScanPolicy, number, boolean]>([
    ['a passing scan costs no extra call', { MEDIUM: 5 }, withAllow, 0, false],
    ['a certain failure without an allowlist costs no extra call', { HIGH: 1 }, policy({}), 0, false],
    ['blocking counts with an allowlist need details', { HIGH: 1 }, withAllow, 0, true],
    [
      'uncounted findings under INFORMATIONAL need details',
      {},
      policy({ maxSeverity: 'INFORMATIONAL' }),
      3,
      true,
    ],
    ['uncounted findings under LOW do not', {}, policy({ maxSeverity: 'LOW' }), 3, false],
    [
      'uncounted findings under NONE fail for certain without an allowlist',
      {},
      policy({ maxSeverity: 'NONE' }),
      3,
      false,
    ],
    [
      'uncounted findings under NONE with an allowlist need details',
      {},
      { ...withAllow, maxSeverity: 'NONE' },
      3,
      true,
    ],
  ])('%s', (_name, c, p, uncounted, expected) => {
    expect(needsFindingDetails(counts(c), p, uncounted)).toBe(expected);
  });

  it('ignores expired allowlist entries when given the time', () => {
    const expired = policy({ allowlist: [allow('CVE-2023-45853', '2026-01-31')] });
    expect(needsFindingDetails(counts({ HIGH: 1 }), expired, 0, NOW)).toBe(false);
    expect(needsFindingDetails(counts({ HIGH: 1 }), expired, 0)).toBe(true);
  });
});

describe('isAllowlistEntryActive', () => {
  it('applies through the whole expiry day in UTC', () => {
    const entry = allow('CVE-1', '2027-03-31');
    expect(isAllowlistEntryActive(entry, new Date('2027-03-31T23:59:59Z'))).toBe(true);
    expect(isAllowlistEntryActive(entry, new Date('2027-04-01T00:00:00Z'))).toBe(false);
    // 2027-03-31 23:30 in New York is already 04-01 in UTC: expired.
    expect(isAllowlistEntryActive(entry, new Date('2027-03-31T23:30:00-04:00'))).toBe(false);
  });
});
