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
  // In a bundle the define makes this test constant, so esbuild drops configFromEnvironment() and its message.
  const raw =
    typeof __HARBORMASTER_CONFIG__ !== 'undefined' ? __HARBORMASTER_CONFIG__ : configFromEnvironment();
  cached = JSON.parse(raw) as RuntimeConfig;
  return cached;
}

/** Tests and local runs: the config JSON from HARBORMASTER_CONFIG_JSON. */
function configFromEnvironment(): string {
  const raw = process.env.HARBORMASTER_CONFIG_JSON;
  if (!raw) {
    throw new Error(
      'no Harbormaster config in this bundle: expected __HARBORMASTER_CONFIG__ or HARBORMASTER_CONFIG_JSON',
    );
  }
  return raw;
}

/** For tests: forget the cached config so the next call re-reads HARBORMASTER_CONFIG_JSON. */
export function resetBundledConfig(): void {
  cached = undefined;
}
