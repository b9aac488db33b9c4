import type { ConfigCheck, ConfigProblem } from './types';

/** Basic scanning only scans on push; continuous scanning is Inspector's (ENHANCED). One rule per frequency. */
export const scanningFrequency: ConfigCheck = (config) => {
  const scanning = config.scanning;
  if (!scanning) return [];
  const seen = new Set<string>();
  return scanning.rules.flatMap((rule, i): ConfigProblem[] => {
    const at = ['scanning', 'rules', i, 'frequency'];
    if (seen.has(rule.frequency)) {
      return [
        {
          path: at,
          message: `expected one rule per frequency, got ${rule.frequency} twice (put all its filters in one rule)`,
        },
      ];
    }
    seen.add(rule.frequency);
    if (scanning.type === 'BASIC' && rule.frequency !== 'SCAN_ON_PUSH') {
      return [
        {
          path: at,
          message: `expected SCAN_ON_PUSH with scanning type BASIC (CONTINUOUS_SCAN needs ENHANCED), got ${rule.frequency}`,
        },
      ];
    }
    return [];
  });
};
