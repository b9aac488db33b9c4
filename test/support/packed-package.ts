import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(__dirname, '..', '..');
const LOCK = path.join(ROOT, 'node_modules', '.cache', 'harbormaster-npm-pack.lock');

/** True while the process that took the lock is alive (a killed test run must not block the next one). */
function holderAlive(): boolean {
  try {
    process.kill(Number(readFileSync(path.join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm pack` of this repository into `destination`; resolves with the tarball's path. One pack at a time
 * across jest workers: prepare and prepack delete and rebuild dist/, so two at once would pack each other's
 * half-written trees.
 */
export async function packThisPackage(destination: string): Promise<string> {
  // The lock is a directory holding its owner's pid, renamed into place whole, so it never exists without one.
  const mine = `${LOCK}.${process.pid}`;
  mkdirSync(mine, { recursive: true });
  writeFileSync(path.join(mine, 'pid'), String(process.pid));
  for (;;) {
    try {
      renameSync(mine, LOCK);
      break;
    } catch (error) {
      if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      // A lock without a live holder is left from a killed run.
      if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!;
    return path.join(destination, name);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
