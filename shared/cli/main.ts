import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors';
import { CliError, EXIT } from './errors';
import { cliVersion } from './version';

type Register = (program: Command) => void;

/**
 * Set by the CLI build (scripts/build.mjs); absent when run from source. From source (tsx, jest: CommonJS) a
 * command is required; in the bundle the define makes the test constant, so esbuild drops the require and
 * splits each import() into its own chunk.
 */
declare const __HARBORMASTER_VERSION__: string | undefined;

interface CommandEntry {
  readonly name: string;
  /** The command's one-line description, shown by `harbormaster --help` without loading the command. */
  readonly summary: string;
  /** Loads the command's module only when it runs: `--help` and each command pay for their own imports only. */
  readonly load: () => Promise<Register>;
}

/**
 * Every command, in help order. A test keeps each summary equal to the description its module registers.
 * The imports are dynamic so the bundle (dist/cli) splits each command and its SDK clients into its own chunk.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- from source a command is required (see above) */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'simulate',
    summary:
      "Print what the automation would do for EventBridge events: the functions' own code, no AWS calls.",
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/simulate')
        : await import('./commands/simulate')
      ).registerSimulate as Register,
  },
  {
    name: 'audit',
    summary: "Show an image's audit timeline (or a repository's), newest first",
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/audit')
        : await import('./commands/audit')
      ).registerAudit as Register,
  },
  {
    name: 'gate',
    summary: "Wait for an image's scan and pass or fail it with the repository's scan policy (for CI)",
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/gate')
        : await import('./commands/gate')
      ).registerGate as Register,
  },
  {
    name: 'promote',
    summary:
      'Add tags to an image that passed its scan: build once, tag many (PutImage with the same manifest, no data transfer)',
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/promote')
        : await import('./commands/promote')
      ).registerPromote as Register,
  },
  {
    name: 'release',
    summary:
      'Give a quarantined image its tags back once it passes (a later scan, or the current allowlist), recording who and why',
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/release')
        : await import('./commands/release')
      ).registerRelease as Register,
  },
  {
    name: 'copy',
    summary:
      'Copy an image (or a multi-arch index with all its platforms) between OCI registries, verifying every digest.',
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/copy')
        : await import('./commands/copy')
      ).registerCopy as Register,
  },
  {
    name: 'backfill',
    summary:
      "Copy the existing images that match the config's gated replication rules (verdict checks included), skipping what is already there",
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/backfill')
        : await import('./commands/backfill')
      ).registerBackfill as Register,
  },
  {
    name: 'lifecycle-preview',
    summary: "Preview which images ECR's lifecycle policy would expire, and under which rule",
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/lifecycle-preview')
        : await import('./commands/lifecycle-preview')
      ).registerLifecyclePreview as Register,
  },
  {
    name: 'verify',
    summary:
      "List an image's signatures (Notation / AWS Signer, cosign), verify them offline and apply the repository's signature policy",
    load: async () =>
      (typeof __HARBORMASTER_VERSION__ === 'undefined'
        ? require('./commands/verify')
        : await import('./commands/verify')
      ).registerVerify as Register,
  },
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** The command argv names (`gate ...` or `help gate`), if it is one of ours. */
function selectedCommand(argv: readonly string[]): CommandEntry | undefined {
  const name = argv[0] === 'help' ? argv[1] : argv[0];
  return COMMANDS.find((entry) => entry.name === name);
}

/**
 * Builds the CLI for this argv: the selected command in full, the others as name and summary only (enough
 * for the help listing and commander's "did you mean"). With `all`, every command in full (tests, docs).
 */
export async function buildProgram(argv: readonly string[] = [], all = false): Promise<Command> {
  const program = new Command('harbormaster')
    .description('Operate a Harbormaster-governed Amazon ECR registry.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  const selected = selectedCommand(argv);
  for (const entry of COMMANDS) {
    if (all || entry === selected) (await entry.load())(program);
    else program.command(entry.name).description(entry.summary);
  }
  return program;
}

/** Runs the CLI and returns the exit code; every failure becomes one line on stderr. */
export async function run(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
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
