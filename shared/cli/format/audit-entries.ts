import type { AuditEntry } from '../../domain/types';
import { formatTable, shortDigest } from './table';

const MAX_DETAIL = 100;

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(scalar).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** One readable line for an entry's detail: a verdict's reason first, then key=value pairs, shortened. */
export function summarizeDetail(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  const { reason, ...rest } = detail;
  const parts: string[] = [];
  if (typeof reason === 'string' && reason) parts.push(reason);
  for (const [key, value] of Object.entries(rest)) {
    // Finding id lists and hashes are long and live in --json output; a reason already says pass/fail and the highest severity.
    if (key === 'findingIds' || key === 'findingSetHash' || value === undefined) continue;
    if (parts.length > 0 && (key === 'result' || key === 'highestSeverity')) continue;
    parts.push(`${key}=${scalar(value)}`);
  }
  const text = parts.join('; ');
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 3)}...` : text;
}

/** 2026-11-20T10:00:00.000Z -> 2026-11-20 10:00:00Z */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** The timeline as an aligned table; the digest column only for a repository timeline (several images). */
export function formatAuditTable(entries: readonly AuditEntry[], withDigest: boolean): string {
  const headers = withDigest
    ? ['TIME', 'DIGEST', 'ACTION', 'TAGS', 'DETAIL']
    : ['TIME', 'ACTION', 'TAGS', 'DETAIL'];
  const rows = entries.map((e) => {
    const cells = [shortTime(e.time), e.action, (e.tags ?? []).join(','), summarizeDetail(e.detail)];
    if (withDigest) cells.splice(1, 0, shortDigest(e.digest));
    return cells;
  });
  return formatTable(headers, rows);
}
