/**
 * Errors of the argument parser as one line, like every other failure of the CLI:
 * `ws-manager-bridge: unknown option '--x'; see ws-manager-bridge serve --help`. commander would print
 * `error: …`, its "Did you mean" on a line of its own, and then the whole help text.
 */
import type { Command } from 'commander';
import { withConnectionFlagHint } from './clusters-usage.js';

/** `ws-manager-bridge clusters list` for the `list` command. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The one-line form of a parser error `text` raised by `command`. */
export function parserErrorLine(text: string, command: Command): string {
  let line = text.replace(/\n\(Did you mean (.*)\)/, ' (did you mean $1)').replace(/\n+$/, '');
  if (command.parent?.name() === 'clusters') line = withConnectionFlagHint(line, command.name());
  return `${line.replace(/^error: /, 'ws-manager-bridge: ')}; see ${commandPath(command)} --help\n`;
}

/** Makes `program` and every command below it print parser errors as one line. */
export function oneLineParserErrors(program: Command): void {
  const visit = (command: Command): void => {
    command.showHelpAfterError(false);
    command.configureOutput({ outputError: (text, write) => write(parserErrorLine(text, command)) });
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
}
