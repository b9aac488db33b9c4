#!/usr/bin/env node
// `npm run build` builds everything; `prepare` (npm ci, npm pack) the CLI; `prepack` the library and bundles:
//   dist/cli/       the CLI, one ESM bundle split per command (the package's `bin`)
//   dist/lib, dist/infra, dist/shared   the construct library, compiled JavaScript with .d.ts (tsconfig.lib.json)
//   dist/bundles/<function>/index.js    prebuilt, config-free function bundles: a library user's synth runs no esbuild
// Plain JavaScript so it runs before anything is compiled.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/**
 * Builds into a staging directory and then swaps it in, so a CLI already running from dist/cli (a test, a
 * user's shell) never finds its entry or a lazily loaded chunk missing halfway through a rebuild.
 */
export async function buildCli(outdir = path.join(ROOT, 'dist', 'cli')) {
  const staging = `${outdir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { harbormaster: 'shared/cli/cli-entry.ts' },
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // ESM so each command (and the SDK clients it uses) is its own chunk, loaded only when that command runs.
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    define: { __HARBORMASTER_VERSION__: JSON.stringify(version) },
    // Bundled CommonJS packages call require() for Node built-ins; give the ESM output a real one.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __hmCreateRequire } from 'node:module';const require = __hmCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  swapIn(staging, outdir);
}

/** Replaces `target` by `staging` with two renames; the old tree is removed only after the new one is in place. */
function swapIn(staging, target) {
  const retired = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, retired);
  renameSync(staging, target);
  rmSync(retired, { recursive: true, force: true });
}

export function buildLib() {
  for (const dir of ['lib', 'infra', 'shared'])
    rmSync(path.join(ROOT, 'dist', dir), { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.lib.json')], { stdio: 'inherit' });
}

/** The same esbuild options a synth from source uses (infra/function-bundle.ts, compiled by buildLib). */
export async function buildBundles() {
  const { functionBuildOptions, prebuiltBundlePath } = createRequire(import.meta.url)(
    path.join(ROOT, 'dist', 'infra', 'function-bundle.js'),
  );
  rmSync(path.join(ROOT, 'dist', 'bundles'), { recursive: true, force: true });
  for (const name of readdirSync(path.join(ROOT, 'functions'))) {
    await build(functionBuildOptions(name, prebuiltBundlePath(name, ROOT), ROOT));
  }
}

// `node scripts/build.mjs cli --outdir DIR` builds the CLI elsewhere (the package test runs its own copy, so an
// `npm pack` in a neighbouring test, which rebuilds dist/cli, cannot pull it from under a running command).
const args = process.argv.slice(2);
const outdirAt = args.indexOf('--outdir');
const cliOutdir = outdirAt >= 0 ? path.resolve(args.splice(outdirAt, 2)[1]) : undefined;
const targets = { cli: () => buildCli(cliOutdir), lib: buildLib, bundles: buildBundles };
for (const name of args.length > 0 ? args : Object.keys(targets)) {
  if (!targets[name])
    throw new Error(`unknown build target ${name} (one of ${Object.keys(targets).join(', ')})`);
  await targets[name]();
}
