import type { Command } from 'commander';
import { CliError } from '../errors';

// Placeholder registered so the CLI's shape is fixed; the issue that owns this command replaces it.
export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('backfill is not built yet');
    });
}
