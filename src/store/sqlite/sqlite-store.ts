/** Builds the SQLite store: one better-sqlite3 connection shared by Kysely and the hot path. */
import { Kysely, SqliteDialect } from 'kysely';
import type { Logger } from '../../observability/logger.js';
import { KyselyStore } from '../kysely-store.js';
import type { Store } from '../ports.js';
import type { StoreSchema } from '../schema.js';
import { openSqliteDatabase, type SqliteDatabaseOptions } from './sqlite-database.js';
import { SqliteStoreAdapter } from './sqlite-store-adapter.js';
import { SqliteLockFile } from './sqlite-lock-file.js';

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions extends SqliteDatabaseOptions {
  logger: Logger;
}

/**
 * Opens a SQLite store on a file path (or ':memory:'). The folder must exist. Does not migrate and
 * does not claim the file (`claimSoleWriter`); it has no leases.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions): Store {
  const { logger, ...settings } = options;
  const database = openSqliteDatabase(path, settings);
  const db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database }) });
  return new KyselyStore({
    db,
    adapter: new SqliteStoreAdapter(database, db, path, settings),
    coordination: new SqliteLockFile(path),
    logger,
  });
}
