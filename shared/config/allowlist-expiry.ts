import { isAllowlistEntryActive } from '../policy/verdict';
import { formatPath } from './errors';
import type { HarbormasterConfig } from './schema';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far ahead synth warns of an allowlist entry about to expire. */
export const EXPIRY_WARNING_DAYS = 30;

/** An allowlist entry that has expired, or expires within EXPIRY_WARNING_DAYS. */
export interface AllowlistExpiry {
  readonly repository: string;
  readonly path: ReadonlyArray<string | number>;
  readonly id: string;
  readonly expires: string;
  readonly status: 'expired' | 'expiring';
  /** Whole days the entry still applies after today (0: today is its last day); negative once expired. */
  readonly daysLeft: number;
  /** One line for a synth warning. */
  readonly message: string;
}

/**
 * The allowlist entries a platform team should look at now: expired ones (their findings fail images again)
 * and those expiring within `withinDays`. Pure: `now` is the caller's clock.
 */
export function allowlistExpiries(
  config: HarbormasterConfig,
  now: Date,
  withinDays = EXPIRY_WARNING_DAYS,
): AllowlistExpiry[] {
  const today = Math.floor(now.getTime() / DAY_MS);
  const out: AllowlistExpiry[] = [];
  config.repositories.forEach((repository, r) => {
    repository.scan.allowlist.forEach((entry, e) => {
      const daysLeft = Math.floor(Date.parse(`${entry.expires}T00:00:00Z`) / DAY_MS) - today;
      const expired = !isAllowlistEntryActive(entry, now);
      if (!expired && daysLeft > withinDays) return;
      const path = ['repositories', r, 'scan', 'allowlist', e];
      const where = `${formatPath(path)} (${repository.name})`;
      const message = expired
        ? `${where}: allowlist entry ${entry.id} expired on ${entry.expires}: its findings fail images again; renew it with a new date or remove it`
        : `${where}: allowlist entry ${entry.id} expires on ${entry.expires} (${
            daysLeft === 0 ? 'today is its last day' : `in ${daysLeft} day(s)`
          }); renew it or fix the finding`;
      out.push({
        repository: repository.name,
        path,
        id: entry.id,
        expires: entry.expires,
        status: expired ? 'expired' : 'expiring',
        daysLeft,
        message,
      });
    });
  });
  return out;
}
