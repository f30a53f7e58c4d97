/** Applies an adapter's in-code migrations with Kysely's Migrator. */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { errorMessage } from '../lifecycle/abort.js';
import type { Logger } from '../observability/logger.js';

/** Name of the table that records applied migrations (and of its lock table, with `_lock`). */
export const MIGRATION_TABLE = 'bridge_migration';

/**
 * Applies every migration not yet recorded, in name order. A second call applies nothing. Throws
 * when a migration fails, naming it; the database keeps the migrations that succeeded before it.
 */
export async function runMigrations(
  db: Kysely<unknown>,
  migrations: Readonly<Record<string, Migration>>,
  logger: Logger,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const result of results) {
    if (result.status === 'Success')
      logger.info({ migration: result.migrationName }, 'store migration applied');
  }
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const reason = errorMessage(error);
    // Driver messages name host, port and user, never the password.
    const what = failed === undefined ? 'cannot migrate the database' : `store migration "${failed}" failed`;
    throw new Error(`${what}: ${reason}`, { cause: error });
  }
}
