/**
 * `npm run bench:burst [-- --events 2000] [--concurrency N] [--rate 10]`
 *
 * A burst of events through the sandbox (the synthesized stacks on moto, functions from their bundles):
 * release pushes with semver cascades, scans passing and failing, and duplicate deliveries, with ECR's
 * PutImage rate quota (10 per second per region) enforced in front of moto. Reports time to drain, throttled
 * calls (each one an SDK retry or a failed record), dead-lettered messages, and lost or duplicated effects.
 */
import type { BusEvent } from '../sandbox/event-bus';
import { Sandbox } from '../sandbox/sandbox';
import { pushEvent, releaseTag, scanEvent, scanFindings } from '../sandbox/scenario';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const total = option('events', 2000);
  const concurrency = option('concurrency', 2);
  const rate = option('rate', 10);
  // Per image: one push and one scan; a fifth of all events are duplicate deliveries of either.
  const images = Math.floor((total * 0.8) / 2);
  const duplicates = total - images * 2;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const sandbox = await Sandbox.start({
    log,
    concurrency,
    maxConcurrencyOverride: concurrency,
    quotas: [{ operation: 'ecr.PutImage', perSecond: rate }],
  });
  try {
    const repos = sandbox.config.repositories.filter((r) => r.autoTag.some((a) => a.type === 'semver'));
    log(`seeding ${images} images in ${repos.map((r) => r.name).join(', ')} ...`);
    const plan: {
      repository: string;
      digest: string;
      tag: string;
      fails: boolean;
      quarantine: boolean;
      promote: string[];
    }[] = [];
    const pushes: BusEvent[] = [];
    const scans: BusEvent[] = [];
    for (let i = 0; i < images; i++) {
      const repo = repos[i % repos.length];
      const image = sandbox.buildImage(`burst-${i}`);
      const tag = releaseTag(repo, `${1 + (i % 3)}.${Math.floor(i / 3) % 50}.${i}`);
      // Seeded straight into moto: the burst measures the automation's own ECR calls against the quota.
      await sandbox.pushImage(repo.name, image, tag);
      const fails = i % 5 === 4;
      await sandbox.setScanFindings(
        repo.name,
        image.digest,
        scanFindings(
          fails
            ? [{ id: `CVE-2026-${1000 + i}`, severity: 'CRITICAL', packageName: 'zlib', version: '1' }]
            : [],
        ),
      );
      plan.push({
        repository: repo.name,
        digest: image.digest,
        tag,
        fails,
        quarantine: repo.scan.quarantine,
        promote: repo.scan.promoteTo,
      });
      pushes.push(
        sandbox.bus.envelope(
          pushEvent(repo.name, image.digest, tag, image.mediaType, sandbox.region),
        ) as unknown as BusEvent,
      );
      scans.push(
        sandbox.bus.envelope(
          scanEvent(
            sandbox.config,
            sandbox.account,
            repo.name,
            image.digest,
            [tag],
            fails ? { CRITICAL: 1 } : {},
          ),
        ) as unknown as BusEvent,
      );
    }
    const events = [...pushes, ...scans];
    for (let i = 0; i < duplicates; i++)
      events.push(i % 2 === 0 ? pushes[i % pushes.length] : scans[i % scans.length]);
    sandbox.proxy.resetStats();

    log(
      `putting ${events.length} events (${images} pushes, ${images} scans, ${duplicates} duplicates); PutImage quota ${rate}/s ...`,
    );
    const started = Date.now();
    for (const event of events) await sandbox.put(event);
    await sandbox.drain(30 * 60_000);
    const seconds = (Date.now() - started) / 1000;

    const deadLetters = [...(await sandbox.deadLetterMessages()).entries()].map(
      ([q, m]) => [q, m.length] as const,
    );
    const topics = await sandbox.topicMessages();
    const alerts = [...topics.values()].flat().map((n) => String((n as { Message?: string }).Message ?? ''));
    const tags = new Map((await sandbox.images()).map((i) => [`${i.repository}@${i.digest}`, i.tags]));
    let lost = 0;
    let duplicated = 0;
    const problems: string[] = [];
    for (const p of plan) {
      const rows = await sandbox.timeline(p.repository, p.digest);
      const count = (action: string) => rows.filter((r) => r.action === action).length;
      const have = tags.get(`${p.repository}@${p.digest}`) ?? [];
      const expect = (ok: boolean, what: string) => {
        if (!ok) problems.push(`${p.repository}:${p.tag} ${what}`);
        return ok ? 0 : 1;
      };
      for (const action of ['pushed', 'verdict']) {
        lost += expect(count(action) >= 1, `no ${action} row`);
        duplicated += expect(count(action) <= 1, `${count(action)} ${action} rows`);
      }
      const alertsFor = alerts.filter((m) => m.includes(p.digest)).length;
      if (p.fails) {
        lost += expect(alertsFor >= 1, 'no alert');
        duplicated += expect(alertsFor <= 1, `${alertsFor} alerts`);
        if (p.quarantine) lost += expect(!have.includes(p.tag), 'not quarantined');
      } else {
        duplicated += expect(alertsFor === 0, `${alertsFor} alerts for a passing scan`);
        // Promotion tags move to the newest passing image: the audit row is the effect to count.
        if (p.promote.length > 0) {
          lost += expect(count('promoted') >= 1, 'no promoted row');
          duplicated += expect(count('promoted') <= 1, `${count('promoted')} promoted rows`);
        }
      }
    }
    const report = {
      events: events.length,
      images,
      duplicates,
      concurrencyPerFunction: concurrency,
      putImageQuotaPerSecond: rate,
      drainSeconds: Math.round(seconds * 10) / 10,
      eventsPerSecond: Math.round((events.length / seconds) * 10) / 10,
      awsCalls: sandbox.proxy.stats.calls,
      throttled: sandbox.proxy.stats.throttled,
      deadLettered: Object.fromEntries(deadLetters),
      lostEffects: lost,
      duplicatedEffects: duplicated,
      firstProblems: problems.slice(0, 10),
      eventSources: sandbox.queueSources.map((s) => ({ queue: s.queue.name, ...s.stats })),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await sandbox.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:burst: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
