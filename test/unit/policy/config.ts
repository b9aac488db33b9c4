import { join } from 'node:path';
import { loadConfig } from '../../../shared/config/load';
import type { HarbormasterConfig, RepositoryConfig } from '../../../shared/config/schema';

export const TEST_CONFIG_PATH = join(__dirname, '..', '..', 'fixtures', 'events', 'simulate-config.yaml');

/** The tests' own config (test/fixtures/events/simulate-config.yaml), validated like a real one. */
export function testConfig(): HarbormasterConfig {
  return loadConfig(TEST_CONFIG_PATH);
}

export function repo(config: HarbormasterConfig, name: string): RepositoryConfig {
  const found = config.repositories.find((r) => r.name === name);
  if (!found) throw new Error(`test config has no repository ${name}`);
  return found;
}
