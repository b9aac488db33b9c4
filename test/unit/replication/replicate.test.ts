import type { AuditEntry } from '../../../shared/domain/types';
import { CopyError, type CopyOptions, type CopyResult } from '../../../shared/oci/copy';
import {
  REPLICATION_FAILED_VERDICT,
  type ReplicationFailureAlert,
} from '../../../shared/notify/replication-failure-alert';
import { buildReplicationMessage, type ReplicationMessage } from '../../../shared/replication/build-message';
import {
  replicate,
  ReplicationFailedError,
  type ReplicationDeps,
} from '../../../shared/replication/replicate';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'d'.repeat(64)}`;
const TIME = '2026-11-23T01:00:00.000Z';
const SRC_HOST = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
const DR_HOST = '111122223333.dkr.ecr.us-east-1.amazonaws.com';

function message(overrides: Partial<Parameters<typeof buildReplicationMessage>[0]> = {}): ReplicationMessage {
  return buildReplicationMessage({
    eventId: 'evt-42',
    rule: 'payments-releases-dr',
    source: { account: '111122223333', region: 'eu-west-1' },
    repository: 'payments/api',
    digest: DIGEST,
    tags: ['v1.4.2'],
    destinations: [
      { type: 'ecr', region: 'us-east-1' },
      {
        type: 'registry',
        host: 'ghcr.io',
        repositoryPrefix: 'example-org/',
        credentialsSecret: 'harbormaster/ghcr',
      },
    ],
    ...overrides,
  });
}

/** An audit store that behaves like the real one: a second record of the same key is a duplicate. */
class FakeAudit {
  readonly rows: AuditEntry[] = [];
  readonly withdrawn: string[] = [];
  private key = (e: Pick<AuditEntry, 'eventId' | 'action' | 'time'>) => `${e.time}#${e.action}#${e.eventId}`;
  async record(entry: AuditEntry) {
    if (this.rows.some((r) => this.key(r) === this.key(entry))) return { duplicate: true };
    this.rows.push(entry);
    return { duplicate: false };
  }
  async withdraw(entry: AuditEntry) {
    this.withdrawn.push(entry.eventId);
    const i = this.rows.findIndex((r) => this.key(r) === this.key(entry));
    if (i >= 0) this.rows.splice(i, 1);
  }
}

interface Harness {
  deps: ReplicationDeps;
  audit: FakeAudit;
  alerts: ReplicationFailureAlert[];
  copies: CopyOptions[];
}

function harness(
  copy: (options: CopyOptions) => Promise<CopyResult>,
  alert?: (a: ReplicationFailureAlert) => Promise<void>,
): Harness {
  const audit = new FakeAudit();
  const alerts: ReplicationFailureAlert[] = [];
  const copies: CopyOptions[] = [];
  let now = 1_000_000;
  const deps: ReplicationDeps = {
    copy: async (options) => {
      copies.push(options);
      now += 2500;
      return copy(options);
    },
    ecrCredentials: async () => ({ username: 'AWS', password: 'ecr-token' }),
    readSecret: async () => ({ username: 'bot', password: 'ghcr-secret' }),
    audit,
    alert: alert ?? (async (a) => void alerts.push(a)),
    teamOf: () => 'payments',
    clock: () => now,
  };
  return { deps, audit, alerts, copies };
}

const copied = (bytes: number, skipped = 0): CopyResult => ({
  digest: DIGEST,
  bytesCopied: bytes,
  blobsCopied: bytes > 0 ? 3 : 0,
  blobsSkipped: skipped,
  seconds: 2.5,
});

describe('replicate', () => {
  it('records a destination as done only after its audit row, and never a failed one', async () => {
    // Prepare: the DR copy succeeds, ghcr fails; the order of writes is what a crash could cut.
    const h = harness(async (o) => {
      if (o.destination.registry === 'ghcr.io') throw new CopyError('auth', 'ghcr.io: 401 Unauthorized');
      return copied(10);
    });
    const order: string[] = [];
    const audit = h.deps.audit;
    const deps: ReplicationDeps = {
      ...h.deps,
      audit: {
        record: async (row) => {
          order.push(`audit ${String(row.detail?.destination)} ${String(row.detail?.result)}`);
          return audit.record(row);
        },
        withdraw: (row) => audit.withdraw(row),
      },
      recordDone: async (destination) => void order.push(`done ${destination.type}`),
    };

    // Act
    const attempt = replicate(message(), deps, { time: TIME });

    // Assess
    await expect(attempt).rejects.toThrow(ReplicationFailedError);
    expect(order).toEqual([
      `audit ${DR_HOST}/payments/api succeeded`,
      'done ecr',
      'audit ghcr.io/example-org/payments/api failed',
    ]);
  });

  it('copies the scanned digest to every destination with the right credentials and audits each', async () => {
    // Prepare
    const h = harness(async () => copied(1_048_576, 1));

    // Act
    const report = await replicate(message(), h.deps, { time: TIME });

    // Assess
    expect(h.copies.map((c) => [c.source, c.destination])).toEqual([
      [
        { registry: SRC_HOST, repository: 'payments/api', digest: DIGEST },
        { registry: DR_HOST, repository: 'payments/api', tag: 'v1.4.2' },
      ],
      [
        { registry: SRC_HOST, repository: 'payments/api', digest: DIGEST },
        { registry: 'ghcr.io', repository: 'example-org/payments/api', tag: 'v1.4.2' },
      ],
    ]);
    const ghcrCreds = h.copies[1].destinationCredentials as (host: string) => Promise<unknown>;
    await expect(ghcrCreds('ghcr.io')).resolves.toEqual({ username: 'bot', password: 'ghcr-secret' });
    expect(h.copies[0].destinationCredentials).toBe(h.deps.ecrCredentials);
    expect(report.outcomes.map((o) => o.result)).toEqual(['succeeded', 'succeeded']);
    expect(h.audit.rows).toEqual([
      {
        repository: 'payments/api',
        digest: DIGEST,
        action: 'replicated',
        time: TIME,
        eventId: `evt-42#payments-releases-dr#${DR_HOST}/payments/api`,
        tags: ['v1.4.2'],
        detail: {
          rule: 'payments-releases-dr',
          destination: `${DR_HOST}/payments/api`,
          result: 'succeeded',
          bytesCopied: 1_048_576,
          blobsCopied: 3,
          blobsSkipped: 1,
          seconds: 2.5,
        },
      },
      expect.objectContaining({ eventId: 'evt-42#payments-releases-dr#ghcr.io/example-org/payments/api' }),
    ]);
    expect(h.alerts).toEqual([]);
    expect(JSON.stringify(h.audit.rows)).not.toMatch(/ghcr-secret|ecr-token/);
  });

  it('writes each tag after the first pass and copies by digest when there is no tag', async () => {
    const h = harness(async () => copied(0, 3));
    const twoTags = message({
      tags: ['v1.4.2', 'v1.4'],
      destinations: [{ type: 'ecr', region: 'us-east-1' }],
    });

    await replicate(twoTags, h.deps, { time: TIME });
    await replicate({ ...twoTags, eventId: 'evt-43', tags: [] }, h.deps, { time: TIME });

    expect(h.copies.map((c) => c.destination)).toEqual([
      { registry: DR_HOST, repository: 'payments/api', tag: 'v1.4.2' },
      { registry: DR_HOST, repository: 'payments/api', tag: 'v1.4' },
      { registry: DR_HOST, repository: 'payments/api', digest: DIGEST },
    ]);
    expect(h.audit.rows[0].detail).toMatchObject({ blobsSkipped: 3, bytesCopied: 0 });
  });

  it('treats an image already at the destination as a no-op and a redelivery writes no duplicate rows', async () => {
    // Prepare: the engine found every blob and the manifest already present.
    const h = harness(async () => copied(0, 4));

    // Act
    await replicate(message(), h.deps, { time: TIME });
    await replicate(message(), h.deps, { time: TIME });

    // Assess
    expect(h.audit.rows).toHaveLength(2);
    expect(h.audit.rows.map((r) => r.detail?.bytesCopied)).toEqual([0, 0]);
    expect(h.audit.rows.map((r) => r.detail?.blobsSkipped)).toEqual([4, 4]);
  });

  it('on a failed destination: keeps going, audits the failure, alerts once and throws', async () => {
    // Prepare
    const h = harness(async (options) => {
      if (options.destination.registry === 'ghcr.io')
        throw new CopyError('auth', 'ghcr.io answered 401 to a push of example-org/payments/api');
      return copied(10);
    });

    // Act
    const attempt = replicate(message(), h.deps, { time: TIME });

    // Assess
    await expect(attempt).rejects.toThrow(ReplicationFailedError);
    await expect(attempt).rejects.toThrow(
      'replication of payments/api@' +
        DIGEST +
        ' (rule payments-releases-dr) failed for 1 of 2 destination(s): ghcr.io/example-org/payments/api: ghcr.io answered 401',
    );
    expect(h.audit.rows.map((r) => [r.eventId, r.detail?.result, r.detail?.errorCode])).toEqual([
      [`evt-42#payments-releases-dr#${DR_HOST}/payments/api`, 'succeeded', undefined],
      ['evt-42#payments-releases-dr#ghcr.io/example-org/payments/api#failed', 'failed', 'auth'],
    ]);
    expect(h.alerts).toHaveLength(1);
    expect(h.alerts[0].attributes).toEqual({
      verdict: REPLICATION_FAILED_VERDICT,
      repository: 'payments/api',
      rule: 'payments-releases-dr',
      team: 'payments',
    });
    expect(h.alerts[0].message).toContain(
      '- ghcr.io/example-org/payments/api: ghcr.io answered 401 to a push of example-org/payments/api [auth]',
    );
    expect(h.alerts[0].message).toContain(`Succeeded:\n- ${DR_HOST}/payments/api`);
    expect(h.alerts[0].message).not.toMatch(/ghcr-secret|ecr-token/);
  });

  it('does not alert again when the retry fails the same way, but still throws', async () => {
    const h = harness(async () => {
      throw new CopyError('network', 'connection reset');
    });
    const single = message({ destinations: [{ type: 'ecr', region: 'us-east-1' }] });

    await expect(replicate(single, h.deps, { time: TIME })).rejects.toThrow(ReplicationFailedError);
    await expect(replicate(single, h.deps, { time: TIME })).rejects.toThrow(ReplicationFailedError);

    expect(h.alerts).toHaveLength(1);
    expect(h.audit.rows).toHaveLength(1);
  });

  it('withdraws the failure rows when the alert cannot be published, so the retry alerts', async () => {
    const h = harness(
      async () => {
        throw new CopyError('registry', 'HTTP 500');
      },
      async () => {
        throw new Error('SNS throttled');
      },
    );
    const single = message({ destinations: [{ type: 'ecr', region: 'us-east-1' }] });

    await expect(replicate(single, h.deps, { time: TIME })).rejects.toThrow(
      'its alert could not be published: SNS throttled',
    );

    expect(h.audit.withdrawn).toEqual([`evt-42#payments-releases-dr#${DR_HOST}/payments/api#failed`]);
    expect(h.audit.rows).toEqual([]);
  });

  it('fails a destination whose copy ends on another digest', async () => {
    const h = harness(async () => ({ ...copied(5), digest: OTHER_DIGEST }));
    const single = message({ destinations: [{ type: 'ecr', region: 'us-east-1' }] });

    await expect(replicate(single, h.deps, { time: TIME })).rejects.toThrow(
      `destination holds ${OTHER_DIGEST} after the copy`,
    );
    expect(h.audit.rows[0].detail?.result).toBe('failed');
  });

  it('reports each outcome as it completes', async () => {
    const h = harness(async () => copied(7));
    const seen: string[] = [];

    await replicate(
      message(),
      { ...h.deps, onOutcome: (o) => seen.push(`${o.destination}:${o.result}:${o.bytesCopied}`) },
      { time: TIME },
    );

    expect(seen).toEqual([
      `${DR_HOST}/payments/api:succeeded:7`,
      'ghcr.io/example-org/payments/api:succeeded:7',
    ]);
  });
});
