/**
 * The construct library: `import { Harbormaster } from 'harbormaster'`, then
 * `new Harbormaster(app, 'Harbormaster', { config: 'harbormaster.config.yaml' })` in your own CDK app.
 */
export { Harbormaster, type HarbormasterProps } from '../infra/harbormaster';
export { ConfigError } from '../shared/config/errors';
export { loadConfig, parseConfig, parseConfigText } from '../shared/config/load';
export type { ConfigInput, HarbormasterConfig } from '../shared/config/schema';
