import type { Command } from 'commander';
import { CliError } from '../errors';

// Placeholder registered so the CLI's shape is fixed; the issue that owns this command replaces it.
export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('gate is not built yet');
    });
}
