/**
 * Plain SQL on a test database with a connection of its own, bypassing the store: for rows only the
 * platform writes (user tokens) and for reading back what the bridge wrote. Parameters are written
 * `?` and turned into `$1, $2, …` for PostgreSQL.
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
