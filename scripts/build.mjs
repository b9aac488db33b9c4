#!/usr/bin/env node
// `npm run build` (also run by `prepare`, so it happens at `npm ci` and `npm pack`):
//   dist/cli/       the CLI, one ESM bundle split per command (the package's `bin`)
// Plain JavaScript so it runs before anything is compiled.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
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

const targets = { cli: buildCli };
const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(targets)) {
  if (!targets[name])
    throw new Error(`unknown build target ${name} (one of ${Object.keys(targets).join(', ')})`);
  await targets[name]();
}
