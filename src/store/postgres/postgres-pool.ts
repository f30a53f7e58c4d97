/** Creates the `pg` pool of the PostgreSQL adapter, and the settings of its other connections. */
import pg from 'pg';
import type { Logger } from '../../observability/logger.js';
import { OutageLog } from '../../observability/outage-log.js';
import { redactUrl } from '../../observability/redact.js';

const INT8_OID = 20;

/** Settings of the pool. */
export interface PostgresPoolOptions {
  /** Most connections open at once. @default 10 */
  maxConnections?: number;
  /** How long to wait for a connection before a query fails, in ms. @default 10000 */
  connectTimeoutMs?: number;
  logger: Logger;
}

// int8 as bigint for this pool only (pg's global parser table stays untouched): status_version is a
// uint64 on the wire and must never pass through a JS number.
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') return (value: string) => BigInt(value);
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}
const types: pg.CustomTypesConfig = { getTypeParser: getTypeParser as pg.CustomTypesConfig['getTypeParser'] };

/**
 * How every connection of the adapter connects: the pool's and the dedicated ones outside it (the
 * cluster-change listener). Parses int8 as bigint.
 */
export function postgresClientConfig(
  url: string,
  options: Omit<PostgresPoolOptions, 'logger'>,
): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'ws-manager-bridge',
    types,
  };
}

/** A pool on `url` that parses int8 as bigint and logs (rather than crashes on) idle-client errors. */
export function createPostgresPool(url: string, options: PostgresPoolOptions): pg.Pool {
  // Idle connections stay open (pg closes them after 10 s by default): a reopened one is cold again,
  // and the statuses behind its first statements wait (see the adapter's `warm`).
  const pool = new pg.Pool({
    ...postgresClientConfig(url, options),
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: 0,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it ends the process.
  // A server restart fails every kept connection at once: one line for all of them, and one when a
  // new connection opens.
  const idle = new OutageLog(options.logger, 'postgres: idle connections', {
    failed: 'postgres: idle connection failed; new ones open on demand',
    recovered: 'postgres: connecting again',
  });
  pool.on('error', (error: Error) => idle.failed(error, { url: redactUrl(url) }));
  // A checked-out client between two queries has no listener at all (the pool removes its own):
  // a server shutdown (`pg_ctl restart`) then ended the process. Its queries fail as transient.
  pool.on('connect', (client) => {
    idle.recovered();
    client.on('error', (error: Error) => {
      options.logger.debug({ err: error.message, url: redactUrl(url) }, 'postgres: connection in use failed');
    });
  });
  return pool;
}
