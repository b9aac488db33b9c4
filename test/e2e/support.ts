import { MissingToolError, MOTO, DOCKER_REGISTRY, OPENSSL, requireTools } from '../../sandbox/tools';

/**
 * True when moto_server, docker-registry and openssl are installed. Under CI=true a missing tool fails the
 * suite with its name (.ci/run installs them); elsewhere the suite is skipped and says why.
 */
export function haveSandboxTools(extra: { command: string; install: string }[] = []): boolean {
  try {
    requireTools([MOTO, DOCKER_REGISTRY, OPENSSL, ...extra]);
    return true;
  } catch (error) {
    if (!(error instanceof MissingToolError)) throw error;
    if (process.env.CI === 'true') throw new Error(`end-to-end tests need ${error.message}`);
    console.warn(`skipping end-to-end tests: ${error.message}`);
    return false;
  }
}

process.env.AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING ??= '1';
