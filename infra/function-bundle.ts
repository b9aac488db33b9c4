import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { HarbormasterConfig } from '../shared/config/schema';
import { CONFIG_FILE_NAME } from '../shared/runtime/bundled-config';
import { runtimeConfig } from '../shared/runtime/runtime-config';

/** The package root (holds package.json): `infra/` from source, `dist/infra/` once compiled. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'harbormaster'
    ) {
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`no harbormaster package.json above ${from}`);
  }
}

/** Where `npm run build` / `npm pack` put the prebuilt, config-free bundle of a function. */
export function prebuiltBundlePath(functionDir: string, root: string = packageRoot()): string {
  return path.join(root, 'dist', 'bundles', functionDir, 'index.js');
}

/** The TypeScript entry of a function (present in this repository, absent from the package). */
export function functionEntryPath(functionDir: string, root: string = packageRoot()): string {
  return path.join(root, 'functions', functionDir, 'index.ts');
}

/**
 * The esbuild options of every function bundle: minified CommonJS for Node.js 24 with the AWS SDK bundled (a
 * pinned, tree-shaken client is smaller to load than the runtime's full copy), no config inside (it is read
 * from harbormaster-config.json beside the bundle). The pack-time build and a synth from source share them.
 */
export function functionBuildOptions(functionDir: string, outfile: string, root: string = packageRoot()) {
  return {
    absWorkingDir: root,
    entryPoints: [functionEntryPath(functionDir, root)],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: 'cjs' as const,
    target: 'node24',
    minify: true,
    sourcemap: false,
    external: [] as string[],
    define: { __HARBORMASTER_CONFIG_FILE__: JSON.stringify(CONFIG_FILE_NAME) },
    logLevel: 'warning' as const,
  };
}

/**
 * Writes a function's Lambda asset into `outputDir`: index.js and the config file beside it. From source
 * (this repository: functions/<name>/index.ts exists) the bundle is built now, so an edit shows at the next
 * synth; otherwise (the npm package) the prebuilt bundle is copied and no esbuild runs.
 */
export function writeFunctionAsset(functionDir: string, config: HarbormasterConfig, outputDir: string): void {
  const root = packageRoot();
  const outfile = path.join(outputDir, 'index.js');
  if (existsSync(functionEntryPath(functionDir, root))) {
    // Required here, not imported: the package's users have no esbuild and never reach this line.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    esbuild.buildSync(functionBuildOptions(functionDir, outfile, root));
  } else {
    const prebuilt = prebuiltBundlePath(functionDir, root);
    if (!existsSync(prebuilt)) {
      throw new Error(`no bundle for function ${functionDir}: ${prebuilt} is missing (run npm run build)`);
    }
    copyFileSync(prebuilt, outfile);
  }
  writeFileSync(path.join(outputDir, CONFIG_FILE_NAME), JSON.stringify(runtimeConfig(config)));
}
