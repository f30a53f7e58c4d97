/**
 * Connection flags of `clusters` belong before the verb (`clusters --addr X list`), since `register`
 * has its own `--tls-*` flags. An option a verb does not know gets a hint saying so.
 */

/** The flags of the connection to the ClusterService, accepted only between `clusters` and the verb. */
export const CONNECTION_FLAGS = [
  '--addr',
  '--token',
  '--tls-ca',
  '--tls-cert',
  '--tls-key',
  '--tls-server-name',
  '--timeout',
] as const;

/** A parser error line of `verb`, with a hint appended when it is about an unknown option. */
export function withConnectionFlagHint(line: string, verb: string): string {
  const match = /^error: unknown option '([^'=]+)[^']*'/.exec(line);
  if (!match) return line;
  const flag = match[1] ?? '';
  const hint = (CONNECTION_FLAGS as readonly string[]).includes(flag)
    ? `${flag} is a connection flag and goes before the verb: ws-manager-bridge clusters ${flag} … ${verb} …`
    : `connection flags (${CONNECTION_FLAGS.join(', ')}) go before the verb: ws-manager-bridge clusters --addr HOST:PORT ${verb} …`;
  return `${line} (${hint})`;
}
