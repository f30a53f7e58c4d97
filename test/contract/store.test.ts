/**
 * The Store contract, run against every adapter on a real database: a fresh SQLite file or a fresh
 * PostgreSQL database per test (kept for inspection when the test fails).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { DuplicateWriteError, InvalidDatabaseUrlError, StoreClosedError } from '../../src/store/errors.js';
import { DEFAULT_SQLITE_PATH, openStore, parseDatabaseUrl } from '../../src/store/open-store.js';
import { ClusterExistsError, type Store } from '../../src/store/ports.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/postgres-migrations.js';
import { runMigrations } from '../../src/store/run-migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';
import type { InstancePhase, PrebuildState } from '../../src/store/types.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import { insertUserTokens, runSql, userTokenNames } from '../helpers/sql.js';
import {
  clusterRow,
  instanceRecord,
  instanceRow,
  outboxMessage,
  platformRows,
  prebuildRow,
  runningRow,
  T0,
  T1,
  userToken,
  workspaceRow,
  write,
} from './store-fixtures.js';

const TABLES = [
  'bridge_outbox',
  'bridge_outbox_messages',
  'prebuilt_workspaces',
  'user_tokens',
  'workspace_clusters',
  'workspace_instance_metrics',
  'workspace_instances',
  'workspaces',
];

/** Runs one SQL statement on the test database with its own connection, bypassing the store. */
const query = <T>(db: TestDatabase, text: string, params: readonly unknown[] = []): Promise<T[]> =>
  runSql<T>(db, text, params);

/** Applies only the adapter's first migration, as the bridge before 0002 did. */
async function migrateToInitialSchema(db: TestDatabase): Promise<void> {
  const all = db.kind === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
  const initial = Object.fromEntries(Object.entries(all).filter(([name]) => name.startsWith('0001-')));
  const dialect =
    db.kind === 'sqlite'
      ? new SqliteDialect({ database: new Database(db.url.slice('sqlite:'.length)) })
      : new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url }) });
  const kysely = new Kysely<unknown>({ dialect });
  try {
    await runMigrations(kysely, initial, silentLogger());
  } finally {
    await kysely.destroy();
  }
}

/** Waits until ISO timestamps (millisecond resolution) taken from now on differ from the last one. */
async function nextMillisecond(): Promise<void> {
  const before = new Date().toISOString();
  while (new Date().toISOString() === before) await Promise.resolve();
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
        expect(await query(db, 'SELECT name FROM bridge_migration')).toHaveLength(2);
        expect((await store.listClusters()).map((c) => c.name)).toEqual(['kept']);
      });

      it('brings a database of the initial schema up to date, keeping its rows', async () => {
        const old = await createTestDatabase(kind);
        onTestFinished(async ({ task }) => {
          if (task.result?.state !== 'fail') await old.drop();
        });
        await migrateToInitialSchema(old);
        expect(await query(old, 'SELECT name FROM bridge_migration')).toHaveLength(1);
        await query(
          old,
          'INSERT INTO workspaces (id, owner_id, type, project_id, organization_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          ['ws-i-1', 'owner-of-ws-i-1', 'regular', null, 'org-1', T0],
        );
        const upgraded = await openStore(old.url, { logger: silentLogger() });
        onTestFinished(() => upgraded.close());

        await upgraded.migrate();

        const names = await query<{ name: string }>(old, 'SELECT name FROM bridge_migration ORDER BY name');
        expect(names.map((r) => r.name)).toEqual([
          '0001-initial-schema',
          '0002-user-tokens-and-outbox-messages',
        ]);
        await upgraded.createInstances([instanceRow('i-1')]);
        await insertUserTokens(old, [userToken('u-1', 'i-1-token')]);
        await upgraded.writeBatch(
          [
            write(runningRow('i-1', 1n), {
              messages: [outboxMessage('k', 'p')],
              revokeTokens: { userId: 'u-1', namePrefix: 'i-1-' },
            }),
          ],
          { outbox: true },
        );
        expect((await upgraded.loadInstances(['i-1'])).get('i-1')).toEqual(
          instanceRecord(runningRow('i-1', 1n)),
        );
        expect(await upgraded.pendingMessages(10)).toEqual([outboxMessage('k', 'p')]);
        expect(await userTokenNames(old)).toEqual([]);
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
        await store.createPrebuilds([prebuildRow('p-1', { buildWorkspaceId: 'ws-i-1' })]);

        await store.createWorkspaces([
          workspaceRow('ws-i-1', { ownerId: 'someone-else' }),
          workspaceRow('ws-i-2'),
        ]);
        await store.createInstances([instanceRow('i-1', { phase: 'stopped' }), instanceRow('i-2')]);
        await store.createPrebuilds([prebuildRow('p-1', { buildWorkspaceId: 'ws-i-1', state: 'failed' })]);

        const loaded = await store.loadInstances(['i-1', 'i-2']);
        expect(loaded.get('i-1')).toEqual(
          instanceRecord(instanceRow('i-1'), {
            prebuild: prebuildRow('p-1', { buildWorkspaceId: 'ws-i-1' }),
          }),
        );
        expect(loaded.get('i-2')).toEqual(instanceRecord(instanceRow('i-2')));
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

      it('reads organization and prebuild with every record: the smallest prebuild id, or null', async () => {
        await store.createWorkspaces([
          workspaceRow('ws-pb', { type: 'prebuild', organizationId: null }),
          workspaceRow('ws-reg', { organizationId: 'org-2' }),
        ]);
        await store.createInstances([
          instanceRow('i-pb', { workspaceId: 'ws-pb' }),
          instanceRow('i-reg', { workspaceId: 'ws-reg' }),
        ]);
        const first = prebuildRow('pb-a', {
          buildWorkspaceId: 'ws-pb',
          state: 'building',
          statusVersion: 2n ** 62n,
        });
        await store.createPrebuilds([
          prebuildRow('pb-b', { buildWorkspaceId: 'ws-pb' }),
          first,
          prebuildRow('pb-other', { buildWorkspaceId: 'ws-elsewhere' }),
        ]);
        const expected = [
          instanceRecord(instanceRow('i-pb', { workspaceId: 'ws-pb' }), {
            workspaceType: 'prebuild',
            organizationId: null,
            prebuild: first,
          }),
          instanceRecord(instanceRow('i-reg', { workspaceId: 'ws-reg' }), { organizationId: 'org-2' }),
        ];

        const loaded = await store.loadInstances(['i-pb', 'i-reg']);

        expect([loaded.get('i-pb'), loaded.get('i-reg')]).toEqual(expected);
        expect(await store.loadActiveInstances('eu-1')).toEqual(expected);
        expect(await store.listInstances({ phases: ['pending'] })).toEqual(expected);
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
        expect(loaded.get('adopted')).toEqual(
          instanceRecord(runningRow('adopted', 3n), { metrics: { image: { totalSize: 7 } } }),
        );
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
        const stored = prebuildRow('p-1', { buildWorkspaceId: 'ws-i-1' });
        await store.createPrebuilds([stored]);
        await insertUserTokens(db, [userToken('u-1', 'i-1-a')]);
        const invalid = runningRow('i-bad', 1n, { phase: 'exploded' as InstancePhase });

        await expect(
          store.writeBatch(
            [
              write(runningRow('i-1', 1n), {
                metrics: { image: { totalSize: 1 } },
                prebuild: { ...stored, state: 'building', statusVersion: 1n },
                messages: [outboxMessage('k-1', 'p')],
                revokeTokens: { userId: 'u-1', namePrefix: 'i-1-' },
              }),
              write(invalid, {
                adopt: { workspace: workspaceRow('ws-i-bad'), prebuild: prebuildRow('p-bad') },
              }),
            ],
            { outbox: true },
          ),
        ).rejects.toThrow();

        const record = (await store.loadInstances(['i-1'])).get('i-1');
        expect(record).toEqual(instanceRecord(instanceRow('i-1'), { prebuild: stored }));
        expect(await store.pendingNotifications(10)).toEqual([]);
        expect(await store.pendingMessages(10)).toEqual([]);
        expect(await userTokenNames(db)).toEqual(['u-1/i-1-a']);
        expect(await store.countPrebuildsByState()).toEqual(new Map([['queued', 1]]));
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
          await nextMillisecond();
        }

        expect((await store.pendingNotifications(2)).map((n) => n.instanceID)).toEqual(['third', 'first']);
        await store.ackNotifications(['third', 'unknown']);
        expect((await store.pendingNotifications(10)).map((n) => n.instanceID)).toEqual(['first', 'second']);
        await store.ackNotifications(['first', 'second']);
        expect(await store.pendingNotifications(10)).toEqual([]);
      });
    });

    describe('message outbox', () => {
      it('records messages of applied writes only with outbox on, coalesced by key', async () => {
        await seed(['a', 'b']);
        await store.writeBatch([write(runningRow('a', 1n), { messages: [outboxMessage('k-off', 'x')] })], {
          outbox: false,
        });
        await store.writeBatch(
          [
            write(runningRow('a', 2n), {
              messages: [outboxMessage('k-2', 'a2'), outboxMessage('k-1', 'a1')],
            }),
            write(runningRow('b', 1n), { messages: [] }),
          ],
          { outbox: true },
        );
        await nextMillisecond();

        await store.writeBatch(
          [
            write(runningRow('a', 3n), {
              messages: [outboxMessage('k-0', 'a0'), outboxMessage('k-2', 'a2-newer', 'chan:other')],
            }),
          ],
          { outbox: true },
        );

        // k-2 keeps the time of its first pending message, so it stays ahead of k-0.
        expect(await store.pendingMessages(10)).toEqual([
          outboxMessage('k-1', 'a1'),
          outboxMessage('k-2', 'a2-newer', 'chan:other'),
          outboxMessage('k-0', 'a0'),
        ]);
      });

      it('hands out messages oldest first, up to the limit, until acknowledged', async () => {
        await seed(['a']);
        for (const [version, key] of [
          [1n, 'k-c'],
          [2n, 'k-a'],
          [3n, 'k-b'],
        ] as const) {
          await store.writeBatch([write(runningRow('a', version), { messages: [outboxMessage(key, key)] })], {
            outbox: true,
          });
          await nextMillisecond();
        }

        expect((await store.pendingMessages(2)).map((m) => m.key)).toEqual(['k-c', 'k-a']);
        await store.ackMessages(['k-c', 'unknown']);
        await store.ackMessages([]);
        expect((await store.pendingMessages(10)).map((m) => m.key)).toEqual(['k-a', 'k-b']);
        await store.ackMessages(['k-a', 'k-b']);
        expect(await store.pendingMessages(10)).toEqual([]);
      });

      it('keeps the last write of a key repeated across one batch instead of failing', async () => {
        await seed(['a', 'b']);

        const result = await store.writeBatch(
          [
            write(runningRow('a', 1n), { messages: [outboxMessage('k', 'from-a')] }),
            write(runningRow('b', 1n), { messages: [outboxMessage('k', 'from-b')] }),
          ],
          { outbox: true },
        );

        expect(result.applied).toEqual(['a', 'b']);
        expect(await store.pendingMessages(10)).toEqual([outboxMessage('k', 'from-b')]);
      });

      it('keeps payload text byte for byte', async () => {
        await seed(['a']);
        const payload = '{"b":1,  "a":"ünï\\u0000\n", "n":12345678901234567890}';

        await store.writeBatch([write(runningRow('a', 1n), { messages: [outboxMessage('k', payload)] })], {
          outbox: true,
        });

        expect((await store.pendingMessages(1))[0]?.payload).toBe(payload);
      });
    });

    describe('prebuilds', () => {
      it('writes the prebuild of an applied write unless the stored version is newer', async () => {
        const big = 2n ** 60n;
        await seed(['i-eq', 'i-new', 'i-old']);
        const stored = (id: string, statusVersion: bigint) =>
          prebuildRow(id, { buildWorkspaceId: `ws-i-${id}`, statusVersion });
        await store.createPrebuilds([stored('eq', 5n), stored('new', 5n), stored('old', big)]);
        const building = { ...stored('eq', 5n), state: 'building' as const, snapshot: 'snap-0' };
        const done = { ...stored('new', big), state: 'available' as const, snapshot: 'snap-1' };

        const result = await store.writeBatch(
          [
            write(runningRow('i-eq', 1n), { prebuild: building }),
            write(runningRow('i-new', 1n), { prebuild: done }),
            // 2^60 - 1 and 2^60 are one number apart only as int64; as JS numbers they are equal.
            write(runningRow('i-old', 1n), {
              prebuild: { ...stored('old', big - 1n), state: 'failed', error: 'late' },
            }),
          ],
          { outbox: false },
        );

        expect(result.applied).toEqual(['i-eq', 'i-new', 'i-old']);
        const loaded = await store.loadInstances(['i-eq', 'i-new', 'i-old']);
        expect(loaded.get('i-eq')?.prebuild).toEqual(building);
        expect(loaded.get('i-new')?.prebuild).toEqual(done);
        expect(loaded.get('i-old')?.prebuild).toEqual(stored('old', big));
      });

      it('updates only an existing prebuild: an update alone inserts nothing', async () => {
        await seed(['i-1']);

        await store.writeBatch([write(runningRow('i-1', 1n), { prebuild: prebuildRow('p-none') })], {
          outbox: false,
        });

        expect(await store.countPrebuildsByState()).toEqual(new Map());
      });

      it('adopts a prebuild: inserted if absent, an existing one left alone, then the update applied', async () => {
        const existing = prebuildRow('p-old', {
          buildWorkspaceId: 'ws-old',
          state: 'building',
          statusVersion: 5n,
        });
        await store.createPrebuilds([existing]);
        const adopt = (id: string, prebuild: ReturnType<typeof prebuildRow>) => ({
          adopt: { workspace: workspaceRow(`ws-${id}`, { type: 'prebuild' as const }), prebuild },
        });
        const queued = (id: string, statusVersion = 0n) =>
          prebuildRow(`p-${id}`, { buildWorkspaceId: `ws-${id}`, statusVersion });
        const row = (id: string) => runningRow(id, 1n, { workspaceId: `ws-${id}` });
        const updated = { ...queued('new'), state: 'building' as const, statusVersion: 3n };
        const ignoredAdopt = { ...queued('old'), projectId: 'would-be', state: 'queued' as const };
        const finished = { ...existing, state: 'available' as const, snapshot: 's', statusVersion: 6n };

        await store.writeBatch(
          [
            write(row('new'), { ...adopt('new', queued('new')), prebuild: updated }),
            write(row('old'), { ...adopt('old', ignoredAdopt), prebuild: finished }),
            write(row('plain'), adopt('plain', queued('plain'))),
            write(row('older'), {
              ...adopt('older', queued('older', 5n)),
              prebuild: { ...queued('older', 4n), state: 'failed' },
            }),
          ],
          { outbox: false },
        );

        const loaded = await store.loadInstances(['new', 'old', 'plain', 'older']);
        expect(loaded.get('new')?.prebuild).toEqual(updated);
        expect(loaded.get('old')?.prebuild).toEqual(finished);
        expect(loaded.get('plain')?.prebuild).toEqual(queued('plain'));
        expect(loaded.get('older')?.prebuild).toEqual(queued('older', 5n));
      });

      it('writes nothing a refused instance write carries', async () => {
        await seed(['i-1']);
        await store.writeBatch([write(runningRow('i-1', 9n))], { outbox: false });
        const stored = prebuildRow('p-1', { buildWorkspaceId: 'ws-i-1' });
        await store.createPrebuilds([stored]);
        await insertUserTokens(db, [userToken('u-1', 'i-1-a')]);

        const result = await store.writeBatch(
          [
            write(runningRow('i-1', 8n), {
              adopt: { workspace: workspaceRow('ws-i-1'), prebuild: prebuildRow('p-adopted') },
              prebuild: { ...stored, state: 'failed', statusVersion: 8n },
              messages: [outboxMessage('k-1', 'p')],
              revokeTokens: { userId: 'u-1', namePrefix: 'i-1-' },
            }),
          ],
          { outbox: true },
        );

        expect(result).toEqual({ applied: [], conflicted: ['i-1'] });
        expect((await store.loadInstances(['i-1'])).get('i-1')?.prebuild).toEqual(stored);
        expect(await store.countPrebuildsByState()).toEqual(new Map([['queued', 1]]));
        expect(await store.pendingNotifications(10)).toEqual([]);
        expect(await store.pendingMessages(10)).toEqual([]);
        expect(await userTokenNames(db)).toEqual(['u-1/i-1-a']);
      });

      it('counts prebuilds per state', async () => {
        expect(await store.countPrebuildsByState()).toEqual(new Map());
        await store.createPrebuilds([
          prebuildRow('p-1', { state: 'building' }),
          prebuildRow('p-2', { state: 'available' }),
          prebuildRow('p-3', { state: 'building' }),
        ]);

        expect(await store.countPrebuildsByState()).toEqual(
          new Map<PrebuildState, number>([
            ['available', 1],
            ['building', 2],
          ]),
        );
      });
    });

    describe('token revocation', () => {
      it("deletes exactly the user's tokens whose name starts with the prefix, taken literally", async () => {
        await seed(['inst_1', 'pct']);
        await insertUserTokens(db, [
          userToken('u-1', 'inst_1-a'),
          userToken('u-1', 'inst_1-b'),
          userToken('u-1', 'instX1-like-match'),
          userToken('u-1', 'inst_1'),
          userToken('u-1', 'INST_1-upper'),
          userToken('u-1', 'inst_2-other-instance'),
          userToken('u-2', 'inst_1-other-user'),
          userToken('u-3', '50%-a'),
          userToken('u-3', '50xx-like-match'),
        ]);

        await store.writeBatch(
          [
            write(runningRow('inst_1', 1n), { revokeTokens: { userId: 'u-1', namePrefix: 'inst_1-' } }),
            write(runningRow('pct', 1n), { revokeTokens: { userId: 'u-3', namePrefix: '50%-' } }),
          ],
          { outbox: false },
        );

        expect(await userTokenNames(db)).toEqual([
          'u-1/INST_1-upper',
          'u-1/instX1-like-match',
          'u-1/inst_1',
          'u-1/inst_2-other-instance',
          'u-2/inst_1-other-user',
          'u-3/50xx-like-match',
        ]);
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
