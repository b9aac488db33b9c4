#!/usr/bin/env node
// `npm run build` builds everything; `prepare` (npm ci, npm pack) the CLI; `prepack` the library and bundles:
//   dist/cli/       the CLI, one ESM bundle split per command (the package's `bin`)
//   dist/lib, dist/infra, dist/shared   the construct library, compiled JavaScript with .d.ts (tsconfig.lib.json)
//   dist/bundles/<function>/index.js    prebuilt, config-free function bundles: a library user's synth runs no esbuild
// Plain JavaScript so it runs before anything is compiled.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

export async function buildCli() {
  const outdir = path.join(ROOT, 'dist', 'cli');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { harbormaster: 'shared/cli/cli-entry.ts' },
    outdir,
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

const targets = { cli: buildCli, lib: buildLib, bundles: buildBundles };
const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(targets)) {
  if (!targets[name])
    throw new Error(`unknown build target ${name} (one of ${Object.keys(targets).join(', ')})`);
  await targets[name]();
}
