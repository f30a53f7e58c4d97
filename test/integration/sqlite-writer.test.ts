import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { StoreClosedError, WriterThreadExitedError } from '../../src/store/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SqliteWriter, SqliteWriterError } from '../../src/store/sqlite/sqlite-writer.js';
import { isTransientSqliteError } from '../../src/store/transient-errors.js';
import type { InstancePhase } from '../../src/store/types.js';
import { instanceRow, workspaceRow, write } from '../contract/store-fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A migrated database file with instance `i-1` (phase pending, no version) on cluster eu-1. */
async function migratedFile(path: string): Promise<void> {
  const store = openSqliteStore(path, { logger: silentLogger() });
  try {
    await store.migrate();
    await store.createWorkspaces([workspaceRow('ws-i-1')]);
    await store.createInstances([instanceRow('i-1', { phase: 'pending' })]);
  } finally {
    await store.close();
  }
}

/** A writer on a fresh migrated file, closed after `use` whatever happens. */
async function withWriter(use: (writer: SqliteWriter) => Promise<void>): Promise<void> {
  const path = join(tempDir('wsb-writer-'), 'bridge.db');
  await migratedFile(path);
  const writer = new SqliteWriter(path, {});
  try {
    await use(writer);
  } finally {
    await writer.close();
  }
}

const running = (version: bigint) => write(instanceRow('i-1', { phase: 'running', statusVersion: version }));

describe('SqliteWriter: the hot path on a thread of its own', () => {
  it('writes a batch on its own connection and reads it back through the same thread', () =>
    withWriter(async (writer) => {
      expect(await writer.call('writeBatch', [[running(3n)], undefined])).toEqual(['i-1']);
      // A version older than the stored one is not applied.
      expect(await writer.call('writeBatch', [[running(2n)], undefined])).toEqual([]);
      const loaded = await writer.call('loadInstances', [['i-1', 'i-404']]);
      expect([...loaded.keys()]).toEqual(['i-1']);
      expect(loaded.get('i-1')?.row).toMatchObject({ phase: 'running', statusVersion: 3n });
    }));

  it('hands back what a statement throws, with its driver code, and keeps the thread', () =>
    withWriter(async (writer) => {
      const refused = write(instanceRow('i-1', { phase: 'sleeping' as InstancePhase, statusVersion: 4n }));
      const error: unknown = await writer.call('writeBatch', [[refused], undefined]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SqliteWriterError);
      expect((error as SqliteWriterError).code).toMatch(/^SQLITE_CONSTRAINT/);
      expect(isTransientSqliteError(error)).toBe(false);
      // Nothing of the refused batch was written, and the next call runs on the same thread.
      expect(await writer.call('writeBatch', [[running(4n)], undefined])).toEqual(['i-1']);
    }));

  it('fails the calls of a thread that died as transient, and starts a new thread for the next call', async () => {
    const dir = join(tempDir('wsb-writer-'), 'not-yet');
    const path = join(dir, 'bridge.db');
    // The folder does not exist: the thread cannot open the file and ends.
    const writer = new SqliteWriter(path, {});
    try {
      const error: unknown = await writer.call('latestRevision', []).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WriterThreadExitedError);
      // The message names what ended the thread.
      expect((error as Error).message).toMatch(/directory does not exist/);
      expect(isTransientSqliteError(error)).toBe(true);
      mkdirSync(dir);
      await migratedFile(path);
      expect(await writer.call('latestRevision', [])).toBe(0n);
      expect(await writer.call('writeBatch', [[running(1n)], undefined])).toEqual(['i-1']);
    } finally {
      await writer.close();
    }
  });

  it('refuses arguments that cannot cross to the thread, and answers the next call', () =>
    withWriter(async (writer) => {
      const unclonable = { ...running(6n), hook: () => undefined };
      await expect(writer.call('writeBatch', [[unclonable], undefined])).rejects.toThrow(
        /could not be cloned/,
      );
      expect(await writer.call('writeBatch', [[running(6n)], undefined])).toEqual(['i-1']);
    }));

  it('answers the calls sent before close(), then refuses new ones', async () => {
    const path = join(tempDir('wsb-writer-'), 'bridge.db');
    await migratedFile(path);
    const writer = new SqliteWriter(path, {});
    const pending = writer.call('writeBatch', [[running(5n)], undefined]);
    const closed = writer.close();
    expect(await pending).toEqual(['i-1']);
    await closed;
    await expect(writer.call('latestRevision', [])).rejects.toBeInstanceOf(StoreClosedError);
  });
});

describe('SQLite store on ":memory:"', () => {
  it('runs the hot path in its own thread (no file to share with a writer thread)', async () => {
    const store = openSqliteStore(':memory:', { logger: silentLogger() });
    try {
      await store.migrate();
      await store.createWorkspaces([workspaceRow('ws-i-1')]);
      await store.createInstances([instanceRow('i-1', { phase: 'pending' })]);
      const result = await store.writeBatch([running(2n)], { outbox: true, replica: 'r1' });
      expect(result).toMatchObject({ applied: ['i-1'], conflicted: [], revision: 1n });
      expect((await store.loadInstances(['i-1'])).get('i-1')?.row.statusVersion).toBe(2n);
      expect([...(await store.notificationRevisions(['i-1'], 'r1')).values()]).toEqual([
        { value: { instanceID: 'i-1', ownerID: 'owner-of-ws-i-1', workspaceID: 'ws-i-1' }, revision: 1n },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite store on a file: instance reads', () => {
  it('reads the last commit at once instead of queueing behind a write in progress', async () => {
    const path = join(tempDir('wsb-reads-'), 'bridge.db');
    await migratedFile(path);
    const store = openSqliteStore(path, { logger: silentLogger() });
    try {
      await store.warm();
      const order: string[] = [];
      const writing = store.writeBatch([running(3n)], { outbox: false, replica: 'r1' }).then((result) => {
        order.push('write');
        return result;
      });
      const loading = store.loadInstances(['i-1']).then((records) => {
        order.push('read');
        return records;
      });
      const [written, read] = await Promise.all([writing, loading]);
      expect(order).toEqual(['read', 'write']);
      expect(written.applied).toEqual(['i-1']);
      expect(read.get('i-1')?.row).toMatchObject({ phase: 'pending', statusVersion: 0n });
      // Once the batch has committed, a read sees it.
      expect((await store.loadInstances(['i-1'])).get('i-1')?.row).toMatchObject({
        phase: 'running',
        statusVersion: 3n,
      });
    } finally {
      await store.close();
    }
  });
});
