/**
 * Store contract, the store as a whole: schema and migrations, capabilities, closing, claiming a
 * SQLite file for one bridge, and parsing DATABASE_URL.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { InvalidDatabaseUrlError, StoreClosedError } from '../../src/store/errors.js';
import { DEFAULT_SQLITE_PATH, openStore, parseDatabaseUrl } from '../../src/store/open-store.js';
import { StoreInUseError, type Store } from '../../src/store/ports.js';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { insertUserTokens, runSql, userTokenNames } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  clusterRow,
  instanceRecord,
  instanceRow,
  outboxMessage,
  OUTBOX_OFF,
  OUTBOX_ON,
  REPLICA,
  runningRow,
  T0,
  userToken,
  write,
} from './store-fixtures.js';
import { extraDatabase, migrateThrough, seedInstances, useFreshStore } from './store-setup.js';

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
/** Tables only the PostgreSQL adapter has: several replicas share a PostgreSQL database only. */
const POSTGRES_TABLES = ['bridge_replicas', 'cluster_leases'];

const query = runSql;

for (const kind of DATABASES) {
  describe(`store schema: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    useFreshStore(kind, (current) => {
      ({ db, store } = current);
    });
    const TABLES_OF_KIND = [...TABLES, ...(kind === 'postgres' ? POSTGRES_TABLES : [])].sort();

    describe('schema', () => {
      it('creates every table, and a second migrate() changes nothing', async () => {
        const tables = (rows: { name: string }[]) =>
          rows.map((r) => r.name).filter((n) => TABLES_OF_KIND.includes(n));
        const list =
          kind === 'sqlite'
            ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name";
        expect(tables(await query<{ name: string }>(db, list))).toEqual(TABLES_OF_KIND);
        await store.insertCluster(clusterRow('kept'));

        await store.migrate();

        expect(tables(await query<{ name: string }>(db, list))).toEqual(TABLES_OF_KIND);
        expect(await query(db, 'SELECT name FROM bridge_migration')).toHaveLength(5);
        expect((await store.listClusters()).map((c) => c.name)).toEqual(['kept']);
      });

      it('indexes instances by cluster, phase and id, which the controller pages through', async () => {
        const list =
          kind === 'sqlite'
            ? "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'workspace_instances' AND sql IS NOT NULL ORDER BY name"
            : "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'workspace_instances' AND indexname <> 'workspace_instances_pkey' ORDER BY indexname";

        expect((await query<{ name: string }>(db, list)).map((r) => r.name)).toEqual([
          'workspace_instances_cluster_phase_id',
          'workspace_instances_workspace',
        ]);
      });

      it('brings a database of the initial schema up to date, keeping its rows', async () => {
        const old = await extraDatabase(kind);
        await migrateThrough(old, '0001-initial-schema');
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
          '0003-replicas',
          '0004-outbox-revisions',
          '0005-instances-by-cluster-phase-id',
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
          OUTBOX_ON,
        );
        expect((await upgraded.loadInstances(['i-1'])).get('i-1')).toEqual(
          instanceRecord(runningRow('i-1', 1n)),
        );
        expect(await upgraded.pendingMessages(10, REPLICA)).toEqual([outboxMessage('k', 'p')]);
        expect(await userTokenNames(old)).toEqual([]);
      });

      it('reports its capabilities; only PostgreSQL has leases', () => {
        expect(store.capabilities).toEqual(
          kind === 'sqlite'
            ? { concurrentWriters: false, maxBatchSize: 1000 }
            : { concurrentWriters: true, maxBatchSize: 1000 },
        );
        if (kind === 'sqlite') expect(store.leases).toBeUndefined();
        else expect(store.leases).toBeDefined();
      });

      it('warm() writes nothing, and loads and batches work after it', async () => {
        await store.warm();
        await store.warm();
        expect(await store.loadInstances(['i-1'])).toEqual(new Map());
        expect(await query(db, 'SELECT id FROM workspace_instances')).toEqual([]);
        expect(await query(db, 'SELECT instance_id FROM bridge_outbox')).toEqual([]);
        await seedInstances(store, ['i-1']);
        const result = await store.writeBatch([write(runningRow('i-1', 1n))], OUTBOX_ON);
        expect(result.applied).toEqual(['i-1']);
        expect((await store.loadInstances(['i-1', 'i-2'])).get('i-1')?.row.phase).toBe('running');
      });

      it.runIf(kind === 'postgres')(
        'warm() opens every pool connection and they stay open',
        async () => {
          const open = async (): Promise<number> => {
            const rows = await query<{ n: string }>(
              db,
              `SELECT count(*) AS n FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'ws-manager-bridge'`,
            );
            return Number(rows[0]?.n);
          };
          // migrate() used one.
          expect(await open()).toBe(1);
          await store.warm();
          expect(await open()).toBe(10);
          // pg's default closes a connection idle for 10 s; these are kept.
          await new Promise((resolve) => setTimeout(resolve, 11_000));
          expect(await open()).toBe(10);
        },
        20_000,
      );

      it('answers ping() and closes idempotently; calls after close() fail', async () => {
        await store.ping();
        const first = store.close();
        expect(store.close()).toBe(first);
        await first;
        await expect(store.ping()).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.writeBatch([write(runningRow('i-1', 1n))], OUTBOX_OFF)).rejects.toBeInstanceOf(
          StoreClosedError,
        );
        await expect(store.claimOrphans(REPLICA, [], 1)).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.claimSoleWriter('late')).rejects.toBeInstanceOf(StoreClosedError);
        if (store.leases) await expect(store.leases.liveReplicas()).rejects.toBeInstanceOf(StoreClosedError);
      });

      it('upgrades a 0002 database: pending rows belong to no replica until claimed, URLs become unique', async () => {
        const old = await extraDatabase(kind);
        await migrateThrough(old, '0002-user-tokens-and-outbox-messages');
        await query(
          old,
          'INSERT INTO bridge_outbox (instance_id, owner_id, workspace_id, created_at) VALUES (?, ?, ?, ?)',
          ['i-1', 'u-1', 'ws-1', T0],
        );
        await query(
          old,
          'INSERT INTO bridge_outbox_messages (key, channel, payload, created_at) VALUES (?, ?, ?, ?)',
          ['k-1', 'chan:x', 'p', T0],
        );
        const upgraded = await openStore(old.url, { logger: silentLogger() });
        onTestFinished(() => upgraded.close());
        await upgraded.insertCluster(clusterRow('c1'));

        await upgraded.migrate();

        const names = await query<{ name: string }>(old, 'SELECT name FROM bridge_migration ORDER BY name');
        expect(names.map((r) => r.name).at(-1)).toBe('0005-instances-by-cluster-phase-id');
        expect(await upgraded.pendingNotifications(10, REPLICA)).toEqual([]);
        expect(await upgraded.claimOrphans(REPLICA, [REPLICA], 10)).toEqual({
          notifications: [{ instanceID: 'i-1', ownerID: 'u-1', workspaceID: 'ws-1' }],
          messages: [outboxMessage('k-1', 'p', 'chan:x')],
        });
        expect(await upgraded.pendingMessages(10, REPLICA)).toEqual([outboxMessage('k-1', 'p', 'chan:x')]);
        await expect(
          upgraded.insertCluster(clusterRow('c2', { url: clusterRow('c1').url })),
        ).rejects.toMatchObject({ field: 'url' });
        if (upgraded.leases) {
          expect(await upgraded.leases.listLeases()).toEqual([]);
          expect(await upgraded.leases.liveReplicas()).toEqual([]);
        }
      });

      it('refuses to upgrade while two clusters share a URL, naming them, and migrates once fixed', async () => {
        const old = await extraDatabase(kind);
        await migrateThrough(old, '0002-user-tokens-and-outbox-messages');
        const upgraded = await openStore(old.url, { logger: silentLogger() });
        onTestFinished(() => upgraded.close());
        const url = 'dns:///shared.example.org:8080';
        for (const name of ['twin-b', 'twin-a', 'single']) {
          await upgraded.insertCluster(clusterRow(name, name === 'single' ? {} : { url }));
        }

        const failed = upgraded.migrate();

        await expect(failed).rejects.toThrow(/store migration "0003-replicas" failed/);
        await expect(failed).rejects.toThrow(`${url} (twin-a, twin-b)`);
        expect(await query(old, 'SELECT name FROM bridge_migration')).toHaveLength(2);
        await upgraded.deleteCluster('twin-b');
        await upgraded.migrate();
        expect(await query(old, 'SELECT name FROM bridge_migration')).toHaveLength(5);
      });
    });
  });
}

describe.skipIf(!DATABASES.includes('sqlite'))('claimSoleWriter on SQLite', () => {
  /** A store on a fresh SQLite file, closed after the test, and the path of its lock file. */
  async function sqliteStore(db: TestDatabase): Promise<{ store: Store; lock: string }> {
    const opened = await openStore(db.url, { logger: silentLogger() });
    onTestFinished(() => opened.close());
    return { store: opened, lock: `${db.url.slice('sqlite:'.length)}.lock` };
  }

  /** The pid of a process that has exited. */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', '']);
    return child.pid ?? 0;
  }

  it('lets one bridge have a file: another is refused, naming the holder, until close() removes the lock', async () => {
    const db = await extraDatabase('sqlite');
    const first = await sqliteStore(db);
    const second = await sqliteStore(db);

    await first.store.claimSoleWriter('bridge-a');
    await first.store.claimSoleWriter('bridge-a');
    const refused = second.store.claimSoleWriter('bridge-b');

    await expect(refused).rejects.toBeInstanceOf(StoreInUseError);
    const error = (await refused.catch((e: unknown) => e)) as StoreInUseError;
    expect(error.holder).toMatch(new RegExp(`^bridge-a \\(pid ${process.pid} on host .+ since .+\\)$`));
    expect(error.message).toContain(db.url.slice('sqlite:'.length));
    expect(JSON.parse(readFileSync(first.lock, 'utf8'))).toMatchObject({
      holder: 'bridge-a',
      pid: process.pid,
      host: hostname(),
    });
    await first.store.close();
    expect(existsSync(first.lock)).toBe(false);
    await second.store.claimSoleWriter('bridge-b');
    await second.store.close();
    expect(existsSync(first.lock)).toBe(false);
  });

  it('replaces a lock of a dead process on this host, never one of another host or an unreadable one', async () => {
    const db = await extraDatabase('sqlite');
    const { store, lock } = await sqliteStore(db);
    const pid = deadPid();
    const stale = { holder: 'crashed', pid, host: hostname(), since: T0 };

    writeFileSync(lock, JSON.stringify({ ...stale, host: 'elsewhere' }));
    await expect(store.claimSoleWriter('bridge-a')).rejects.toMatchObject({
      holder: `crashed (pid ${pid} on host elsewhere since ${T0})`,
    });
    writeFileSync(lock, '');
    await expect(store.claimSoleWriter('bridge-a')).rejects.toMatchObject({
      holder: `unknown (unreadable lock file ${lock})`,
    });
    writeFileSync(lock, JSON.stringify(stale));
    await store.claimSoleWriter('bridge-a');

    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ holder: 'bridge-a', pid: process.pid });
  });

  it('leaves a lock it did not make, and needs none for :memory:', async () => {
    const db = await extraDatabase('sqlite');
    const { store, lock } = await sqliteStore(db);
    const memory = await openStore('sqlite::memory:', { logger: silentLogger() });
    await memory.claimSoleWriter('bridge-m');
    await memory.close();
    writeFileSync(lock, JSON.stringify({ holder: 'other', pid: process.pid, host: hostname(), since: T0 }));

    await expect(store.claimSoleWriter('bridge-a')).rejects.toBeInstanceOf(StoreInUseError);
    await store.close();

    expect(existsSync(lock)).toBe(true);
  });
});

describe.skipIf(!DATABASES.includes('postgres'))('claimSoleWriter on PostgreSQL', () => {
  it('is a no-op: replicas share the database', async () => {
    const db = await extraDatabase('postgres');
    const [a, b] = [
      await openStore(db.url, { logger: silentLogger() }),
      await openStore(db.url, { logger: silentLogger() }),
    ];
    onTestFinished(() => Promise.all([a.close(), b.close()]).then(() => undefined));

    await a.claimSoleWriter('bridge-a');
    await b.claimSoleWriter('bridge-b');
  });
});

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

  it('opens an in-memory SQLite store, and a file only in a folder that exists', async () => {
    const memory = await openStore('sqlite::memory:', { logger: silentLogger() });
    onTestFinished(() => memory.close());
    await memory.migrate();
    await memory.insertCluster(clusterRow('c1'));
    expect((await memory.listClusters()).map((c) => c.name)).toEqual(['c1']);

    const dir = tempDir('wsb-open-');
    const missing = join(dir, 'nested', 'folder', 'bridge.db');
    await expect(openStore(`sqlite:${missing}`, { logger: silentLogger() })).rejects.toThrow();
    expect(existsSync(join(dir, 'nested'))).toBe(false);
    const file = join(dir, 'bridge.db');
    const onDisk = await openStore(`sqlite:${file}`, { logger: silentLogger() });
    onTestFinished(() => onDisk.close());
    await onDisk.migrate();
    expect(existsSync(file)).toBe(true);
  });
});
