import type { Command } from 'commander';
import { CliError } from '../errors';

// Placeholder registered so the CLI's shape is fixed; the issue that owns this command replaces it.
export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('promote is not built yet');
    });
}
