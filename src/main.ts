#!/usr/bin/env node
/** Process entry of `ws-manager-bridge`: parse the command line, run one subcommand, exit with its code. */
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import { CliError, EXIT } from './cli/exit-codes.js';
import { silenceUnactionableWarnings } from './cli/process-warnings.js';
import { ConfigError } from './config/config-error.js';
import { errorMessage } from './lifecycle/abort.js';

function fail(error: unknown): number {
  if (error instanceof CliError) {
    process.stderr.write(`ws-manager-bridge: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof ConfigError) {
    // The message names the flag, variable or file key the bad value came from.
    process.stderr.write(`ws-manager-bridge: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`ws-manager-bridge: ${errorMessage(error)}\n`);
  if (process.env.DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
  return EXIT.failure;
}

silenceUnactionableWarnings();

const program = buildProgram((work) => {
  work().then(
    (code) => process.exit(code),
    (error: unknown) => process.exit(fail(error)),
  );
});

try {
  await program.parseAsync(process.argv);
} catch (error: unknown) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  process.exit(fail(error));
}
