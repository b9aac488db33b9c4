import { settingsHolders } from './settings-holders';
import type { ConfigCheck } from './types';

/** keepLast keeps the last N images per release tag pattern: without releaseTags it would keep nothing. */
export const lifecycleKeepLastReleaseTags: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) =>
    settings.lifecycle?.keepLast !== undefined && settings.releaseTags.length === 0
      ? [
          {
            path: [...path, 'lifecycle', 'keepLast'],
            message:
              'expected releaseTags (the tag patterns whose last N images are kept) next to keepLast, got none',
          },
        ]
      : [],
  );
