/**
 * `npm run bench:cli` (also the second half of `npm run bench`): the CLI as users run it, whole processes.
 *
 * 1. Start-up: `harbormaster --help`, `--version` and `gate --help` from the built bundle
 *    (dist/cli/harbormaster.mjs, the package's bin) against a bare `node -e 0`. Budget: --help within 3x.
 * 2. Copy: `harbormaster copy` against `skopeo copy` of the same image between two local docker-registry
 *    processes on loopback (source plain HTTP; destination TLS with a self-signed certificate and htpasswd
 *    auth, a fresh one per run so every run moves every byte). Timed from spawn to exit, start-up included.
 *    Budget: harbormaster at least as fast as skopeo (median of the interleaved runs).
 *
 * Runs are interleaved (the order alternates) so neither side always meets a warmer cache; medians are reported.
 * Environment: BENCH_RUNS (start-up runs, default 21), BENCH_REPS (copy runs per tool, default 3),
 * BENCH_CLI_MIB (image size, one layer, default 200), BENCH_SKIP_COPY=1 (start-up only).
 * Writes .bench/cli.json; exits 1 when a budget is broken.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OciLayout } from '../test/support/oci-layout';
import { haveTools, seed, skopeo, startRegistry } from '../test/support/registries';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, '.bench');
const WORK = path.join(OUT, 'cli-work');
const CLI = path.join(ROOT, 'dist', 'cli', 'harbormaster.mjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const IMAGE_MIB = Number(process.env.BENCH_CLI_MIB ?? 200);
const STARTUP_BUDGET = 3;
const COPY_BUDGET = 1;
const MiB = 1024 * 1024;
const AUTH = { username: 'bench', password: 'bench-Secret-1' };

/** Wall seconds from spawn to exit; a non-zero exit fails the bench with the tail of stderr. */
async function timed(command: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  return { seconds, stdout };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const ms = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`;

async function buildCli(): Promise<void> {
  await timed(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), 'cli']);
}

async function startup(): Promise<Record<string, unknown>> {
  const cases: Record<string, string[]> = {
    'node -e 0': ['-e', '0'],
    'harbormaster --help': [CLI, '--help'],
    'harbormaster --version': [CLI, '--version'],
    'harbormaster gate --help': [CLI, 'gate', '--help'],
  };
  const names = Object.keys(cases);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  // One warm-up of each (page cache, V8 code cache), then interleaved runs.
  for (const name of names) await timed(process.execPath, cases[name]);
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? names : [...names].reverse();
    for (const name of order) samples[name].push((await timed(process.execPath, cases[name])).seconds);
  }
  const floor = median(samples['node -e 0']);
  const rows = names.map((name) => ({
    command: name,
    medianMs: Number((median(samples[name]) * 1000).toFixed(1)),
    xNode: Number((median(samples[name]) / floor).toFixed(2)),
  }));
  for (const row of rows) {
    process.stdout.write(
      `${row.command.padEnd(26)} ${String(row.medianMs).padStart(7)} ms  ${row.xNode}x node -e 0\n`,
    );
  }
  const help = rows.find((r) => r.command === 'harbormaster --help')!;
  return { runs: RUNS, rows, budget: STARTUP_BUDGET, withinBudget: help.xNode <= STARTUP_BUDGET };
}

async function copy(): Promise<Record<string, unknown>> {
  if (!haveTools()) throw new Error('bench:cli copy needs docker-registry, skopeo, htpasswd and openssl');
  await rm(WORK, { recursive: true, force: true });
  await mkdir(WORK, { recursive: true });
  const layout = new OciLayout(path.join(WORK, 'layout'));
  await layout.addImage('a', { layerSizes: [IMAGE_MIB * MiB] });
  const source = await startRegistry();
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    await seed(layout.dir, 'a', source, 'bench/app');
    await rm(layout.dir, { recursive: true, force: true });
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? (['ours', 'skopeo'] as const) : (['skopeo', 'ours'] as const);
      for (const tool of order) {
        const destination = await startRegistry({ tls: true, auth: AUTH });
        try {
          const src = `${source.host}/bench/app:a`;
          const dst = `${destination.host}/mirror/app:a`;
          if (tool === 'ours') {
            const run = await timed(process.execPath, [
              CLI,
              'copy',
              src,
              dst,
              '--src-plain-http',
              '--insecure',
              '--dest-creds',
              `${AUTH.username}:${AUTH.password}`,
              '--json',
            ]);
            const { bytesCopied } = JSON.parse(run.stdout) as { bytesCopied: number };
            if (bytesCopied < IMAGE_MIB * MiB)
              throw new Error(`harbormaster copied only ${bytesCopied} bytes`);
            ours.push(run.seconds);
          } else {
            const run = await timed('skopeo', [
              '--insecure-policy',
              'copy',
              '--src-tls-verify=false',
              '--dest-tls-verify=false',
              '--dest-creds',
              `${AUTH.username}:${AUTH.password}`,
              `docker://${src}`,
              `docker://${dst}`,
            ]);
            theirs.push(run.seconds);
          }
          const last = tool === 'ours' ? ours[ours.length - 1] : theirs[theirs.length - 1];
          process.stderr.write(`copy rep ${rep + 1} ${tool.padEnd(6)} ${last.toFixed(2)} s\n`);
        } finally {
          await destination.stop();
        }
      }
    }
  } finally {
    await source.stop();
    await rm(WORK, { recursive: true, force: true });
  }
  const speedup = median(theirs) / median(ours);
  process.stdout.write(
    `copy ${IMAGE_MIB} MiB, whole process: harbormaster ${ms(median(ours))}, skopeo ${ms(median(theirs))}: ${speedup.toFixed(2)}x skopeo's speed\n`,
  );
  return {
    imageMiB: IMAGE_MIB,
    repetitions: REPS,
    harbormasterSeconds: ours,
    skopeoSeconds: theirs,
    speedVsSkopeo: Number(speedup.toFixed(2)),
    skopeo: (await skopeo(['--version'])).trim(),
    budget: COPY_BUDGET,
    withinBudget: speedup >= COPY_BUDGET,
  };
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  await buildCli();
  const report: Record<string, unknown> = {
    when: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    startup: await startup(),
  };
  if (process.env.BENCH_SKIP_COPY !== '1') report.copy = await copy();
  await writeFile(path.join(OUT, 'cli.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(ROOT, path.join(OUT, 'cli.json'))}\n`);
  const broken = [report.startup, report.copy].filter(
    (part) => part && !(part as { withinBudget: boolean }).withinBudget,
  );
  if (broken.length > 0) {
    process.stderr.write('bench:cli: a budget is broken (see above)\n');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cli failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
