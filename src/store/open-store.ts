/** Opens the store a DATABASE_URL names. The only place that knows both adapters. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { redactUrl } from '../observability/redact.js';
import { InvalidDatabaseUrlError } from './errors.js';
import type { Store } from './ports.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/** The SQLite file used when no DATABASE_URL is given, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = './data/bridge.db';

/** Where a DATABASE_URL points. */
export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/**
 * Parses a DATABASE_URL: undefined or '' → the default SQLite file; `sqlite:PATH` (PATH may be
 * ':memory:'); `postgres://…` or `postgresql://…`. Throws `InvalidDatabaseUrlError` otherwise, with
 * the password redacted.
 */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  if (url === undefined || url === '') return { kind: 'sqlite', path: DEFAULT_SQLITE_PATH };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') {
      throw new InvalidDatabaseUrlError('"sqlite:" needs a file path, e.g. sqlite:./data/bridge.db');
    }
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new InvalidDatabaseUrlError(
    `"${redactUrl(url)}" is not a supported database URL; use sqlite:PATH, sqlite::memory:, postgres://… or postgresql://… (unset: ${DEFAULT_SQLITE_PATH})`,
  );
}

/** Options of `openStore`. */
export interface OpenStoreOptions {
  logger: Logger;
}

/**
 * Opens the store for a DATABASE_URL (see `parseDatabaseUrl`). Only the default SQLite file's folder
 * (`./data`) is created; any other path must be in a folder that exists, so a typo does not create
 * directories. Does not migrate: callers call `store.migrate()`. Throws `InvalidDatabaseUrlError`, or
 * the driver's error for a folder that does not exist.
 */
export function openStore(url: string | undefined, options: OpenStoreOptions): Promise<Store> {
  try {
    const target = parseDatabaseUrl(url);
    if (target.kind === 'postgres') {
      options.logger.info({ database: redactUrl(target.url) }, 'store: PostgreSQL');
      return Promise.resolve(openPostgresStore(target.url, { logger: options.logger }));
    }
    if (target.path === DEFAULT_SQLITE_PATH) mkdirSync(dirname(target.path), { recursive: true });
    options.logger.info({ database: target.path }, 'store: SQLite');
    return Promise.resolve(openSqliteStore(target.path, { logger: options.logger }));
  } catch (error: unknown) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
