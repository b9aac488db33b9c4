import type {
  Finding,
  FindingEvent,
  ImageEvent,
  NormalizedEvent,
  ScanEvent,
} from '../../../shared/domain/types';
import { parseEvent } from '../../../shared/events';
import { findingSetHash } from '../../../shared/policy/findings-diff';
import {
  planEvent,
  planImageEvent,
  planScanEvent,
  type Action,
  type PlanContext,
} from '../../../shared/policy/plan';
import { fixture, type RawEvent } from '../events/fixtures';
import { testConfig } from './config';

const config = testConfig();
const NOW = new Date('2026-11-23T12:00:00Z');
const ctx = (extra: Partial<PlanContext> = {}): PlanContext => ({ config, now: NOW, ...extra });
const zero = { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };

function event<T extends NormalizedEvent>(name: string, mutate?: (e: RawEvent) => void): T {
  const raw = fixture(name);
  mutate?.(raw);
  const parsed = parseEvent(raw);
  if ('ignored' in parsed) throw new Error(`fixture ${name} is ignored: ${parsed.ignored}`);
  return parsed as T;
}
const types = (actions: unknown): string[] =>
  (actions as Action[]).map((a) => (a.type === 'audit' ? `audit:${a.action}` : a.type));

describe('planImageEvent', () => {
  it('push: audit, then the semver cascade', () => {
    expect(planImageEvent(event<ImageEvent>('ecr-image-push'), ctx())).toEqual([
      {
        type: 'audit',
        action: 'pushed',
        detail: { tags: ['v1.4.2'], mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      },
      { type: 'tag', reason: 'auto-tag', tags: ['v1.4', 'v1', 'latest'], audit: 'tagged' },
    ]);
  });

  it('push: uses the repository tags the handler fetched', () => {
    const actions = planImageEvent(
      event<ImageEvent>('ecr-image-push'),
      ctx({ existingTags: ['v2.0.0', 'v1.4.1'] }),
    );
    expect(actions).toContainEqual({
      type: 'tag',
      reason: 'auto-tag',
      tags: ['v1.4', 'v1'],
      audit: 'tagged',
    });
  });

  it('push: a pattern rule', () => {
    expect(types(planImageEvent(event<ImageEvent>('ecr-image-push-git'), ctx()))).toEqual([
      'audit:pushed',
      'tag',
    ]);
    expect(planImageEvent(event<ImageEvent>('ecr-image-push-git'), ctx())).toContainEqual({
      type: 'tag',
      reason: 'auto-tag',
      tags: ['sha-3f2a1bc'],
      audit: 'tagged',
    });
  });

  it('push by digest: one audit row and nothing else (1 write)', () => {
    expect(planImageEvent(event<ImageEvent>('ecr-image-push-by-digest'), ctx())).toEqual([
      { type: 'audit', action: 'pushed', detail: { tags: [] } },
    ]);
  });

  it('push to a repository without tag rules: one audit row', () => {
    const e = event<ImageEvent>('ecr-image-push', (r) => (r.detail['repository-name'] = 'platform/tools'));
    expect(types(planImageEvent(e, ctx()))).toEqual(['audit:pushed']);
  });

  it('unmanaged repository: ignored with the reason', () => {
    expect(planImageEvent(event<ImageEvent>('ecr-image-push-unmanaged'), ctx())).toEqual({
      ignored: 'repository sandbox/experiment is not managed by Harbormaster',
    });
  });

  it('delete: audit deleted', () => {
    expect(planImageEvent(event<ImageEvent>('ecr-image-delete'), ctx())).toEqual([
      { type: 'audit', action: 'deleted', detail: { tags: ['pr-1287'] } },
    ]);
  });

  it('archive: audit storage-class-changed', () => {
    expect(planImageEvent(event<ImageEvent>('ecr-image-archive'), ctx())).toEqual([
      {
        type: 'audit',
        action: 'storage-class-changed',
        detail: { tags: ['2025.10.1'], storageClass: 'ARCHIVE' },
      },
    ]);
  });

  it.each([
    ['ecr-replication-success', 'SUCCESS', ['v1.4.2']],
    ['ecr-replication-failed', 'FAILED', []],
  ])('%s: audit replicated with the result', (name, result, tags) => {
    expect(planEvent(event(name), ctx())).toEqual([
      {
        type: 'audit',
        action: 'replicated',
        detail: { via: 'ecr-native-replication', result, region: 'eu-central-1', tags },
      },
    ]);
  });
});

describe('planScanEvent: basic scan', () => {
  it('failing scan: audit, verdict, quarantine, alert', () => {
    // Act
    const actions = planScanEvent(event<ScanEvent>('ecr-image-scan-basic'), ctx());
    // Assess
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict', 'untag', 'notify']);
    expect((actions as Action[])[2]).toEqual({
      type: 'untag',
      reason: 'quarantine',
      tags: ['v1', 'v1.4', 'v1.4.2'],
      audit: 'quarantined',
    });
    expect((actions as Action[])[3]).toMatchObject({
      type: 'notify',
      topic: 'findings',
      team: 'payments',
      verdict: 'fail',
      highestSeverity: 'HIGH',
      reason: 'fail: 2 HIGH above threshold MEDIUM',
      severityCounts: { ...zero, HIGH: 2, MEDIUM: 3, LOW: 5 },
      newFindings: [],
      fixedFindings: [],
      quarantinedTags: ['v1', 'v1.4', 'v1.4.2'],
      audit: 'notified',
    });
  });

  it('the allowlist turns it into a pass: promote and replicate', () => {
    // Prepare
    const findings: Finding[] = [
      {
        id: 'CVE-2023-45853',
        severity: 'HIGH',
        packageName: 'zlib',
        installedVersion: '1.2.13',
        fixedVersion: '1.3.1',
      },
      { id: 'CVE-2023-45853', severity: 'HIGH', packageName: 'zlib-dev', installedVersion: '1.2.13' },
    ];
    // Act
    const actions = planScanEvent(event<ScanEvent>('ecr-image-scan-basic'), ctx({ findings }));
    // Assess
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict', 'tag', 'replicate']);
    expect((actions as Action[])[1]).toMatchObject({
      detail: { result: 'pass', allowlisted: ['CVE-2023-45853'], findingDetails: true },
    });
    expect((actions as Action[])[2]).toEqual({
      type: 'tag',
      reason: 'promotion',
      tags: ['scanned'],
      audit: 'promoted',
    });
    expect((actions as Action[])[3]).toEqual({
      type: 'replicate',
      rule: 'payments-releases-dr',
      destinations: config.gatedReplication[0].destinations,
      tags: ['v1', 'v1.4', 'v1.4.2'],
    });
  });

  it('clean scan: promotion tags and gated replication', () => {
    const actions = planScanEvent(event<ScanEvent>('ecr-image-scan-basic-clean'), ctx());
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict', 'tag', 'replicate']);
    expect((actions as Action[])[2]).toEqual({
      type: 'tag',
      reason: 'promotion',
      tags: ['approved'],
      audit: 'promoted',
    });
    expect((actions as Action[])[3]).toMatchObject({ tags: ['v2', 'v2.0', 'v2.0.1'] });
  });

  it('A4: a re-scan with the same findings alerts no one (but still quarantines, idempotently)', () => {
    const findings: Finding[] = [
      { id: 'CVE-2025-1111', severity: 'HIGH' },
      { id: 'CVE-2025-2222', severity: 'HIGH' },
    ];
    const actions = planScanEvent(
      event<ScanEvent>('ecr-image-scan-basic'),
      ctx({ findings, previousFindingIds: ['CVE-2025-2222', 'CVE-2025-1111'] }),
    );
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict', 'untag']);
  });

  it('A4: a changed set alerts with new and fixed ids, top findings and the ids to store', () => {
    const findings: Finding[] = [
      {
        id: 'CVE-2025-1111',
        severity: 'HIGH',
        packageName: 'openssl',
        installedVersion: '3.0.1',
        fixedVersion: '3.0.13',
      },
      { id: 'CVE-2025-3333', severity: 'HIGH', packageName: 'curl', installedVersion: '8.0.0' },
      { id: 'CVE-2025-0100', severity: 'MEDIUM' },
    ];
    const actions = planScanEvent(
      event<ScanEvent>('ecr-image-scan-basic'),
      ctx({ findings, previousFindingIds: ['CVE-2025-1111', 'CVE-2020-0001'] }),
    );
    const notify = (actions as Action[]).find((a) => a.type === 'notify');
    expect(notify).toMatchObject({
      newFindings: ['CVE-2025-0100', 'CVE-2025-3333'],
      fixedFindings: ['CVE-2020-0001'],
      topFindings: [findings[0], findings[1]],
      findingIds: ['CVE-2025-0100', 'CVE-2025-1111', 'CVE-2025-3333'],
      findingSetHash: findingSetHash(findings),
    });
  });

  it('A4 with counts only: the counts fingerprint stands in for the set', () => {
    const first = planScanEvent(event<ScanEvent>('ecr-image-scan-basic'), ctx()) as Action[];
    const hash = (first.find((a) => a.type === 'notify') as { findingSetHash: string }).findingSetHash;
    expect(
      types(planScanEvent(event<ScanEvent>('ecr-image-scan-basic'), ctx({ previousFindingSetHash: hash }))),
    ).not.toContain('notify');
    expect(
      types(
        planScanEvent(
          event<ScanEvent>('ecr-image-scan-basic'),
          ctx({ previousFindingSetHash: 'sha256:other' }),
        ),
      ),
    ).toContain('notify');
  });

  it('alerts on every failing scan when newFindingsOnly is off', () => {
    const all = { ...config, notifications: { ...config.notifications, newFindingsOnly: false } };
    const findings: Finding[] = [{ id: 'CVE-2025-1111', severity: 'HIGH' }];
    const actions = planScanEvent(event<ScanEvent>('ecr-image-scan-basic'), {
      config: all,
      now: NOW,
      findings,
      previousFindingIds: ['CVE-2025-1111'],
    });
    expect(types(actions)).toContain('notify');
  });

  it('unmanaged repository: ignored', () => {
    const e = event<ScanEvent>(
      'ecr-image-scan-basic',
      (r) => (r.detail['repository-name'] = 'sandbox/experiment'),
    );
    expect(planScanEvent(e, ctx())).toEqual({
      ignored: 'repository sandbox/experiment is not managed by Harbormaster',
    });
  });
});

describe('planScanEvent: enhanced scanning', () => {
  it('Inspector2 Scan under a LOW threshold fails on HIGH/MEDIUM and quarantines the release tag', () => {
    const actions = planScanEvent(event<ScanEvent>('inspector2-scan'), ctx()) as Action[];
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict', 'untag', 'notify']);
    expect(actions[0]).toEqual({
      type: 'audit',
      action: 'scanned',
      detail: { scanner: 'enhanced', severityCounts: { ...zero, HIGH: 1, MEDIUM: 4 }, uncountedFindings: 7 },
    });
    expect(actions[2]).toMatchObject({ tags: ['22.11.0'] });
    expect(actions[3]).toMatchObject({ team: 'platform', highestSeverity: 'HIGH' });
  });

  it('Inspector2 Finding ACTIVE and above the threshold: fail, quarantine, alert the new id', () => {
    const actions = planScanEvent(event<FindingEvent>('inspector2-finding'), ctx()) as Action[];
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict', 'untag', 'notify']);
    expect(actions[0]).toEqual({
      type: 'audit',
      action: 'scanned',
      detail: { scanner: 'enhanced', finding: 'CVE-2022-37434', severity: 'CRITICAL', status: 'ACTIVE' },
    });
    expect(actions[3]).toMatchObject({
      newFindings: ['CVE-2022-37434'],
      topFindings: [
        {
          id: 'CVE-2022-37434',
          severity: 'CRITICAL',
          packageName: 'zlib',
          installedVersion: '1.2.12-r1',
          fixedVersion: '1.2.12-r2',
        },
      ],
    });
  });

  it('Inspector2 Finding already alerted: no second alert', () => {
    const actions = planScanEvent(
      event<FindingEvent>('inspector2-finding'),
      ctx({ previousFindingIds: ['CVE-2022-37434'] }),
    );
    expect(types(actions)).not.toContain('notify');
  });

  it('Inspector2 Finding CLOSED: audit only, never a promotion from one finding', () => {
    const actions = planScanEvent(
      event<FindingEvent>('inspector2-finding', (r) => (r.detail.status = 'CLOSED')),
      ctx(),
    );
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict']);
  });

  it('Inspector2 Finding that is allowlisted: pass, no alert', () => {
    const e = event<FindingEvent>(
      'inspector2-finding',
      (r) => (r.detail.packageVulnerabilityDetails.vulnerabilityId = 'CVE-2023-45853'),
    );
    const actions = planScanEvent(e, ctx()) as Action[];
    expect(types(actions)).toEqual(['audit:scanned', 'audit:verdict']);
    expect(actions[1]).toMatchObject({ detail: { result: 'pass', allowlisted: ['CVE-2023-45853'] } });
  });
});

describe('planScanEvent: Inspector2 Finding with the image finding list', () => {
  it('judges the whole image from the fetched list', () => {
    const findings: Finding[] = [
      { id: 'CVE-2022-37434', severity: 'CRITICAL' },
      { id: 'CVE-2025-1111', severity: 'HIGH' },
    ];
    const actions = planScanEvent(event<FindingEvent>('inspector2-finding'), ctx({ findings })) as Action[];
    expect(actions[1]).toMatchObject({
      detail: { result: 'fail', blockingCounts: { ...zero, CRITICAL: 1, HIGH: 1 } },
    });
  });

  it('counts the event finding when the fetched list does not show it yet', () => {
    const actions = planScanEvent(
      event<FindingEvent>('inspector2-finding'),
      ctx({ findings: [] }),
    ) as Action[];
    expect(actions[1]).toMatchObject({ detail: { result: 'fail', highestSeverity: 'CRITICAL' } });
  });

  it('a CLOSED finding with a clean list: pass, and still no promotion', () => {
    const e = event<FindingEvent>('inspector2-finding', (r) => (r.detail.status = 'CLOSED'));
    expect(types(planScanEvent(e, ctx({ findings: [] })))).toEqual(['audit:scanned', 'audit:verdict']);
  });
});
