/**
 * The Store contract, run against every adapter on a real database: a fresh SQLite file or a fresh
 * PostgreSQL database per test (kept for inspection when the test fails).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { DuplicateWriteError, InvalidDatabaseUrlError, StoreClosedError } from '../../src/store/errors.js';
import { DEFAULT_SQLITE_PATH, openStore, parseDatabaseUrl } from '../../src/store/open-store.js';
import { ClusterExistsError, type Store } from '../../src/store/ports.js';
import type { InstancePhase } from '../../src/store/types.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import {
  clusterRow,
  instanceRow,
  platformRows,
  prebuildRow,
  runningRow,
  T0,
  T1,
  workspaceRow,
  write,
} from './store-fixtures.js';

const TABLES = [
  'bridge_outbox',
  'prebuilt_workspaces',
  'workspace_clusters',
  'workspace_instance_metrics',
  'workspace_instances',
  'workspaces',
];

/** Runs one read-only SQL query on the test database with its own connection, bypassing the store. */
async function query<T>(db: TestDatabase, text: string): Promise<T[]> {
  if (db.kind === 'sqlite') {
    const conn = new Database(db.url.slice('sqlite:'.length), { readonly: true });
    try {
      return conn.prepare(text).all() as T[];
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

for (const kind of DATABASES) {
  describe(`store contract: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;

    beforeEach(async (ctx) => {
      db = await createTestDatabase(kind);
      store = await openStore(db.url, { logger: silentLogger() });
      await store.migrate();
      ctx.onTestFinished(async ({ task }) => {
        await store.close();
        if (task.result?.state !== 'fail') await db.drop();
      });
    });

    /** A second, independent connection to the same database (another process, in effect). */
    async function secondStore(): Promise<Store> {
      const other = await openStore(db.url, { logger: silentLogger() });
      onTestFinished(() => other.close());
      return other;
    }

    async function seed(
      ids: readonly string[],
      overrides: Parameters<typeof platformRows>[1] = {},
    ): Promise<void> {
      const { workspaces, instances } = platformRows(ids, overrides);
      await store.createWorkspaces(workspaces);
      await store.createInstances(instances);
    }

    describe('schema', () => {
      it('creates every table, and a second migrate() changes nothing', async () => {
        const tables = (rows: { name: string }[]) =>
          rows.map((r) => r.name).filter((n) => TABLES.includes(n));
        const list =
          kind === 'sqlite'
            ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name";
        expect(tables(await query<{ name: string }>(db, list))).toEqual(TABLES);
        await store.insertCluster(clusterRow('kept'));

        await store.migrate();

        expect(tables(await query<{ name: string }>(db, list))).toEqual(TABLES);
        expect(await query(db, 'SELECT name FROM bridge_migration')).toHaveLength(1);
        expect((await store.listClusters()).map((c) => c.name)).toEqual(['kept']);
      });

      it('reports its capabilities', () => {
        expect(store.capabilities).toEqual(
          kind === 'sqlite'
            ? { concurrentWriters: false, maxBatchSize: 1000 }
            : { concurrentWriters: true, maxBatchSize: 1000 },
        );
      });

      it('answers ping() and closes idempotently; calls after close() fail', async () => {
        await store.ping();
        const first = store.close();
        expect(store.close()).toBe(first);
        await first;
        await expect(store.ping()).rejects.toBeInstanceOf(StoreClosedError);
        await expect(
          store.writeBatch([write(runningRow('i-1', 1n))], { outbox: false }),
        ).rejects.toBeInstanceOf(StoreClosedError);
      });
    });

    describe('platform rows', () => {
      it('inserts workspaces, instances and prebuilds and leaves existing ids alone', async () => {
        await seed(['i-1']);
        await store.createPrebuilds([prebuildRow('p-1')]);

        await store.createWorkspaces([
          workspaceRow('ws-i-1', { ownerId: 'someone-else' }),
          workspaceRow('ws-i-2'),
        ]);
        await store.createInstances([instanceRow('i-1', { phase: 'stopped' }), instanceRow('i-2')]);
        await store.createPrebuilds([prebuildRow('p-1', { state: 'failed' })]);

        const loaded = await store.loadInstances(['i-1', 'i-2']);
        expect(loaded.get('i-1')).toEqual({
          row: instanceRow('i-1'),
          ownerId: 'owner-of-ws-i-1',
          workspaceType: 'regular',
          metrics: {},
        });
        expect(loaded.get('i-2')?.row).toEqual(instanceRow('i-2'));
        expect(await store.findPrebuildByWorkspaceId('ws-p-1')).toEqual(prebuildRow('p-1'));
      });
    });

    describe('instance reads', () => {
      it('loads known ids only, with owner, workspace type and metrics', async () => {
        await seed(['i-1']);
        await store.createWorkspaces([workspaceRow('ws-pb', { type: 'prebuild', ownerId: 'u-9' })]);
        await store.writeBatch(
          [
            write(runningRow('i-pb', 1n, { workspaceId: 'ws-pb' }), {
              adopt: { workspace: workspaceRow('ws-pb') },
            }),
          ],
          { outbox: false },
        );

        const loaded = await store.loadInstances(['i-1', 'i-pb', 'nope', 'i-1']);

        expect([...loaded.keys()].sort()).toEqual(['i-1', 'i-pb']);
        expect(loaded.get('i-pb')).toMatchObject({
          ownerId: 'u-9',
          workspaceType: 'prebuild',
          metrics: null,
        });
        expect(await store.loadInstances([])).toEqual(new Map());
      });

      it('loads 1,000 ids in one call', async () => {
        const ids = Array.from({ length: 1200 }, (_, i) => `i-${i}`);
        await seed(ids);

        const loaded = await store.loadInstances(ids.slice(100, 1100));

        expect(loaded.size).toBe(1000);
        expect(loaded.get('i-100')?.row.id).toBe('i-100');
        expect(loaded.has('i-99')).toBe(false);
      });

      it('loads the active instances of one cluster and lists by cluster and phase', async () => {
        await seed(['a-run', 'a-stop', 'a-pend']);
        await seed(['b-run'], { clusterName: 'us-1' });
        await store.writeBatch(
          [
            write(runningRow('a-run', 1n)),
            write(runningRow('a-stop', 1n, { phase: 'stopped', stoppedTime: T1 })),
            write(runningRow('b-run', 1n, { clusterName: 'us-1' })),
          ],
          { outbox: false },
        );
        const ids = (records: { row: { id: string } }[]) => records.map((r) => r.row.id);

        expect(ids(await store.loadActiveInstances('eu-1'))).toEqual(['a-pend', 'a-run']);
        expect(ids(await store.listInstances({}))).toEqual(['a-pend', 'a-run', 'a-stop', 'b-run']);
        expect(
          ids(await store.listInstances({ clusterName: 'eu-1', phases: ['running', 'stopped'] })),
        ).toEqual(['a-run', 'a-stop']);
        expect(ids(await store.listInstances({ phases: ['running'] }))).toEqual(['a-run', 'b-run']);
        expect(await store.listInstances({ phases: [] })).toEqual([]);
        expect(await store.countInstancesByPhase()).toEqual(
          new Map<InstancePhase, number>([
            ['pending', 1],
            ['running', 2],
            ['stopped', 1],
          ]),
        );
      });
    });

    describe('writeBatch', () => {
      it('applies equal and newer versions and reports older ones as conflicted', async () => {
        await seed(['equal', 'newer', 'older']);
        await store.writeBatch([write(runningRow('older', 5n))], { outbox: false });

        const result = await store.writeBatch(
          [write(runningRow('equal', 0n)), write(runningRow('newer', 7n)), write(runningRow('older', 4n))],
          { outbox: false },
        );

        expect(result).toEqual({ applied: ['equal', 'newer'], conflicted: ['older'] });
        const loaded = await store.loadInstances(['equal', 'newer', 'older']);
        expect(loaded.get('equal')?.row).toEqual(runningRow('equal', 0n));
        expect(loaded.get('newer')?.row.statusVersion).toBe(7n);
        expect(loaded.get('older')?.row.statusVersion).toBe(5n);
      });

      it('mixes applied, conflicted, adopted and unknown ids in one batch', async () => {
        await seed(['known', 'stale']);
        await store.writeBatch([write(runningRow('stale', 9n))], { outbox: false });

        const result = await store.writeBatch(
          [
            write(runningRow('known', 1n)),
            write(runningRow('stale', 8n)),
            write(runningRow('adopted', 3n), {
              adopt: { workspace: workspaceRow('ws-adopted') },
              metrics: { image: { totalSize: 7 } },
            }),
            // A second instance of the same (new) workspace: the workspace row is inserted once.
            write(runningRow('adopted-2', 1n, { workspaceId: 'ws-adopted' }), {
              adopt: { workspace: workspaceRow('ws-adopted') },
            }),
            write(runningRow('unknown', 1n)),
          ],
          { outbox: true },
        );

        expect(result).toEqual({
          applied: ['known', 'adopted', 'adopted-2'],
          conflicted: ['stale', 'unknown'],
        });
        const loaded = await store.loadInstances(['adopted', 'unknown']);
        expect(loaded.get('adopted')).toEqual({
          row: runningRow('adopted', 3n),
          ownerId: 'owner-of-ws-adopted',
          workspaceType: 'regular',
          metrics: { image: { totalSize: 7 } },
        });
        expect(loaded.has('unknown')).toBe(false);
        const pending = await store.pendingNotifications(10);
        expect(pending.map((n) => n.instanceID).sort()).toEqual(['adopted', 'adopted-2', 'known']);
      });

      it('adopting an instance that exists is an ordinary versioned write', async () => {
        await seed(['i-1']);
        const adopt = { workspace: workspaceRow('ws-i-1', { ownerId: 'would-be-owner' }) };

        const result = await store.writeBatch([write(runningRow('i-1', 2n), { adopt })], { outbox: false });

        expect(result.applied).toEqual(['i-1']);
        const record = (await store.loadInstances(['i-1'])).get('i-1');
        expect(record?.ownerId).toBe('owner-of-ws-i-1');
        expect(record?.row.creationTime).toBe(T0);
      });

      it('writes only the bridge-owned columns of an existing row', async () => {
        await seed(['i-1']);
        const next = runningRow('i-1', 1n, {
          workspaceId: 'other-ws',
          clusterName: 'other-cluster',
          creationTime: T1,
          stoppingTime: T1,
          stoppedTime: T1,
          phase: 'stopped',
        });

        await store.writeBatch([write(next)], { outbox: false });

        const row = (await store.loadInstances(['i-1'])).get('i-1')?.row;
        expect(row).toEqual({ ...next, workspaceId: 'ws-i-1', clusterName: 'eu-1', creationTime: T0 });
      });

      it('keeps int64 versions above 2^53 exact, in storage and in the comparison', async () => {
        const big = 2n ** 53n + 1n;
        await seed(['i-1', 'i-max']);
        await store.writeBatch([write(runningRow('i-1', big)), write(runningRow('i-max', 2n ** 63n - 1n))], {
          outbox: false,
        });

        // As JS numbers, 2^53 + 1 and 2^53 are equal, so a lossy comparison would apply this write.
        const lower = await store.writeBatch([write(runningRow('i-1', big - 1n))], { outbox: false });
        const higher = await store.writeBatch([write(runningRow('i-1', big + 1n))], { outbox: false });

        expect(lower.conflicted).toEqual(['i-1']);
        expect(higher.applied).toEqual(['i-1']);
        const loaded = await store.loadInstances(['i-1', 'i-max']);
        expect(loaded.get('i-1')?.row.statusVersion).toBe(big + 1n);
        expect(loaded.get('i-max')?.row.statusVersion).toBe(2n ** 63n - 1n);
      });

      it('round-trips status and metrics JSON and ISO timestamps with milliseconds', async () => {
        await seed(['i-1']);
        const status = {
          conditions: { deployed: true, failed: '', firstUserActivity: T1, stoppedByRequest: false },
          message: 'ünïcödé "quoted" \\ back\nline',
          exposedPorts: [
            {
              port: 3000,
              visibility: 'public' as const,
              url: 'https://3000-x.example.org',
              protocol: 'https' as const,
            },
          ],
          ownerToken: 'secret-token',
          metrics: { image: { totalSize: 1_234_567_890, workspaceImageSize: 42 } },
        };
        const metrics = {
          initializerMetrics: { git: { duration: 1.5, size: 2048 } },
          image: { totalSize: 3 },
        };

        await store.writeBatch(
          [write(runningRow('i-1', 1n, { status, startedTime: '2026-03-04T05:06:07.000Z' }), { metrics })],
          {
            outbox: false,
          },
        );

        const record = (await store.loadInstances(['i-1'])).get('i-1');
        expect(record?.row.status).toEqual(status);
        expect(record?.metrics).toEqual(metrics);
        expect(record?.row.startedTime).toBe('2026-03-04T05:06:07.000Z');
        expect(record?.row.creationTime).toBe(T0);
      });

      it('rejects a batch that names one instance twice, writing nothing', async () => {
        await seed(['i-1', 'i-2']);

        await expect(
          store.writeBatch(
            [write(runningRow('i-2', 1n)), write(runningRow('i-1', 1n)), write(runningRow('i-1', 2n))],
            {
              outbox: true,
            },
          ),
        ).rejects.toBeInstanceOf(DuplicateWriteError);

        expect((await store.loadInstances(['i-2'])).get('i-2')?.row.phase).toBe('pending');
      });

      it('writes nothing when the transaction fails', async () => {
        await seed(['i-1']);
        const invalid = runningRow('i-bad', 1n, { phase: 'exploded' as InstancePhase });

        await expect(
          store.writeBatch(
            [
              write(runningRow('i-1', 1n), { metrics: { image: { totalSize: 1 } } }),
              write(invalid, { adopt: { workspace: workspaceRow('ws-i-bad') } }),
            ],
            { outbox: true },
          ),
        ).rejects.toThrow();

        const record = (await store.loadInstances(['i-1'])).get('i-1');
        expect(record?.row).toEqual(instanceRow('i-1'));
        expect(record?.metrics).toEqual({});
        expect(await store.pendingNotifications(10)).toEqual([]);
        expect(await query(db, "SELECT id FROM workspaces WHERE id = 'ws-i-bad'")).toEqual([]);
      });
    });

    describe('outbox', () => {
      it('records one coalesced notification per applied write, only with outbox on', async () => {
        await seed(['a', 'b', 'c']);
        await store.writeBatch([write(runningRow('c', 1n))], { outbox: false });
        await store.writeBatch([write(runningRow('a', 1n)), write(runningRow('b', 1n))], { outbox: true });
        await store.writeBatch([write(runningRow('a', 2n)), write(runningRow('b', 0n))], { outbox: true });

        const pending = await store.pendingNotifications(10);

        expect(pending).toHaveLength(2);
        expect(pending).toContainEqual({ instanceID: 'a', ownerID: 'owner-of-ws-a', workspaceID: 'ws-a' });
        expect(pending).toContainEqual({ instanceID: 'b', ownerID: 'owner-of-ws-b', workspaceID: 'ws-b' });
      });

      it('hands out notifications oldest first, up to the limit, until acknowledged', async () => {
        await seed(['first', 'second', 'third']);
        for (const id of ['third', 'first', 'second']) {
          await store.writeBatch([write(runningRow(id, 1n))], { outbox: true });
          // created_at must differ between batches for the order to be observable.
          const before = new Date().toISOString();
          while (new Date().toISOString() === before) await Promise.resolve();
        }

        expect((await store.pendingNotifications(2)).map((n) => n.instanceID)).toEqual(['third', 'first']);
        await store.ackNotifications(['third', 'unknown']);
        expect((await store.pendingNotifications(10)).map((n) => n.instanceID)).toEqual(['first', 'second']);
        await store.ackNotifications(['first', 'second']);
        expect(await store.pendingNotifications(10)).toEqual([]);
      });
    });

    describe('prebuilds', () => {
      it('finds by build workspace and updates unless the stored version is newer', async () => {
        await store.createPrebuilds([prebuildRow('p-1', { statusVersion: 5n })]);
        const building = prebuildRow('p-1', { state: 'building', statusVersion: 5n });
        const done = prebuildRow('p-1', { state: 'available', snapshot: 'snap-1', statusVersion: 2n ** 60n });

        expect(await store.updatePrebuild(building)).toBe(true);
        expect(await store.updatePrebuild(done)).toBe(true);
        expect(
          await store.updatePrebuild(
            prebuildRow('p-1', { state: 'failed', error: 'late', statusVersion: 6n }),
          ),
        ).toBe(false);
        expect(await store.updatePrebuild(prebuildRow('p-missing'))).toBe(false);

        expect(await store.findPrebuildByWorkspaceId('ws-p-1')).toEqual(done);
        expect(await store.findPrebuildByWorkspaceId('ws-none')).toBeUndefined();
      });
    });

    describe('clusters', () => {
      it('inserts, gets, lists by name and deletes', async () => {
        await store.insertCluster(clusterRow('zeta'));
        await store.insertCluster(
          clusterRow('alpha', { tls: null, govern: false, preferredWorkspaceClass: null }),
        );

        expect(await store.getCluster('zeta')).toEqual(clusterRow('zeta'));
        expect(await store.getCluster('alpha')).toEqual(
          clusterRow('alpha', { tls: null, govern: false, preferredWorkspaceClass: null }),
        );
        expect(await store.getCluster('none')).toBeUndefined();
        expect((await store.listClusters()).map((c) => c.name)).toEqual(['alpha', 'zeta']);
        expect(await store.deleteCluster('zeta')).toBe(true);
        expect(await store.deleteCluster('zeta')).toBe(false);
        expect((await store.listClusters()).map((c) => c.name)).toEqual(['alpha']);
      });

      it('throws ClusterExistsError for a taken name, also when two inserts race', async () => {
        await store.insertCluster(clusterRow('taken'));
        await expect(
          store.insertCluster(clusterRow('taken', { url: 'dns:///other:1' })),
        ).rejects.toBeInstanceOf(ClusterExistsError);
        expect((await store.getCluster('taken'))?.url).toBe(clusterRow('taken').url);

        const other = await secondStore();
        const outcomes = await Promise.allSettled([
          store.insertCluster(clusterRow('raced', { score: 1 })),
          other.insertCluster(clusterRow('raced', { score: 2 })),
        ]);

        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const rejected = outcomes.find((o) => o.status === 'rejected');
        expect(rejected?.reason).toBeInstanceOf(ClusterExistsError);
      });

      it('updates only the patched columns, so a concurrent change of another column survives', async () => {
        await store.insertCluster(clusterRow('c1'));
        const other = await secondStore();
        const classes = [{ id: 'g2', displayName: 'Large', description: '8 cores', creditsPerMinute: 0.33 }];

        expect(await other.updateCluster('c1', { score: 7 })).toBe(true);
        expect(await store.updateCluster('c1', { availableWorkspaceClasses: classes })).toBe(true);
        expect(await store.updateCluster('c1', { tls: null, state: 'cordoned' })).toBe(true);
        expect(await store.updateCluster('none', { score: 1 })).toBe(false);

        const row = await store.getCluster('c1');
        expect(row).toEqual({
          ...clusterRow('c1'),
          score: 7,
          availableWorkspaceClasses: classes,
          tls: null,
          state: 'cordoned',
          updatedAt: row?.updatedAt,
        });
        expect(row?.updatedAt).not.toBe(T0);
        expect(row?.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      });
    });
  });
}

describe('openStore', () => {
  it('maps DATABASE_URL forms to adapters, defaulting to a SQLite file', () => {
    expect(parseDatabaseUrl(undefined)).toEqual({ kind: 'sqlite', path: DEFAULT_SQLITE_PATH });
    expect(parseDatabaseUrl('')).toEqual({ kind: 'sqlite', path: './data/bridge.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('sqlite:/var/lib/b.db')).toEqual({ kind: 'sqlite', path: '/var/lib/b.db' });
    expect(parseDatabaseUrl('postgresql://u:p@h/db')).toEqual({
      kind: 'postgres',
      url: 'postgresql://u:p@h/db',
    });
    expect(parseDatabaseUrl('postgres://h/db')).toEqual({ kind: 'postgres', url: 'postgres://h/db' });
  });

  it('rejects other URLs naming the accepted forms, without the password', async () => {
    const attempt = openStore('mysql://bridge:hunter2@db.example.org/gitpod', { logger: silentLogger() });

    await expect(attempt).rejects.toBeInstanceOf(InvalidDatabaseUrlError);
    const message = await attempt.catch((error: unknown) => (error as Error).message);
    expect(message).toContain('sqlite:PATH');
    expect(message).toContain('postgres://');
    expect(message).toContain('mysql://bridge:***@db.example.org');
    expect(message).not.toContain('hunter2');
    await expect(openStore('sqlite:', { logger: silentLogger() })).rejects.toBeInstanceOf(
      InvalidDatabaseUrlError,
    );
  });

  it('opens an in-memory SQLite store and creates the folder of a SQLite file', async () => {
    const memory = await openStore('sqlite::memory:', { logger: silentLogger() });
    onTestFinished(() => memory.close());
    await memory.migrate();
    await memory.insertCluster(clusterRow('c1'));
    expect((await memory.listClusters()).map((c) => c.name)).toEqual(['c1']);

    const dir = mkdtempSync(join(tmpdir(), 'wsb-open-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'nested', 'folder', 'bridge.db');
    const onDisk = await openStore(`sqlite:${file}`, { logger: silentLogger() });
    onTestFinished(() => onDisk.close());
    await onDisk.migrate();
    expect(existsSync(file)).toBe(true);
  });
});
