import type { Command } from 'commander';
import { CliError } from '../errors';

// Placeholder registered so the CLI's shape is fixed; the issue that owns this command replaces it.
export function registerLifecyclePreview(program: Command): void {
  program
    .command('lifecycle-preview')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('lifecycle-preview is not built yet');
    });
}
