import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** The default state file of `harbormaster backfill`, in the working directory. */
export const DEFAULT_BACKFILL_STATE_FILE = '.harbormaster-backfill.json';

const VERSION = 1;

/** A state file that cannot be read or written; the message names the file and what to do. */
export class BackfillStateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackfillStateError';
  }
}

/** Which copies a backfill already finished, so a rerun after an interruption does not even HEAD them again. */
export interface BackfillState {
  has(key: string): boolean;
  /** Records a finished copy and saves at once (an interruption loses at most the copy in flight). */
  markDone(key: string, at: Date): void;
  /** Where it is saved; undefined when kept in memory only (--no-state). */
  readonly path?: string;
}

/** One copy: an image (digest and tags) of a rule to one destination. Tags are part of it: a new tag is new work. */
export function backfillKey(
  rule: string,
  digest: string,
  destination: string,
  tags: readonly string[],
): string {
  return `${rule}|${destination}|${digest}|${[...tags].sort().join(',')}`;
}

/** Opens (or starts) the state file at `path`; with no path, the state lives in memory for this run only. */
export function openBackfillState(path: string | undefined): BackfillState {
  const done = new Map<string, string>();
  if (path === undefined) {
    return { has: (key) => done.has(key), markDone: (key, at) => void done.set(key, at.toISOString()) };
  }
  if (existsSync(path)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw new BackfillStateError(
        `state file ${path}: expected JSON written by harbormaster backfill; delete it to start over`,
        { cause },
      );
    }
    const record = parsed as { version?: unknown; done?: unknown };
    if (
      record?.version !== VERSION ||
      typeof record.done !== 'object' ||
      record.done === null ||
      Array.isArray(record.done)
    ) {
      throw new BackfillStateError(
        `state file ${path}: expected {"version": ${VERSION}, "done": {...}}; delete it to start over`,
      );
    }
    for (const [key, value] of Object.entries(record.done as Record<string, unknown>)) {
      if (typeof value === 'string') done.set(key, value);
    }
  }
  const save = () => {
    const text = `${JSON.stringify({ version: VERSION, done: Object.fromEntries(done) }, null, 2)}\n`;
    const temporary = `${path}.tmp-${process.pid}`;
    try {
      // Write then rename: an interruption never leaves a half-written state file.
      writeFileSync(temporary, text);
      renameSync(temporary, path);
    } catch (cause) {
      throw new BackfillStateError(`state file ${path}: could not be written (${(cause as Error).message})`, {
        cause,
      });
    }
  };
  return {
    path,
    has: (key) => done.has(key),
    markDone: (key, at) => {
      done.set(key, at.toISOString());
      save();
    },
  };
}
