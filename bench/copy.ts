/**
 * npm run bench:copy — throughput and peak memory of `harbormaster copy` against `skopeo copy`, between two local
 * docker-registry processes (source: plain HTTP; destination: TLS with a self-signed certificate and htpasswd auth).
 *
 * Images: (a) one 200 MiB layer, (b) 20 layers of 10 MiB, (c) 1 GiB in 8 layers of 128 MiB. Runs are interleaved
 * (the order of the two tools alternates), each against a fresh destination registry so every run moves every
 * byte and neither tool can mount from an earlier run. Each tool runs as its own process under /usr/bin/time (or
 * with /proc/<pid>/status VmHWM sampling) for its peak RSS. `harbormaster copy` runs from an esbuild bundle of the
 * copy command, so the figures measure the engine rather than tsx compiling TypeScript at start-up.
 *
 * Environment: BENCH_REPS (default 3), BENCH_IMAGES (e.g. "a,c"), BENCH_CONCURRENCY, BENCH_CHUNK_MIB.
 * Writes .bench/copy.json.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OciLayout } from '../test/support/oci-layout';
import { haveTools, seed, skopeo, startRegistry, type RunningRegistry } from '../test/support/registries';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, '.bench');
const WORK = path.join(OUT, 'copy-work');
const MiB = 1024 * 1024;
const AUTH = { username: 'bench', password: 'bench-Secret-1' };
const REPS = Number(process.env.BENCH_REPS ?? 3);
const TIME = '/usr/bin/time';

interface ImageCase {
  id: string;
  title: string;
  layers: number[];
}

const CASES: ImageCase[] = [
  { id: 'a', title: '(a) 1 x 200 MiB', layers: [200 * MiB] },
  { id: 'b', title: '(b) 20 x 10 MiB', layers: Array.from({ length: 20 }, () => 10 * MiB) },
  { id: 'c', title: '(c) 1 GiB, 8 x 128 MiB', layers: Array.from({ length: 8 }, () => 128 * MiB) },
];

interface Run {
  seconds: number;
  peakRssBytes: number;
  stdout: string;
}

/** Runs a command to completion, measuring wall time and peak RSS (GNU time if present, else VmHWM sampling). */
async function measure(command: string, args: string[]): Promise<Run> {
  const useTime = existsSync(TIME);
  const marker = '@@bench';
  const argv = useTime ? ['-f', `${marker} %e %M`, command, ...args] : args;
  const started = performance.now();
  const child = spawn(useTime ? TIME : command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  let sampled = 0;
  const timer = useTime
    ? undefined
    : setInterval(() => {
        readFile(`/proc/${child.pid}/status`, 'utf8')
          .then((status) => {
            sampled = Math.max(sampled, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
          })
          .catch(() => undefined);
      }, 20);
  const code = await new Promise<number>((resolve) =>
    child.on('exit', (exitCode) => resolve(exitCode ?? -1)),
  );
  if (timer) clearInterval(timer);
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  if (!useTime) return { seconds: wall, peakRssBytes: sampled, stdout };
  const line = stderr.split('\n').find((l) => l.startsWith(marker));
  const [, elapsed, maxKb] = (line ?? '').split(' ');
  return { seconds: Number(elapsed) || wall, peakRssBytes: Number(maxKb) * 1024, stdout };
}

async function bundleCli(): Promise<string> {
  const entry = path.join(OUT, 'copy-cli-entry.ts');
  const bundle = path.join(OUT, 'copy-cli.js');
  await writeFile(
    entry,
    [
      "import { Command } from 'commander';",
      `import { registerCopy } from ${JSON.stringify(path.join(ROOT, 'shared/cli/commands/copy'))};`,
      `import { CliError } from ${JSON.stringify(path.join(ROOT, 'shared/cli/errors'))};`,
      "const program = new Command('harbormaster');",
      'registerCopy(program);',
      'program.parseAsync(process.argv).catch((error) => {',
      '  process.stderr.write(`harbormaster: ${error.message}\\n`);',
      '  process.exitCode = error instanceof CliError ? error.exitCode : 2;',
      '});',
    ].join('\n'),
  );
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: bundle,
    minify: true,
    logLevel: 'error',
  });
  return bundle;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  if (!haveTools()) throw new Error('bench:copy needs docker-registry, skopeo, htpasswd and openssl');
  const selected = CASES.filter((c) => (process.env.BENCH_IMAGES ?? 'a,b,c').split(',').includes(c.id));
  await rm(WORK, { recursive: true, force: true });
  await mkdir(WORK, { recursive: true });
  const cli = await bundleCli();
  const extraFlags = [
    ...(process.env.BENCH_CONCURRENCY ? ['--concurrency', process.env.BENCH_CONCURRENCY] : []),
    ...(process.env.BENCH_CHUNK_MIB ? ['--chunk-size', process.env.BENCH_CHUNK_MIB] : []),
  ];

  process.stderr.write('building images in an OCI layout...\n');
  const layout = new OciLayout(path.join(WORK, 'layout'));
  for (const image of selected) await layout.addImage(image.id, { layerSizes: image.layers });
  const source = await startRegistry();
  const results: Record<string, unknown>[] = [];
  try {
    for (const image of selected) await seed(layout.dir, image.id, source, 'bench/app');
    await rm(layout.dir, { recursive: true, force: true });

    for (const image of selected) {
      const bytes = image.layers.reduce((sum, size) => sum + size, 0);
      const ours: Run[] = [];
      const theirs: Run[] = [];
      const recopy: Run[] = [];
      const skopeoRecopy: Run[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        // Alternate which tool goes first so neither always meets a warmer page cache.
        const order = rep % 2 === 0 ? (['ours', 'skopeo'] as const) : (['skopeo', 'ours'] as const);
        for (const tool of order) {
          const destination: RunningRegistry = await startRegistry({ tls: true, auth: AUTH });
          try {
            const src = `${source.host}/bench/app:${image.id}`;
            const dst = `${destination.host}/mirror/app:${image.id}`;
            if (tool === 'ours') {
              const args = [
                cli,
                'copy',
                src,
                dst,
                '--src-plain-http',
                '--insecure',
                '--dest-creds',
                `${AUTH.username}:${AUTH.password}`,
                '--json',
                ...extraFlags,
              ];
              const run = await measure(process.execPath, args);
              const parsed = JSON.parse(run.stdout) as { bytesCopied: number };
              if (parsed.bytesCopied < bytes)
                throw new Error(`harbormaster copied ${parsed.bytesCopied} of ${bytes} bytes`);
              ours.push(run);
              const again = await measure(process.execPath, args);
              if ((JSON.parse(again.stdout) as { bytesCopied: number }).bytesCopied !== 0)
                throw new Error('re-copy moved bytes');
              recopy.push(again);
            } else {
              const args = [
                '--insecure-policy',
                'copy',
                '--src-tls-verify=false',
                '--dest-tls-verify=false',
                '--dest-creds',
                `${AUTH.username}:${AUTH.password}`,
                `docker://${src}`,
                `docker://${dst}`,
              ];
              theirs.push(await measure('skopeo', args));
              skopeoRecopy.push(await measure('skopeo', args));
            }
          } finally {
            await destination.stop();
          }
          const last = tool === 'ours' ? ours[ours.length - 1] : theirs[theirs.length - 1];
          process.stderr.write(
            `${image.id} rep ${rep + 1} ${tool.padEnd(6)} ${last.seconds.toFixed(2)} s  ${(bytes / MiB / last.seconds).toFixed(0)} MiB/s  peak ${(last.peakRssBytes / MiB).toFixed(0)} MiB\n`,
          );
        }
      }
      const oursRate = bytes / MiB / median(ours.map((r) => r.seconds));
      const skopeoRate = bytes / MiB / median(theirs.map((r) => r.seconds));
      results.push({
        image: image.title,
        bytes,
        repetitions: REPS,
        harbormasterMiBps: Number(oursRate.toFixed(1)),
        skopeoMiBps: Number(skopeoRate.toFixed(1)),
        ratio: Number((oursRate / skopeoRate).toFixed(2)),
        harbormasterPeakRssMiB: Number((Math.max(...ours.map((r) => r.peakRssBytes)) / MiB).toFixed(0)),
        skopeoPeakRssMiB: Number((Math.max(...theirs.map((r) => r.peakRssBytes)) / MiB).toFixed(0)),
        harbormasterRecopySeconds: Number(median(recopy.map((r) => r.seconds)).toFixed(2)),
        skopeoRecopySeconds: Number(median(skopeoRecopy.map((r) => r.seconds)).toFixed(2)),
        harbormasterSeconds: ours.map((r) => r.seconds),
        skopeoSeconds: theirs.map((r) => r.seconds),
      });
    }
  } finally {
    await source.stop();
    await rm(WORK, { recursive: true, force: true });
  }

  const header = [
    'image',
    'ours MiB/s',
    'skopeo MiB/s',
    'ratio',
    'ours peak RSS',
    'skopeo peak RSS',
    'ours re-copy',
    'skopeo re-copy',
  ];
  const rows = results.map((r) => [
    String(r.image),
    String(r.harbormasterMiBps),
    String(r.skopeoMiBps),
    String(r.ratio),
    `${r.harbormasterPeakRssMiB} MiB`,
    `${r.skopeoPeakRssMiB} MiB`,
    `${r.harbormasterRecopySeconds} s`,
    `${r.skopeoRecopySeconds} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(
    [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'),
  );
  const report = {
    when: new Date().toISOString(),
    machine: {
      cpus: (await import('node:os')).cpus().length,
      node: process.version,
      skopeo: (await skopeo(['--version'])).trim(),
    },
    method:
      'median wall time per process over interleaved repetitions; fresh TLS+auth destination registry per run; source plain HTTP',
    flags: extraFlags,
    results,
  };
  await writeFile(path.join(OUT, 'copy.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(ROOT, path.join(OUT, 'copy.json'))}`);
}

main().catch((error: unknown) => {
  console.error(`bench:copy failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
