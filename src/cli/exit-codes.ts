/** Process exit codes of the CLI (documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** A runtime failure: a call failed, shutdown was not clean. */
  failure: 1,
  /** Bad usage or configuration. */
  usage: 2,
  /** Shutdown took longer than its force limit. */
  forced: 3,
} as const;

/** An error that ends the CLI with a given code and a one-line message. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
