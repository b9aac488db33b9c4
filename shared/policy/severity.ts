import type { SeverityThreshold } from '../config/primitives';
import {
  formatSeverityCounts,
  SEVERITY_ORDER,
  type FindingSeverity,
  type SeverityCounts,
} from '../domain/types';

export { emptyCounts } from '../domain/types';

/** Position in SEVERITY_ORDER: UNDEFINED 0 ... CRITICAL 5. */
export function severityRank(severity: FindingSeverity): number {
  return SEVERITY_ORDER.indexOf(severity);
}

/**
 * True when a finding of `severity` is strictly above `threshold`, i.e. fails it. NONE tolerates
 * nothing (every severity, UNDEFINED included, is above it); UNDEFINED sits below INFORMATIONAL.
 */
export function isAboveThreshold(severity: FindingSeverity, threshold: SeverityThreshold): boolean {
  if (threshold === 'NONE') return true;
  return severityRank(severity) > severityRank(threshold);
}

/** The most severe severity with a count > 0, or undefined. */
export function highestOf(counts: SeverityCounts): FindingSeverity | undefined {
  for (let i = SEVERITY_ORDER.length - 1; i >= 0; i -= 1) {
    if (counts[SEVERITY_ORDER[i]] > 0) return SEVERITY_ORDER[i];
  }
  return undefined;
}

/** "2 CRITICAL, 1 HIGH" (most severe first; zero counts left out); "none" when all are 0. */
export function formatCounts(counts: SeverityCounts): string {
  return formatSeverityCounts(counts, 'none');
}
