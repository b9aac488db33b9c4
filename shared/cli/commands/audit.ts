import type { Command } from 'commander';
import { CliError } from '../errors';

// Placeholder registered so the CLI's shape is fixed; the issue that owns this command replaces it.
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('audit is not built yet');
    });
}
