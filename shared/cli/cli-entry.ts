// The bundled CLI's entry (scripts/build.mjs bundles it to dist/cli/harbormaster.mjs, the package's bin).
import * as nodeModule from 'node:module';
import { run } from './main';

// Node >= 22.1 keeps V8's compiled code on disk, so the command chunks loaded next skip recompiling.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// `harbormaster gate ... | head`: a closed pipe ends the output, not the process with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
// A failure that surfaces after the command has settled (a socket torn down mid-upload, a late rejection of
// a parallel transfer) is still a failure: one line, exit 2 (or the command's own higher code), never a
// stack trace and never Node's exit 1, which scripts would read as "gate refused".
const late = (error: unknown) => {
  process.stderr.write(`harbormaster: ${(error as Error)?.message ?? String(error)}\n`);
  if (typeof process.exitCode !== 'number' || process.exitCode < 2) process.exitCode = 2;
};
process.on('unhandledRejection', late);
process.on('uncaughtException', late);
void run(process.argv.slice(2)).then((code) => {
  // A late failure already recorded keeps its code.
  process.exitCode = Math.max(code, typeof process.exitCode === 'number' ? process.exitCode : 0);
});
