import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

/** AWS allows 50 tags per resource; Harbormaster adds harbormaster:team to each managed repository. */
export const MAX_RESOURCE_TAGS = 50;

/** Resource tags fit AWS's limits: at most 50 per resource, and no key in the reserved aws: namespace. */
export const resourceTags: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }): ConfigProblem[] => {
    const keys = Object.keys(settings.tags);
    const room = path[0] === 'repositories' ? MAX_RESOURCE_TAGS - 1 : MAX_RESOURCE_TAGS;
    const problems: ConfigProblem[] = keys
      .filter((key) => key.toLowerCase().startsWith('aws:'))
      .map((key) => ({
        path: [...path, 'tags', key],
        message: `expected a tag key outside the reserved aws: prefix, got "${key}"`,
      }));
    if (keys.length > room) {
      problems.push({
        path: [...path, 'tags'],
        message: `expected at most ${room} tags (AWS allows ${MAX_RESOURCE_TAGS}${room < MAX_RESOURCE_TAGS ? ', Harbormaster adds harbormaster:team' : ''}), got ${keys.length}`,
      });
    }
    return problems;
  });
