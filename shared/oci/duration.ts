/** A duration option is not `90s`, `10m`, `1h30m` or a number of seconds. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `90s`, `10m`, `1h30m`, `500ms` or plain seconds (`600`) into milliseconds; `what` names the option. */
export function parseDuration(text: string, what: string): number {
  const input = text.trim();
  if (/^\d+(\.\d+)?$/.test(input)) return checked(Number(input) * 1000, text, what);
  const parts = [...input.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== input) {
    throw new DurationError(`${what} must be a duration such as 90s, 10m or 1h30m, got "${text}"`);
  }
  return checked(
    parts.reduce((sum, part) => sum + Number(part[1]) * UNIT_MS[part[2]], 0),
    text,
    what,
  );
}

function checked(ms: number, text: string, what: string): number {
  if (!(ms > 0) || !Number.isFinite(ms) || ms > 7 * 24 * 3_600_000) {
    throw new DurationError(`${what} must be more than 0 and at most 7 days, got "${text}"`);
  }
  return Math.round(ms);
}

/** `1500` -> `1.5s`, `90000` -> `1m30s`, `3600000` -> `60m`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
}
