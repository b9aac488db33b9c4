import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cloud-assembly';
import type { Sandbox } from './sandbox';
import { demoRepositories, pushEvent, releaseTag, scanEvent, scanFindings } from './scenario';

const run = promisify(execFile);

/** What the story checked; a false check makes the demo exit non-zero. */
export interface StoryCheck {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The digest a registry serves for a reference (Docker-Content-Digest of a manifest HEAD), or undefined. */
export function registryDigest(
  address: string,
  repository: string,
  reference: string,
  caFile: string,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `https://${address}/v2/${repository}/manifests/${reference}`,
      {
        method: 'HEAD',
        ca: readFileSync(caFile),
        headers: {
          Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json',
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? String(res.headers['docker-content-digest']) : undefined);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The demo story on the shipped example: a release push (cascade tags), a passing scan (promotion, gated
 * replication), a failing scan of another team's image (alert to that team only, quarantine), a redelivery
 * (nothing repeated) and a poison event (dead-lettered after the queue's max receives). Each step prints what
 * it did and what the sandbox observed.
 */
export async function playDemo(sandbox: Sandbox, print: (line: string) => void): Promise<StoryCheck[]> {
  const checks: StoryCheck[] = [];
  const check = (step: string, ok: boolean, detail: string) => {
    checks.push({ step, ok, detail });
    print(`   ${ok ? 'ok  ' : 'FAIL'} ${detail}`);
  };
  const { config, region } = sandbox;
  const { passing, failing } = demoRepositories(config);
  const tagsOf = async (repository: string, digest: string) =>
    (await sandbox.images()).find(
      (i) => i.repository === repository && i.digest === digest && i.region === region,
    )?.tags ?? [];

  // 1. A release push: the semver rule cascades the tag.
  const good = sandbox.buildImage(`${passing.name}-demo`);
  const goodTag = releaseTag(passing, '1.4.2');
  print(`1. CI pushes ${passing.name}:${goodTag} (${good.digest.slice(0, 19)}...)`);
  await sandbox.pushImage(passing.name, good, goodTag);
  const push = pushEvent(passing.name, good.digest, goodTag, good.mediaType, region);
  const pushRules = await sandbox.put(push);
  print(`   ECR Image Action -> ${pushRules.map((d) => d.rule.split('/')[1]).join(', ') || 'no rule'}`);
  await sandbox.drain();
  const afterPush = await tagsOf(passing.name, good.digest);
  check('push', afterPush.length > 1, `tags now: ${afterPush.join(', ')}`);

  // 2. A passing scan: promotion tags and gated replication.
  print(`2. The scan of ${passing.name}:${goodTag} passes (no finding above ${passing.scan.maxSeverity})`);
  await sandbox.setScanFindings(passing.name, good.digest, scanFindings([]));
  await sandbox.put(scanEvent(config, sandbox.account, passing.name, good.digest, afterPush, {}));
  await sandbox.drain();
  const afterScan = await tagsOf(passing.name, good.digest);
  const promoted = passing.scan.promoteTo.filter((t) => afterScan.includes(t));
  check('promotion', promoted.length === passing.scan.promoteTo.length, `tags now: ${afterScan.join(', ')}`);
  for (const rule of config.gatedReplication) {
    for (const destination of rule.destinations) {
      if (destination.type !== 'registry') continue;
      const registry = sandbox.registries.get(destination.host.replace(/:\d+$/, ''))!;
      const repo = `${destination.repositoryPrefix}${passing.name}`;
      const digest = await registryDigest(registry.address, repo, goodTag, sandbox.tls.caFile);
      check(
        'replication',
        digest === good.digest,
        `${destination.host}/${repo}:${goodTag} (local registry ${registry.address}) has ${digest ?? 'nothing'}`,
      );
    }
  }

  // 3. A failing scan of another team's image: its team alerted, nobody else; the image quarantined.
  const bad = sandbox.buildImage(`${failing.name}-demo`);
  const badTag = releaseTag(failing, '22.11.0');
  print(
    `3. CI pushes ${failing.name}:${badTag}; its scan finds a CRITICAL and a HIGH (limit ${failing.scan.maxSeverity})`,
  );
  await sandbox.pushImage(failing.name, bad, badTag);
  await sandbox.put(pushEvent(failing.name, bad.digest, badTag, bad.mediaType, region));
  await sandbox.drain();
  const badTags = await tagsOf(failing.name, bad.digest);
  await sandbox.setScanFindings(
    failing.name,
    bad.digest,
    scanFindings([
      {
        id: 'CVE-2022-37434',
        severity: 'CRITICAL',
        packageName: 'zlib',
        version: '1.2.12',
        fixedIn: '1.2.12-r2',
      },
      {
        id: 'CVE-2023-44487',
        severity: 'HIGH',
        packageName: 'nghttp2',
        version: '1.51.0',
        fixedIn: '1.57.0',
      },
    ]),
  );
  const failingScan = sandbox.bus.envelope(
    scanEvent(config, sandbox.account, failing.name, bad.digest, badTags, { CRITICAL: 1, HIGH: 1 }),
  );
  await sandbox.put(failingScan as never);
  await sandbox.drain();
  const subscribers = await sandbox.subscriberMessages();
  for (const [team, settings] of Object.entries(config.teams)) {
    for (const email of settings.emails) {
      const got = subscribers.get(`email:${email}`)?.length ?? 0;
      const expected = team === failing.team ? 1 : 0;
      check('alert routing', got === expected, `${team} (${email}) received ${got} alert(s)`);
    }
  }
  print(`   Slack (local webhook sink) received ${sandbox.slack.posts.length} post(s)`);
  const afterFail = await tagsOf(failing.name, bad.digest);
  check(
    'quarantine',
    failing.scan.quarantine ? !afterFail.includes(badTag) : true,
    `tags now: ${afterFail.join(', ') || '(none)'}`,
  );

  // 4. At-least-once delivery: the same events again change nothing.
  print('4. EventBridge delivers the push and the failing scan a second time');
  const before = await snapshot(sandbox, [passing.name, good.digest], [failing.name, bad.digest]);
  await sandbox.send(sandbox.queueOf('image-events'), JSON.stringify(pushRules[0]?.event ?? push));
  await sandbox.send(sandbox.queueOf('scan-events'), JSON.stringify(failingScan));
  await sandbox.drain();
  const after = await snapshot(sandbox, [passing.name, good.digest], [failing.name, bad.digest]);
  check('redelivery', JSON.stringify(before) === JSON.stringify(after), diff(before, after));

  // 5. A poison event: retried, then dead-lettered after exactly the queue's maxReceiveCount receives.
  const queue = sandbox.queueOf('image-events');
  const dlq = sandbox.deadLetterQueueOf(queue);
  print(`5. A malformed ECR Image Action (no image-digest) for ${passing.name}`);
  const poison = pushEvent(passing.name, good.digest, 'broken', good.mediaType, region);
  delete (poison.detail as Record<string, unknown>)['image-digest'];
  await sandbox.put(poison);
  await sandbox.drain(120_000);
  const dead = (await sandbox.deadLetterMessages()).get(dlq.name) ?? [];
  const poisonId = dead.length === 1 ? (JSON.parse(dead[0].body) as { id?: string }).id : undefined;
  const delivered = [...sandbox.deliveriesOf(queue).entries()].filter(([, n]) => n > 1).map(([, n]) => n);
  check(
    'poison',
    dead.length === 1 &&
      poisonId !== undefined &&
      delivered.length === 1 &&
      delivered[0] === queue.redrive!.maxReceiveCount,
    `${dead.length} message(s) in ${dlq.name} after ${delivered.join(', ') || 0} deliveries to the function (maxReceiveCount ${queue.redrive!.maxReceiveCount})`,
  );

  // 6. The timelines, as an operator reads them.
  for (const [repository, digest] of [
    [passing.name, good.digest],
    [failing.name, bad.digest],
  ]) {
    print(`\n$ harbormaster audit ${repository}@${digest.slice(0, 19)}...`);
    print(await auditCli(sandbox, `${repository}@${digest}`));
  }
  return checks;
}

async function snapshot(sandbox: Sandbox, ...images: string[][]) {
  const topics = await sandbox.topicMessages();
  const all = await sandbox.images();
  return {
    published: [...topics.values()].reduce((n, list) => n + list.length, 0),
    slack: sandbox.slack.posts.length,
    images: await Promise.all(
      images.map(async ([repository, digest]) => ({
        tags: all.find((i) => i.repository === repository && i.digest === digest)?.tags ?? [],
        audit: (await sandbox.timeline(repository, digest)).length,
      })),
    ),
  };
}

function diff(before: unknown, after: unknown): string {
  return JSON.stringify(before) === JSON.stringify(after)
    ? `no new tags, audit rows, alerts or Slack posts (${JSON.stringify(after)})`
    : `changed: before ${JSON.stringify(before)} after ${JSON.stringify(after)}`;
}

/** `harbormaster audit` against the sandbox (AWS_ENDPOINT_URL), as a user would run it. */
export async function auditCli(sandbox: Sandbox, image: string, extra: string[] = []): Promise<string> {
  try {
    const { stdout } = await run(
      process.execPath,
      [path.join(REPO_ROOT, 'shared/cli/harbormaster.js'), 'audit', image, ...extra],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...sandbox.cliEnv() },
      },
    );
    return stdout.trimEnd();
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    return `harbormaster audit failed: ${(stderr || stdout || (error as Error).message).trim()}`;
  }
}
