import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors';
import { CliError, EXIT } from './errors';
import { registerAudit } from './commands/audit';
import { registerBackfill } from './commands/backfill';
import { registerCopy } from './commands/copy';
import { registerGate } from './commands/gate';
import { registerLifecyclePreview } from './commands/lifecycle-preview';
import { registerPromote } from './commands/promote';
import { registerSimulate } from './commands/simulate';

/** Builds the CLI. Commands write results to stdout and set process.exitCode; errors are thrown. */
export function buildProgram(): Command {
  const program = new Command('harbormaster')
    .description('Operate a Harbormaster-governed Amazon ECR registry.')
    .showHelpAfterError()
    .exitOverride();
  for (const register of [
    registerSimulate,
    registerAudit,
    registerGate,
    registerPromote,
    registerCopy,
    registerBackfill,
    registerLifecyclePreview,
  ]) {
    register(program);
  }
  return program;
}

/** Runs the CLI and returns the exit code; every failure becomes one line on stderr. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? EXIT.OK : EXIT.ERROR;
    }
    if (error instanceof CliError) {
      process.stderr.write(`harbormaster: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`harbormaster: ${error.message}\n`);
      return EXIT.ERROR;
    }
    process.stderr.write(`harbormaster: ${(error as Error).message ?? String(error)}\n`);
    return EXIT.ERROR;
  }
}
