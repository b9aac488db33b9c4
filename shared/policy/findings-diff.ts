import { createHash } from 'node:crypto';
import type { Finding } from '../domain/types';

/** What changed in a digest's finding set since the last scan we alerted on (A4). */
export interface FindingsDiff {
  /** Ids present now and not before, sorted. */
  readonly new: string[];
  /** Ids present before and not now, sorted. */
  readonly fixed: string[];
  /** False when the set of ids is the same: a re-scan with nothing new alerts no one. */
  readonly changed: boolean;
}

/** The distinct finding ids, sorted. */
export function idsOf(current: readonly (Finding | string)[]): string[] {
  return [...new Set(current.map((f) => (typeof f === 'string' ? f : f.id)))].sort();
}

/** Compares the previous id set (undefined: never scanned, so everything is new) with the current findings. */
export function diffFindings(
  previousIds: readonly string[] | undefined,
  current: readonly (Finding | string)[],
): FindingsDiff {
  const now = idsOf(current);
  const before = new Set(previousIds ?? []);
  const nowSet = new Set(now);
  const added = now.filter((id) => !before.has(id));
  const fixed = [...before].filter((id) => !nowSet.has(id)).sort();
  return {
    new: added,
    fixed,
    changed: previousIds === undefined ? now.length > 0 : added.length > 0 || fixed.length > 0,
  };
}

/**
 * A stable fingerprint of a finding set (order and duplicates do not matter), stored with the alert
 * so a re-scan can tell "same set" from "changed" without keeping every id forever.
 */
export function findingSetHash(ids: readonly (Finding | string)[]): string {
  return `sha256:${createHash('sha256').update(idsOf(ids).join('\n')).digest('hex')}`;
}
