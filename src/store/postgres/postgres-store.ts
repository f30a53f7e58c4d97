/** Builds the PostgreSQL store: one `pg` pool shared by Kysely, the hot path and the leases. */
import { Kysely, PostgresDialect } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import type { Store } from '../ports.js';
import type { StoreSchema } from '../schema.js';
import { createPostgresPool, postgresClientConfig, type PostgresPoolOptions } from './postgres-pool.js';
import { PostgresStoreAdapter } from './postgres-store-adapter.js';
import { PostgresLeaseStore } from './postgres-lease-store.js';

/** Opens a PostgreSQL store on a `postgres://` URL. Connects lazily; does not migrate. */
export function openPostgresStore(url: string, options: PostgresPoolOptions): Store {
  const pool = createPostgresPool(url, options);
  const db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
  const leases = new PostgresLeaseStore(db, {
    client: postgresClientConfig(url, options),
    logger: options.logger,
  });
  return new KyselyStore({
    db,
    adapter: new PostgresStoreAdapter(pool, db),
    // Several processes may write: leases coordinate them, so there is nothing to claim.
    coordination: { leases, claimSoleWriter: () => Promise.resolve(), release: () => leases.close() },
    logger: options.logger,
  });
}
