import type { Command } from 'commander';
import { CliError } from '../errors';

// Placeholder registered so the CLI's shape is fixed; the issue that owns this command replaces it.
export function registerCopy(program: Command): void {
  program
    .command('copy')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('copy is not built yet');
    });
}
