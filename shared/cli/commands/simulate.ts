import type { Command } from 'commander';
import { CliError } from '../errors';

// Placeholder registered so the CLI's shape is fixed; the issue that owns this command replaces it.
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('simulate is not built yet');
    });
}
