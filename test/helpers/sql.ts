/**
 * Plain SQL on a test database with a connection of its own, bypassing the store: for rows only the
 * platform writes (user tokens), for reading back what the bridge wrote, and (PostgreSQL) for
 * sessions that hold locks while the store runs. Parameters are written `?` and turned into
 * `$1, $2, …` for PostgreSQL.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from './databases.js';

/** Runs one statement and returns its rows (empty for statements without a result). */
export async function runSql<T = Record<string, unknown>>(
  db: TestDatabase,
  text: string,
  params: readonly unknown[] = [],
): Promise<T[]> {
  if (db.kind === 'sqlite') {
    const conn = new Database(db.url.slice('sqlite:'.length));
    try {
      const statement = conn.prepare(text);
      return statement.reader ? (statement.all(...params) as T[]) : (statement.run(...params), []);
    } finally {
      conn.close();
    }
  }
  let n = 0;
  const numbered = text.replace(/\?/g, () => `$${++n}`);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(numbered, [...params])).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL session of its own on the test database, for holding transactions and locks across
 * store calls; the caller ends it (`client.end()`).
 */
export async function connectPostgres(db: TestDatabase): Promise<pg.Client> {
  if (db.kind !== 'postgres') throw new Error('connectPostgres needs a PostgreSQL test database');
  const client = new pg.Client({ connectionString: db.url, application_name: 'wsb-test-session' });
  await client.connect();
  return client;
}

/** A `user_tokens` row as the platform writes it (scopes and time are filled in). */
export interface UserToken {
  tokenHash: string;
  userId: string;
  name: string;
}

/** Inserts `user_tokens` rows as the platform does when it mints an instance's tokens. */
export async function insertUserTokens(db: TestDatabase, tokens: readonly UserToken[]): Promise<void> {
  for (const t of tokens) {
    await runSql(
      db,
      'INSERT INTO user_tokens (token_hash, user_id, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)',
      [t.tokenHash, t.userId, t.name, '["function:getWorkspace"]', new Date().toISOString()],
    );
  }
}

/** `user_id/name` of every token left, sorted. */
export async function userTokenNames(db: TestDatabase): Promise<string[]> {
  const rows = await runSql<{ user_id: string; name: string }>(db, 'SELECT user_id, name FROM user_tokens');
  return rows.map((r) => `${r.user_id}/${r.name}`).sort();
}
