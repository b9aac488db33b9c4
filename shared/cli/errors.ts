/**
 * Exit codes shared by every command: 0 success/pass, 1 a negative answer (gate fail), 2 usage, input or
 * runtime error, 3 gave up waiting (gate --timeout), so CI can retry a slow scan without retrying bad input.
 */
export const EXIT = { OK: 0, FAIL: 1, ERROR: 2, TIMEOUT: 3 } as const;

/** An error the CLI prints as one line on stderr before exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.ERROR, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
