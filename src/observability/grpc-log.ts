/**
 * grpc-js writes its own lines to stderr (`E No address added out of total 1 resolved`), next to the
 * error the bridge reports for the same failure. Those lines go to our logger at debug level instead.
 */
import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import type { Logger } from './logger.js';

/**
 * Sends grpc-js's log lines to `logger` at debug level, unless `GRPC_VERBOSITY`, `GRPC_NODE_VERBOSITY`,
 * `GRPC_TRACE` or `GRPC_NODE_TRACE` is set: whoever sets those wants grpc-js's own output.
 */
export function routeGrpcLogs(logger: Logger, env: Record<string, string | undefined> = process.env): void {
  const asked = ['GRPC_VERBOSITY', 'GRPC_NODE_VERBOSITY', 'GRPC_TRACE', 'GRPC_NODE_TRACE'];
  if (asked.some((name) => env[name])) return;
  const grpc = logger.child({ component: 'grpc-js' });
  const write = (message?: unknown, ...rest: unknown[]): void => grpc.debug(format(message, ...rest));
  setLogger({ error: write, info: write, debug: write });
}
