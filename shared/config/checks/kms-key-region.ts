import { settingsHolders } from './settings-holders';
import type { ConfigCheck } from './types';

/** ECR encrypts with a KMS key of its own region only (and of the deploying account when one is set). */
export const kmsKeyRegion: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) => {
    const enc = settings.encryption;
    if (enc.type !== 'KMS' || enc.kmsKeyArn === undefined) return [];
    const [, , , region, account] = enc.kmsKeyArn.split(':');
    const at = [...path, 'encryption', 'kmsKeyArn'];
    if (region !== config.env.region) {
      return [
        { path: at, message: `expected a KMS key in env.region ${config.env.region}, got one in ${region}` },
      ];
    }
    if (config.env.account !== undefined && account !== config.env.account) {
      return [
        { path: at, message: `expected a KMS key of account ${config.env.account}, got one of ${account}` },
      ];
    }
    return [];
  });
