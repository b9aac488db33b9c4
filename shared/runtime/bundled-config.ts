import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RuntimeConfig } from './runtime-config';

/**
 * The validated runtime config, read once from `harbormaster-config.json` beside the bundle: the function
 * bundles are built once (at pack time, config-free, so a construct-library user's synth runs no esbuild) and
 * the synth writes the config file into each function's asset (infra/function-bundle.ts). No runtime fetch, no
 * 4 KB environment limit. A bundle may instead have the config compiled in by esbuild's `define`
 * (__HARBORMASTER_CONFIG__, `npm run bench`); tests and local runs set HARBORMASTER_CONFIG_JSON.
 */
declare const __HARBORMASTER_CONFIG__: string | undefined;
/** The bundle build defines this as the file name, so esbuild drops the other branches (and their messages). */
declare const __HARBORMASTER_CONFIG_FILE__: string | undefined;

/** The file the synth writes beside each function bundle. */
export const CONFIG_FILE_NAME = 'harbormaster-config.json';

let cached: RuntimeConfig | undefined;

export function bundledConfig(): RuntimeConfig {
  if (cached) return cached;
  const raw =
    typeof __HARBORMASTER_CONFIG__ !== 'undefined'
      ? __HARBORMASTER_CONFIG__
      : typeof __HARBORMASTER_CONFIG_FILE__ !== 'undefined'
        ? readFileSync(path.join(__dirname, __HARBORMASTER_CONFIG_FILE__), 'utf8')
        : configFromEnvironment();
  cached = JSON.parse(raw) as RuntimeConfig;
  return cached;
}

/** Tests and local runs: the config JSON from HARBORMASTER_CONFIG_JSON. */
function configFromEnvironment(): string {
  const raw = process.env.HARBORMASTER_CONFIG_JSON;
  if (!raw) {
    throw new Error(
      `no Harbormaster config for this bundle: expected ${CONFIG_FILE_NAME} beside it or HARBORMASTER_CONFIG_JSON`,
    );
  }
  return raw;
}

/** For tests: forget the cached config so the next call re-reads HARBORMASTER_CONFIG_JSON. */
export function resetBundledConfig(): void {
  cached = undefined;
}
