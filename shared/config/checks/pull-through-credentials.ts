import { PULL_THROUGH_UPSTREAMS } from '../schema';
import type { ConfigCheck, ConfigProblem } from './types';

export const PULL_THROUGH_SECRET_PREFIX = 'ecr-pullthroughcache/';

/**
 * Docker Hub, GHCR and GitLab need a Secrets Manager secret whose name starts with
 * ecr-pullthroughcache/ (ECR reads only those); the public upstreams take no credentials.
 */
export const pullThroughCredentials: ConfigCheck = (config) =>
  config.pullThroughCache.flatMap((rule, i): ConfigProblem[] => {
    const at = ['pullThroughCache', i, 'credentialSecret'];
    const needs = PULL_THROUGH_UPSTREAMS[rule.upstream].needsCredentials;
    if (needs && rule.credentialSecret === undefined) {
      return [
        {
          path: at,
          message: `expected a Secrets Manager secret name for upstream ${rule.upstream}, but it is missing`,
        },
      ];
    }
    if (!needs && rule.credentialSecret !== undefined) {
      return [
        {
          path: at,
          message: `expected no credentials for upstream ${rule.upstream} (it is public), got "${rule.credentialSecret}"`,
        },
      ];
    }
    if (
      rule.credentialSecret !== undefined &&
      !rule.credentialSecret.startsWith(PULL_THROUGH_SECRET_PREFIX)
    ) {
      return [
        {
          path: at,
          message: `expected a secret name starting with ${PULL_THROUGH_SECRET_PREFIX}, got "${rule.credentialSecret}"`,
        },
      ];
    }
    return [];
  });
