import { CliError } from '../errors';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses "90s", "10m", "7d", "2w" into milliseconds; `flag` names the option in the error. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw new CliError(`${flag}: expected a duration such as 30s, 10m, 12h or 7d, got "${text}"`);
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  if (ms <= 0) throw new CliError(`${flag}: expected a duration greater than zero, got "${text}"`);
  return ms;
}

/** Parses a positive integer option such as --limit. */
export function parsePositiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0) {
    throw new CliError(`${flag}: expected a positive integer, got "${text}"`);
  }
  return Number(text);
}
