import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Set by the CLI build (scripts/build.mjs) from package.json; absent when run from source (tsx, jest). */
declare const __HARBORMASTER_VERSION__: string | undefined;

/** The package version `harbormaster --version` prints. */
export function cliVersion(): string {
  if (typeof __HARBORMASTER_VERSION__ !== 'undefined') return __HARBORMASTER_VERSION__;
  const manifest = path.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
