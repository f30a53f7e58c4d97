/**
 * Which database errors mean "not now" (unreachable, busy, shutting down: retry later) rather than
 * "not this" (the statement itself is refused: retrying the same rows cannot help).
 */
import { StoreClosedError, WriterThreadExitedError } from './errors.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** SQLite: busy/locked files, I/O trouble, a full disk or a closed handle. */
export function isTransientSqliteError(error: unknown): boolean {
  if (error instanceof StoreClosedError || error instanceof WriterThreadExitedError) return true;
  const code = codeOf(error);
  return /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|READONLY)/.test(code);
}

/**
 * PostgreSQL: connection exceptions (08), insufficient resources (53), operator intervention such as
 * a shutdown (57), system errors (58), serialization failures and deadlocks, a database that does not
 * accept connections (55000), and socket errors of the driver.
 */
export function isTransientPostgresError(error: unknown): boolean {
  if (error instanceof StoreClosedError) return true;
  const code = codeOf(error);
  if (NETWORK_CODES.has(code)) return true;
  if (
    /^(08|53|57|58)/.test(code) ||
    code === '40001' ||
    code === '40P01' ||
    code === '55000' ||
    code === '55P03'
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}
