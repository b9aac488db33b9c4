import type { RuntimeConfig } from './runtime-config';

/**
 * The validated config, compiled into each function bundle at synth by esbuild's `define`
 * (see infra/constructs/harbormaster-function.ts): no runtime fetch and no 4 KB environment limit.
 * Tests and local runs may set HARBORMASTER_CONFIG_JSON instead.
 */
declare const __HARBORMASTER_CONFIG__: string | undefined;

let cached: RuntimeConfig | undefined;

export function bundledConfig(): RuntimeConfig {
  if (cached) return cached;
  const raw =
    typeof __HARBORMASTER_CONFIG__ !== 'undefined'
      ? __HARBORMASTER_CONFIG__
      : process.env.HARBORMASTER_CONFIG_JSON;
  if (!raw) {
    throw new Error(
      'no Harbormaster config in this bundle: expected __HARBORMASTER_CONFIG__ or HARBORMASTER_CONFIG_JSON',
    );
  }
  cached = JSON.parse(raw) as RuntimeConfig;
  return cached;
}

/** For tests: forget the cached config so the next call re-reads HARBORMASTER_CONFIG_JSON. */
export function resetBundledConfig(): void {
  cached = undefined;
}
