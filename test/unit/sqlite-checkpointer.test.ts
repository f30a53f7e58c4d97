import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from '../../src/store/sqlite/sqlite-checkpointer.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';

describe('SqliteCheckpointer', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('copies the log into the file on its own connection; close() runs a last checkpoint and ends the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsb-checkpointer-'));
    dirs.push(dir);
    const path = join(dir, 'c.db');
    const db = openSqliteDatabase(path, { walAutocheckpointPages: 0 });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const checkpointer = new SqliteCheckpointer(path, { intervalMs: 60_000, restartPages: 1_000_000 });
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run('x'.repeat(200));
    })();
    // The rows are in the log only: with the writer's autocheckpoint off, nobody else copies them.
    expect(statSync(path).size).toBeLessThan(100_000);
    await checkpointer.close();
    await checkpointer.close();
    expect(statSync(path).size).toBeGreaterThan(100_000);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 500n });
    db.close();
  });

  it('ends quietly when the file cannot be opened', async () => {
    const checkpointer = new SqliteCheckpointer('/nonexistent/wsb/c.db', { intervalMs: 10, restartPages: 1 });
    await checkpointer.close();
  });
});
