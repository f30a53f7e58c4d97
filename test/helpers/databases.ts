/**
 * Per-test databases: a fresh SQLite file in a temporary folder, or a fresh PostgreSQL database on the
 * server from global setup. A database is dropped after a passing test and left behind after a
 * failing one, for inspection.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

export type DatabaseKind = 'sqlite' | 'postgres';

/** Adapters under test; `WSB_TEST_DB=sqlite` or `postgres` narrows the loop for local runs. */
export const DATABASES: readonly DatabaseKind[] = (() => {
  const only = process.env.WSB_TEST_DB;
  if (only === 'sqlite' || only === 'postgres') return [only];
  return ['sqlite', 'postgres'];
})();

export interface TestDatabase {
  kind: DatabaseKind;
  /** A DATABASE_URL the bridge accepts (`sqlite:PATH` or `postgres://...`). */
  url: string;
  /** Drops the database (or removes the file). */
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'wsb-test-'));
    return {
      kind,
      url: `sqlite:${join(dir, 'bridge.db')}`,
      drop: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  }
  const admin = inject('pgUrl');
  const name = `wsb_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
