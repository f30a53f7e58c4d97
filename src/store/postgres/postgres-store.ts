/** Builds the PostgreSQL store: one `pg` pool shared by Kysely and the hot path. */
import { Kysely, PostgresDialect } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import type { Store } from '../ports.js';
import type { StoreSchema } from '../schema.js';
import { createPostgresPool, type PostgresPoolOptions } from './postgres-pool.js';
import { PostgresHotPath } from './postgres-hot-path.js';

/** Opens a PostgreSQL store on a `postgres://` URL. Connects lazily; does not migrate. */
export function openPostgresStore(url: string, options: PostgresPoolOptions): Store {
  const pool = createPostgresPool(url, options);
  const db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore({ db, adapter: new PostgresHotPath(pool, db), logger: options.logger });
}
