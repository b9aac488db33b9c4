import { PublishCommand } from '@aws-sdk/client-sns';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BusEvent } from '../../sandbox/event-bus';
import { Sandbox } from '../../sandbox/sandbox';
import { pushEvent, scanEvent, scanFindings } from '../../sandbox/scenario';
import { SKOPEO } from '../../sandbox/tools';
import { haveSandboxTools } from './support';

/**
 * End to end on the synthesized stacks: one sandbox (synth of the shipped example, moto, local registries,
 * the four functions from their bundles) for the whole file, so the suite stays within seconds of the synth.
 */

const run = promisify(execFile);
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(__dirname, '../fixtures/events', `${name}.json`), 'utf8')) as BusEvent;
const available = haveSandboxTools([SKOPEO]);
const suite = available ? describe : describe.skip;

suite('Harbormaster on the sandbox', () => {
  let sandbox: Sandbox;
  /** The function (Powertools service) each rule's target queue feeds. */
  const servicesOf = (rules: string[]) =>
    rules.map((ruleKey) => {
      const rule = sandbox.resources.rules.find((r) => r.key === ruleKey)!;
      const queue = sandbox.resources.queueByArn(rule.targets[0].queueArn);
      const source = sandbox.resources.eventSources.find((s) => s.queueKey === queue.key)!;
      return sandbox.resources.functions.get(source.functionKey)!.environment.POWERTOOLS_SERVICE_NAME;
    });

  beforeAll(async () => {
    sandbox = await Sandbox.start();
  }, 240_000);

  afterAll(async () => {
    await sandbox?.stop();
  });

  describe("AWS's sample events through the synthesized rules", () => {
    it.each([
      ['ecr-image-push', ['image-events']],
      ['ecr-image-scan-basic', ['scan-events']],
      ['inspector2-scan', ['scan-events']],
      // Matched inside detail.resources[] (an array of objects): the sandbox's matcher, not moto's.
      ['inspector2-finding', ['scan-events']],
      ['ecr-image-push-unmanaged', []],
    ])('%s reaches %j and nothing else', async (name, expected) => {
      // Prepare
      const event = fixture(name);

      // Act
      const deliveries = await sandbox.put(event);

      // Assess
      expect(servicesOf(deliveries.map((d) => d.rule))).toEqual(expected);
      for (const service of ['image-events', 'scan-events']) {
        const queue = sandbox.queueOf(service);
        const got = deliveries.filter((d) => d.queueUrl === queue.url).length;
        expect(got).toBe(expected.filter((s) => s === service).length);
      }
    });

    it('delivers the sample to the function itself (its event id arrives at the function behind the rule)', async () => {
      const event = { ...fixture('ecr-image-push'), id: 'e2e-delivery-check' };
      await sandbox.put(event);
      const deadline = Date.now() + 15_000;
      const source = () =>
        sandbox.queueSources.find((s) => s.queue.key === sandbox.queueOf('image-events').key)!;
      while (!source().eventIds.has('e2e-delivery-check') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(source().eventIds.get('e2e-delivery-check')).toBeGreaterThanOrEqual(1);
      const scan = sandbox.queueSources.find((s) => s.queue.key === sandbox.queueOf('scan-events').key)!;
      expect(scan.eventIds.has('e2e-delivery-check')).toBe(false);
    });

    it('ECR Replication Action, emitted in the destination region, is forwarded home: a row, and for FAILED one alert', async () => {
      // Prepare: the samples' region is eu-central-1 (the native replication destination); the automation runs in
      // eu-west-1. The destination stack's rule forwards the event, unchanged, to the home bus.
      const success = { ...fixture('ecr-replication-success'), id: 'e2e-replicated-ok' };
      const failed = { ...fixture('ecr-replication-failed'), id: 'e2e-replicated-failed' };
      const [forwarder] = sandbox.bus.route(success);
      expect(forwarder).toMatch(/^HarbormasterReplicationTemplates-eu-central-1\//);
      await sandbox.topicMessages();
      const topicArn = sandbox.resources.functions.get(
        sandbox.resources.eventSources.find((s) => s.queueKey === sandbox.queueOf('image-events').key)!
          .functionKey,
      )!.environment.FINDINGS_TOPIC_ARN;
      const alertsBefore = (sandbox.published.get(topicArn) ?? []).length;

      // Act: each twice (a duplicated delivery).
      const deliveries = [];
      for (const event of [success, failed, success, failed]) deliveries.push(...(await sandbox.put(event)));
      await sandbox.drain();

      // Assess: every delivery is the image-events queue's, with the destination's region kept.
      expect(deliveries.map((d) => [d.queueUrl, d.event.region])).toEqual(
        Array(4).fill([sandbox.queueOf('image-events').url, 'eu-central-1']),
      );
      const detail = (event: BusEvent) =>
        event.detail as { 'repository-name': string; 'image-digest': string };
      for (const [event, result] of [
        [success, 'SUCCESS'],
        [failed, 'FAILED'],
      ] as const) {
        const rows = await sandbox.timeline(detail(event)['repository-name'], detail(event)['image-digest']);
        expect(rows.filter((r) => r.action === 'replicated').map((r) => [r.eventId, r.detail])).toEqual([
          [
            event.id,
            expect.objectContaining({ via: 'ecr-native-replication', result, region: 'eu-central-1' }),
          ],
        ]);
      }
      const alerts = ((await sandbox.topicMessages()).get(topicArn) ?? []).slice(alertsBefore) as {
        Subject?: string;
      }[];
      expect(alerts.map((a) => a.Subject)).toEqual([
        '[Harbormaster] REPLICATION FAILED payments/worker@sha256:9f86d081884c to eu-central-1',
      ]);
    }, 60_000);
  });

  describe('per-team alert routing through the real filter policies', () => {
    it('a message for one team reaches only that team; a team nobody has reaches no one', async () => {
      // Prepare
      const topic = [...sandbox.resources.topics.values()].find((t) =>
        sandbox.resources.probes.some((p) => p.topicArn === t.arn),
      )!;
      await sandbox.subscriberMessages();
      const before = new Map([...sandbox.probeMessages].map(([k, v]) => [k, v.length]));
      const sns = sandbox.clients.sns(topic.region);

      // Act
      for (const team of [...Object.keys(sandbox.config.teams), 'nobody']) {
        await sns.send(
          new PublishCommand({
            TopicArn: topic.arn,
            Message: `for ${team}`,
            MessageAttributes: { team: { DataType: 'String', StringValue: team } },
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 500));
      const got = await sandbox.subscriberMessages();

      // Assess
      for (const [team, settings] of Object.entries(sandbox.config.teams)) {
        for (const email of settings.emails) {
          const messages = (got.get(`email:${email}`) ?? []).slice(before.get(`email:${email}`) ?? 0);
          expect(messages.map((m) => (m as { Message: string }).Message)).toEqual([`for ${team}`]);
        }
      }
    });

    it("a failing scan's alert goes to the owning team's subscription only", async () => {
      // Prepare
      const repository = sandbox.config.repositories.find((r) => r.team === 'platform' && r.scan.quarantine)!;
      const image = sandbox.buildImage('e2e-failing');
      await sandbox.pushImage(repository.name, image, '9.9.9');
      await sandbox.setScanFindings(
        repository.name,
        image.digest,
        scanFindings([
          { id: 'CVE-2022-37434', severity: 'CRITICAL', packageName: 'zlib', version: '1.2.12' },
        ]),
      );
      await sandbox.subscriberMessages();
      const before = new Map([...sandbox.probeMessages].map(([k, v]) => [k, v.length]));

      // Act
      await sandbox.put(
        scanEvent(sandbox.config, sandbox.account, repository.name, image.digest, ['9.9.9'], { CRITICAL: 1 }),
      );
      await sandbox.drain();
      const got = await sandbox.subscriberMessages();

      // Assess
      for (const [team, settings] of Object.entries(sandbox.config.teams)) {
        for (const email of settings.emails) {
          const fresh = (got.get(`email:${email}`) ?? []).slice(before.get(`email:${email}`) ?? 0);
          expect(fresh).toHaveLength(team === repository.team ? 1 : 0);
        }
      }
    });
  });

  it("a poison event reaches the dead-letter queue after exactly the queue's maxReceiveCount deliveries", async () => {
    // Prepare
    const queue = sandbox.queueOf('image-events');
    const dlq = sandbox.deadLetterQueueOf(queue);
    await sandbox.drain();
    await sandbox.deadLetterMessages();
    const before = sandbox.deadLetters.get(dlq.name)?.length ?? 0;
    const poison = {
      ...pushEvent('payments/api', 'sha256:' + '0'.repeat(64), 'v0.0.1', 'x', sandbox.region),
      id: 'e2e-poison',
    };
    delete (poison.detail as Record<string, unknown>)['image-digest'];

    // Act
    await sandbox.put(poison);
    await sandbox.drain(60_000);
    const dead = ((await sandbox.deadLetterMessages()).get(dlq.name) ?? []).slice(before);

    // Assess
    const source = sandbox.queueSources.find((s) => s.queue.key === queue.key)!;
    expect(dead.map((d) => (JSON.parse(d.body) as { id: string }).id)).toEqual(['e2e-poison']);
    expect(source.eventIds.get('e2e-poison')).toBe(queue.redrive!.maxReceiveCount);
    expect(dead[0].receiveCount).toBe(queue.redrive!.maxReceiveCount);
  }, 90_000);

  it('a passing image is replicated to the local registry with the same digest (skopeo inspect)', async () => {
    // Prepare
    const rule = sandbox.config.gatedReplication.find((r) =>
      r.destinations.some((d) => d.type === 'registry'),
    )!;
    const destination = rule.destinations.find((d) => d.type === 'registry')!;
    const repository = 'payments/api';
    const image = sandbox.buildImage('e2e-passing');
    await sandbox.pushImage(repository, image, 'v2.0.0');
    await sandbox.put(pushEvent(repository, image.digest, 'v2.0.0', image.mediaType, sandbox.region));
    await sandbox.drain();
    await sandbox.setScanFindings(repository, image.digest, scanFindings([]));

    // Act
    await sandbox.put(scanEvent(sandbox.config, sandbox.account, repository, image.digest, ['v2.0.0'], {}));
    await sandbox.drain();

    // Assess
    const registry = sandbox.registries.get(destination.type === 'registry' ? destination.host : '')!;
    const { stdout } = await run('skopeo', [
      'inspect',
      '--cert-dir',
      sandbox.tls.certDir,
      `docker://${registry.address}/${destination.repositoryPrefix}${repository}:v2.0.0`,
    ]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(image.digest);
    const rows = await sandbox.timeline(repository, image.digest);
    expect(
      rows.filter((r) => r.action === 'replicated').map((r) => (r.detail as { result: string }).result),
    ).toEqual(rule.destinations.map(() => 'succeeded'));
  }, 60_000);
});
