import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AuditEntry } from '../../../shared/domain/types';
import { copyImage, type CopyOptions } from '../../../shared/oci/copy';
import type { ReplicationFailureAlert } from '../../../shared/notify/replication-failure-alert';
import { buildReplicationMessage } from '../../../shared/replication/message';
import {
  replicate,
  ReplicationFailedError,
  type ReplicationDeps,
} from '../../../shared/replication/replicate';
import { OciLayout, type Descriptor } from '../../support/oci-layout';
import { haveTools, inspectRaw, seed, startRegistry, type RunningRegistry } from '../../support/registries';

const suite = haveTools() ? describe : describe.skip;
const AUTH = { username: 'replicator', password: 'r3plic:ate-Secret' };
const SOURCE = { account: '111122223333', region: 'eu-west-1' };
const SOURCE_HOST = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
const DR_HOST = '111122223333.dkr.ecr.us-east-1.amazonaws.com';
const TIME = '2026-11-23T01:00:00.000Z';

/** In-memory audit store with the real one's idempotency: the same key twice is a duplicate. */
class MemoryAudit {
  readonly rows: AuditEntry[] = [];
  async record(entry: AuditEntry) {
    if (this.rows.some((r) => r.eventId === entry.eventId && r.time === entry.time))
      return { duplicate: true };
    this.rows.push(entry);
    return { duplicate: false };
  }
  async withdraw() {}
}

suite('replicate() with the real copy engine between local registries', () => {
  let source: RunningRegistry; // stands in for the managed ECR registry (plain HTTP, anonymous)
  let dr: RunningRegistry; // stands in for an ECR destination region (plain HTTP)
  let external: RunningRegistry; // an external registry: TLS (self-signed) + htpasswd
  let work: string;
  let image: Descriptor;

  beforeAll(async () => {
    [source, dr, external] = await Promise.all([
      startRegistry(),
      startRegistry(),
      startRegistry({ tls: true, auth: AUTH }),
    ]);
    work = await mkdtemp(path.join(os.tmpdir(), 'hm-replicate-'));
    const layout = new OciLayout(path.join(work, 'layout'));
    image = await layout.addImage('v1.4.2', { layerSizes: [1024, 2_000_000] });
    await seed(layout.dir, 'v1.4.2', source, 'payments/api');
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), dr?.stop(), external?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The real engine, with the ECR hosts the orchestration computes pointed at the local registries. */
  function deps(
    audit: MemoryAudit,
    alerts: ReplicationFailureAlert[],
    externalPassword = AUTH.password,
  ): ReplicationDeps {
    const local: Record<string, string> = { [SOURCE_HOST]: source.host, [DR_HOST]: dr.host };
    const plain = new Set([source.host, dr.host]);
    return {
      copy: (options: CopyOptions) =>
        copyImage({
          ...options,
          source: { ...options.source, registry: local[options.source.registry] ?? options.source.registry },
          destination: {
            ...options.destination,
            registry: local[options.destination.registry] ?? options.destination.registry,
          },
          plainHttp: (host) => plain.has(host),
          insecureTls: true,
        }),
      // The local stand-ins for ECR are anonymous.
      ecrCredentials: async () => undefined,
      readSecret: async (name) => {
        if (name !== 'harbormaster/external') throw new Error(`unexpected secret ${name}`);
        return { username: AUTH.username, password: externalPassword };
      },
      audit,
      alert: async (alert) => void alerts.push(alert),
    };
  }

  const message = (eventId: string) =>
    buildReplicationMessage({
      eventId,
      rule: 'payments-dr',
      source: SOURCE,
      repository: 'payments/api',
      digest: image.digest,
      tags: ['v1.4.2'],
      destinations: [
        { type: 'ecr', region: 'us-east-1', repositoryPrefix: 'dr/' },
        {
          type: 'registry',
          host: external.host,
          repositoryPrefix: 'mirror/',
          credentialsSecret: 'harbormaster/external',
        },
      ],
    });

  it('copies to both destinations, digest-verified, then a redelivery moves no bytes and writes no new rows', async () => {
    // Prepare
    const audit = new MemoryAudit();
    const alerts: ReplicationFailureAlert[] = [];

    // Act
    const first = await replicate(message('evt-1'), deps(audit, alerts), { time: TIME });
    const again = await replicate(message('evt-1'), deps(audit, alerts), { time: TIME });

    // Assess
    expect(first.outcomes.map((o) => [o.result, o.bytesCopied > 2_000_000])).toEqual([
      ['succeeded', true],
      ['succeeded', true],
    ]);
    // The engine finds the manifest already there and moves nothing.
    expect(again.outcomes.map((o) => [o.result, o.bytesCopied, o.blobsCopied])).toEqual([
      ['succeeded', 0, 0],
      ['succeeded', 0, 0],
    ]);
    expect(JSON.parse(await inspectRaw(dr, 'dr/payments/api:v1.4.2'))).toEqual(
      JSON.parse(await inspectRaw(source, `payments/api@${image.digest}`)),
    );
    expect(await inspectRaw(external, `mirror/payments/api@${image.digest}`)).toBe(
      await inspectRaw(source, 'payments/api:v1.4.2'),
    );
    expect(audit.rows).toHaveLength(2);
    expect(audit.rows.map((r) => r.detail?.destination)).toEqual([
      `${DR_HOST}/dr/payments/api`,
      `${external.host}/mirror/payments/api`,
    ]);
    expect(alerts).toEqual([]);
  });

  it('a rejected push alerts once and fails the message, while the other destination is done', async () => {
    // Prepare
    const audit = new MemoryAudit();
    const alerts: ReplicationFailureAlert[] = [];

    // Act
    const attempt = replicate(message('evt-2'), deps(audit, alerts, 'wrong-password'), { time: TIME });

    // Assess
    await expect(attempt).rejects.toThrow(ReplicationFailedError);
    expect(audit.rows.map((r) => r.detail?.result)).toEqual(['succeeded', 'failed']);
    expect(audit.rows[1].detail?.errorCode).toBe('auth');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].message).toContain(`${external.host}/mirror/payments/api`);
    expect(alerts[0].message).not.toContain('wrong-password');
  });
});
