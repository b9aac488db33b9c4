import { App } from 'aws-cdk-lib';
import { ConfigError } from '../shared/config/errors';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../shared/config/load';
import { buildHarbormaster } from './harbormaster';

const app = new App();
// Another config file: `npx cdk synth -c config=path/to/file.yaml`.
const configPath: string = app.node.tryGetContext('config') ?? DEFAULT_CONFIG_PATH;
try {
  buildHarbormaster(app, loadConfig(configPath));
} catch (error) {
  if (error instanceof ConfigError) {
    // One line per problem, each naming its field path; no stack trace for a config mistake.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
