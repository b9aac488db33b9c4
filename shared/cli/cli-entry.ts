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
void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
