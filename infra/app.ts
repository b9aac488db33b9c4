import { App } from 'aws-cdk-lib';
import { ConfigError } from '../shared/config/errors';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../shared/config/load';
import { Harbormaster } from './harbormaster';
import { synthSummary } from './synth-summary';

const app = new App();
// Another config file: `npx cdk synth -c config=path/to/file.yaml`.
const configPath: string = app.node.tryGetContext('config') ?? DEFAULT_CONFIG_PATH;
let harbormaster: Harbormaster;
try {
  harbormaster = new Harbormaster(app, 'Harbormaster', { config: loadConfig(configPath) });
} catch (error) {
  if (error instanceof ConfigError) {
    // One line per problem, each naming its field path; no stack trace for a config mistake.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
// Synthesize here (cdk-nag runs now and throws on a finding), then say what was produced and what to run next.
app.synth();
process.stderr.write(synthSummary(harbormaster.stacks, harbormaster.nagViolations));
