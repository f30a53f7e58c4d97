/**
 * Setup shared by the store contract suites: a fresh database and store per test (the database is
 * kept for inspection when the test fails), a second store on the same database, seeding, and
 * migrating a database only up to an older schema.
 */
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { beforeEach, onTestFinished } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/postgres-migrations.js';
import { runMigrations } from '../../src/store/run-migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../helpers/databases.js';
import { platformRows } from './store-fixtures.js';

/** The database and the migrated store of the running test. */
export interface StoreUnderTest {
  db: TestDatabase;
  store: Store;
}

/**
 * Registers a `beforeEach` that creates a fresh database of `kind`, opens and migrates a store on it
 * and hands both to `use`; the store is closed after the test and the database dropped unless the
 * test failed.
 */
export function useFreshStore(kind: DatabaseKind, use: (current: StoreUnderTest) => void): void {
  beforeEach(async (ctx) => {
    const db = await createTestDatabase(kind);
    const store = await openStore(db.url, { logger: silentLogger() });
    await store.migrate();
    use({ db, store });
    ctx.onTestFinished(async ({ task }) => {
      await store.close();
      if (task.result?.state !== 'fail') await db.drop();
    });
  });
}

/** A second, independent store on the same database (another process, in effect); closed after the test. */
export async function openSecondStore(db: TestDatabase): Promise<Store> {
  const other = await openStore(db.url, { logger: silentLogger() });
  onTestFinished(() => other.close());
  return other;
}

/** A fresh database of `kind`, dropped after the test unless it failed. */
export async function extraDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const db = await createTestDatabase(kind);
  onTestFinished(async ({ task }) => {
    if (task.result?.state !== 'fail') await db.drop();
  });
  return db;
}

/** Workspaces and instances for these instance ids, as the platform would have created them. */
export async function seedInstances(
  store: Store,
  ids: readonly string[],
  overrides: Parameters<typeof platformRows>[1] = {},
): Promise<void> {
  const { workspaces, instances } = platformRows(ids, overrides);
  await store.createWorkspaces(workspaces);
  await store.createInstances(instances);
}

/** Applies the adapter's migrations up to and including `last`, as an older bridge did. */
export async function migrateThrough(db: TestDatabase, last: string): Promise<void> {
  const all = db.kind === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
  const older = Object.fromEntries(Object.entries(all).filter(([name]) => name <= last));
  const dialect =
    db.kind === 'sqlite'
      ? new SqliteDialect({ database: new Database(db.url.slice('sqlite:'.length)) })
      : new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url }) });
  const kysely = new Kysely<unknown>({ dialect });
  try {
    await runMigrations(kysely, older, silentLogger());
  } finally {
    await kysely.destroy();
  }
}

/** Waits until ISO timestamps (millisecond resolution) taken from now on differ from the last one. */
export async function nextMillisecond(): Promise<void> {
  const before = new Date().toISOString();
  while (new Date().toISOString() === before) await Promise.resolve();
}
