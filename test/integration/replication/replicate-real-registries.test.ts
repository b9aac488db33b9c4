import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SQSRecord } from 'aws-lambda';
import type { GatedReplicationRule } from '../../../shared/config/schema';
import type { AuditEntry } from '../../../shared/domain/types';
import { copyImage, type CopyOptions } from '../../../shared/oci/copy';
import type { ReplicationFailureAlert } from '../../../shared/notify/replication-failure-alert';
import { buildReplicationMessage } from '../../../shared/replication/build-message';
import {
  replicate,
  ReplicationFailedError,
  type ReplicationDeps,
} from '../../../shared/replication/replicate';
import { ReplicationLedger } from '../../../shared/replication/replication-ledger';
import { replicationRecordHandler } from '../../../shared/replication/replication-record';
import type { ImageState, StoredVerdict } from '../../../shared/state/image-state';
import { createStateTable, startDynalite, type DynaliteHandle } from '../../support/dynalite';
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

/** The real engine, with the ECR hosts the orchestration computes pointed at the local registries. */
function localCopy(source: RunningRegistry, dr: RunningRegistry) {
  const local: Record<string, string> = { [SOURCE_HOST]: source.host, [DR_HOST]: dr.host };
  const plain = new Set([source.host, dr.host]);
  return (options: CopyOptions) =>
    copyImage({
      ...options,
      source: { ...options.source, registry: local[options.source.registry] ?? options.source.registry },
      destination: {
        ...options.destination,
        registry: local[options.destination.registry] ?? options.destination.registry,
      },
      // Plain HTTP only for the local ECR stand-ins; anything else a message could name gets TLS.
      plainHttp: (host) => plain.has(host),
      insecureTls: true,
    });
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
    return {
      copy: localCopy(source, dr),
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

suite(
  'the replicator record handler with the real copy engine, a ledger in dynalite and a hostile registry',
  () => {
    let source: RunningRegistry;
    let dr: RunningRegistry;
    let external: RunningRegistry;
    let db: DynaliteHandle;
    let attacker: Server;
    let attackerHost: string;
    const attackerRequests: string[] = [];
    let work: string;
    let image: Descriptor;

    beforeAll(async () => {
      [source, dr, external, db] = await Promise.all([
        startRegistry(),
        startRegistry(),
        startRegistry({ tls: true, auth: AUTH }),
        startDynalite(),
      ]);
      await createStateTable(db.client, 'state');
      // A registry that answers everything and records who asked (and with which Authorization).
      attacker = createServer((req, res) => {
        attackerRequests.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
        res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerHost = `127.0.0.1:${(attacker.address() as AddressInfo).port}`;
      work = await mkdtemp(path.join(os.tmpdir(), 'hm-replicator-'));
      const layout = new OciLayout(path.join(work, 'layout'));
      image = await layout.addImage('v2.0.0', { layerSizes: [1024, 500_000] });
      await seed(layout.dir, 'v2.0.0', source, 'payments/api');
    });

    afterAll(async () => {
      await Promise.all([source?.stop(), dr?.stop(), external?.stop(), db?.close()]);
      await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
      if (work) await rm(work, { recursive: true, force: true });
    });

    const rule: GatedReplicationRule = {
      name: 'payments-dr',
      repositories: ['payments/*'],
      tagPatterns: ['v*'],
      maxSeverity: 'MEDIUM',
      destinations: [
        { type: 'ecr', region: 'us-east-1', repositoryPrefix: 'dr/' },
        {
          type: 'registry',
          host: '',
          repositoryPrefix: 'mirror/',
          credentialsSecret: 'harbormaster/external',
        },
      ],
    };

    function harness(verdict: StoredVerdict['result']) {
      const destinations = [rule.destinations[0], { ...rule.destinations[1], host: external.host }];
      const copy = localCopy(source, dr);
      const copies: string[] = [];
      const secretsRead: string[] = [];
      const audit = new MemoryAudit();
      const alerts: ReplicationFailureAlert[] = [];
      const handle = replicationRecordHandler({
        copy: async (options) => {
          copies.push(
            `${options.destination.registry}/${options.destination.repository}:${options.destination.tag}`,
          );
          return copy(options);
        },
        // The local stand-ins for ECR are anonymous.
        ecrCredentials: async () => undefined,
        audit,
        alert: async (alert) => void alerts.push(alert),
        readSecret: async (name) => {
          secretsRead.push(name);
          return { username: AUTH.username, password: AUTH.password };
        },
        config: {
          gatedReplication: [{ ...rule, destinations }],
          repositories: [{ name: 'payments/api' } as never],
        },
        deployment: SOURCE,
        state: {
          get: async (key): Promise<ImageState> => ({
            data: {
              ...key,
              verdict: {
                result: verdict,
                reason: verdict,
                ...(verdict === 'fail' ? { highestSeverity: 'CRITICAL' as const } : {}),
                counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
                findingSetHash: 'h',
                topFindings: [],
                scanner: 'basic',
                eventId: 'evt-1',
                time: TIME,
              },
            },
            parents: [],
            version: 1,
            done: ['evt-1'],
          }),
        },
        ledger: new ReplicationLedger(db.client, 'state'),
        log: { info: () => {}, error: () => {} },
        sleep: async () => {},
      });
      return { handle, copies, secretsRead, audit, alerts, destinations };
    }

    const sqs = (messageId: string, body: Record<string, unknown>): SQSRecord =>
      ({ messageId, body: JSON.stringify(body), attributes: { SentTimestamp: '1795395600000' } }) as never;
    const identity = (eventId: string) => ({
      version: 1,
      eventId,
      rule: 'payments-dr',
      repository: 'payments/api',
      digest: image.digest,
      tags: ['v2.0.0'],
    });

    it('sends nothing to a host the message names, and reads no secret for it', async () => {
      // Prepare: the forged message names the attacker with the rule's secret.
      const { handle, copies, secretsRead, audit } = harness('pass');
      const forged = {
        ...identity('evt-1'),
        destinations: [
          {
            type: 'registry',
            host: attackerHost,
            repositoryPrefix: '',
            credentialsSecret: 'harbormaster/external',
          },
        ],
      };

      // Act
      const attempt = handle(sqs('forged', forged));

      // Assess
      await expect(attempt).rejects.toThrow(/destinations\.0: not a destination of rule payments-dr/);
      expect(attackerRequests).toEqual([]);
      expect(secretsRead).toEqual([]);
      expect(copies).toEqual([]);
      expect(audit.rows).toEqual([]);
    });

    it('does not copy an image whose verdict fails', async () => {
      const { handle, copies, secretsRead, audit } = harness('fail');

      await expect(handle(sqs('m-fail', identity('evt-1')))).resolves.toEqual(
        expect.objectContaining({ status: 'skipped' }),
      );

      expect(copies).toEqual([]);
      expect(secretsRead).toEqual([]);
      expect(audit.rows.map((r) => [r.eventId, r.detail?.result])).toEqual([
        ['evt-1#payments-dr#skipped', 'skipped'],
      ]);
      await expect(inspectRaw(dr, `dr/payments/api@${image.digest}`)).rejects.toThrow();
    });

    it('copies a passing image once however often it is delivered', async () => {
      // Prepare
      const { handle, copies, secretsRead, audit } = harness('pass');

      // Act: a delivery, its duplicate, and another event's message for the same digest.
      await handle(sqs('m-1', identity('evt-1')));
      await handle(sqs('m-1', identity('evt-1')));
      await handle(sqs('m-2', identity('evt-1')));

      // Assess
      expect(copies).toEqual([
        `${DR_HOST}/dr/payments/api:v2.0.0`,
        `${external.host}/mirror/payments/api:v2.0.0`,
      ]);
      expect(secretsRead).toEqual(['harbormaster/external']);
      expect(audit.rows.map((r) => r.detail?.result)).toEqual(['succeeded', 'succeeded']);
      expect(await inspectRaw(external, 'mirror/payments/api:v2.0.0')).toBe(
        await inspectRaw(source, `payments/api@${image.digest}`),
      );
      expect(attackerRequests).toEqual([]);
    });
  },
);
