/**
 * Store contract, fenced batch writes: a write commits only under the lease epoch the replica holds,
 * checked in the same statement with the lease row locked against a takeover (PostgreSQL). SQLite
 * has one writer and no leases, so it ignores a fence.
 */
import type pg from 'pg';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { openStore } from '../../src/store/open-store.js';
import type { BatchOptions, InstanceWrite, LeaseStore, Store } from '../../src/store/ports.js';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { connectPostgres, insertUserTokens, runSql, userTokenNames } from '../helpers/sql.js';
import {
  instanceRecord,
  instanceRow,
  outboxMessage,
  prebuildRow,
  REPLICA,
  runningRow,
  userToken,
  workspaceRow,
  write,
} from './store-fixtures.js';
import { seedInstances, useFreshStore } from './store-setup.js';

const HOUR = 3_600_000;

/** Options of a batch fenced for `holder` with these epochs, with the outbox. */
function fenced(holder: string, epochs: Record<string, bigint>): BatchOptions {
  return { outbox: true, replica: holder, fence: { holder, epochs: new Map(Object.entries(epochs)) } };
}

function leasesOf(store: Store): LeaseStore {
  if (!store.leases) throw new Error('this store has no leases');
  return store.leases;
}

/** A session of its own that ends with the test. */
async function session(db: TestDatabase): Promise<pg.Client> {
  const client = await connectPostgres(db);
  onTestFinished(() => client.end());
  return client;
}

/** Resolves once one of the store's connections waits for a lock. */
async function storeWaitsForLock(db: TestDatabase): Promise<void> {
  await vi.waitFor(async () => {
    const [row] = await runSql<{ n: string }>(
      db,
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()
        AND application_name = 'ws-manager-bridge' AND wait_event_type = 'Lock'`,
    );
    expect(row?.n).toBe('1');
  });
}

describe.skipIf(!DATABASES.includes('postgres'))('store fencing: postgres', () => {
  let db: TestDatabase;
  let store: Store;
  let leases: LeaseStore;
  useFreshStore('postgres', (current) => {
    ({ db, store } = current);
    leases = leasesOf(store);
  });

  /** A write of instance `id` at version 1 under `lease`, carrying every kind of side effect. */
  function fullWrite(id: string, lease: string | undefined): InstanceWrite {
    return write(runningRow(id, 1n), {
      lease,
      metrics: { image: { totalSize: 1 } },
      prebuild: { ...prebuildRow(`p-${id}`, { buildWorkspaceId: `ws-${id}` }), state: 'building' },
      messages: [outboxMessage(`k-${id}`, 'p')],
      revokeTokens: { userId: `u-${id}`, namePrefix: `${id}-` },
    });
  }

  /** Seeds instances with prebuilds and tokens for `fullWrite`. */
  async function seedFull(ids: readonly string[]): Promise<void> {
    await seedInstances(store, ids);
    await store.createPrebuilds(ids.map((id) => prebuildRow(`p-${id}`, { buildWorkspaceId: `ws-${id}` })));
    await insertUserTokens(
      db,
      ids.map((id) => userToken(`u-${id}`, `${id}-token`)),
    );
  }

  it('applies writes under the current epoch, and reports older versions as conflicted', async () => {
    await seedFull(['i-1', 'i-2']);
    await store.writeBatch([write(runningRow('i-2', 5n))], { outbox: false, replica: 'r-a' });
    const epoch = await leases.acquire('eu-1', 'r-a', HOUR);

    const result = await store.writeBatch(
      [
        fullWrite('i-1', 'eu-1'),
        write(runningRow('i-2', 4n), { lease: 'eu-1' }),
        write(runningRow('i-new', 1n, { workspaceId: 'ws-new' }), {
          lease: 'eu-1',
          adopt: { workspace: workspaceRow('ws-new') },
        }),
      ],
      fenced('r-a', { 'eu-1': epoch ?? 0n }),
    );

    expect(result).toEqual({
      applied: ['i-1', 'i-new'],
      conflicted: ['i-2'],
      fenced: [],
      revision: expect.any(BigInt) as bigint,
    });
    const revisions = await store.notificationRevisions(['i-1', 'i-new'], 'r-a');
    expect([...revisions.values()].map((r) => r.revision)).toEqual([result.revision, result.revision]);
    const loaded = await store.loadInstances(['i-1', 'i-new']);
    expect(loaded.get('i-1')?.metrics).toEqual({ image: { totalSize: 1 } });
    expect(loaded.get('i-1')?.prebuild?.state).toBe('building');
    expect(loaded.get('i-new')?.row).toEqual(runningRow('i-new', 1n, { workspaceId: 'ws-new' }));
    expect((await store.pendingNotifications(10, 'r-a')).map((n) => n.instanceID).sort()).toEqual([
      'i-1',
      'i-new',
    ]);
    expect(await store.pendingMessages(10, 'r-a')).toEqual([outboxMessage('k-i-1', 'p')]);
    expect(await userTokenNames(db)).toEqual(['u-i-2/i-2-token']);
  });

  it('fences stale, expired, taken, unclaimed and missing leases, writing nothing they carry', async () => {
    const ids = ['cur', 'stale', 'expired', 'taken', 'unclaimed', 'missing'];
    await seedFull(ids);
    const cur = await leases.acquire('cur', 'r-a', HOUR);
    const stale = await leases.acquire('stale', 'r-a', HOUR);
    await leases.acquire('stale', 'r-a', HOUR); // a restart of r-a took it again: epoch + 1
    const expired = await leases.acquire('expired', 'r-a', HOUR);
    await leases.release('r-a', ['expired']);
    const taken = await leases.acquire('taken', 'r-b', HOUR);
    await leases.acquire('unclaimed', 'r-a', HOUR);
    const adopt = { workspace: workspaceRow('ws-adopted'), prebuild: prebuildRow('p-adopted') };

    const result = await store.writeBatch(
      [
        ...ids.map((id) => fullWrite(id, id === 'missing' ? undefined : id)),
        write(runningRow('adopted', 1n, { workspaceId: 'ws-adopted' }), { lease: 'taken', adopt }),
      ],
      fenced('r-a', { cur: cur ?? 0n, stale: stale ?? 0n, expired: expired ?? 0n, taken: taken ?? 0n }),
    );

    const losers = ids.filter((id) => id !== 'cur');
    expect(result).toEqual({
      applied: ['cur'],
      conflicted: [],
      fenced: [...losers, 'adopted'],
      revision: expect.any(BigInt) as bigint,
    });
    const loaded = await store.loadInstances([...ids, 'adopted']);
    for (const id of losers) {
      expect(loaded.get(id)).toEqual(
        instanceRecord(instanceRow(id), {
          prebuild: prebuildRow(`p-${id}`, { buildWorkspaceId: `ws-${id}` }),
        }),
      );
    }
    expect(loaded.has('adopted')).toBe(false);
    expect(await runSql(db, "SELECT id FROM workspaces WHERE id = 'ws-adopted'")).toEqual([]);
    expect(await store.countPrebuildsByState()).toEqual(
      new Map([
        ['building', 1],
        ['queued', 5],
      ]),
    );
    expect((await store.pendingNotifications(10, 'r-a')).map((n) => n.instanceID)).toEqual(['cur']);
    expect((await store.pendingMessages(10, 'r-a')).map((m) => m.key)).toEqual(['k-cur']);
    expect(await userTokenNames(db)).toEqual(losers.map((id) => `u-${id}/${id}-token`).sort());
  });

  it('fences writes whose lease it holds no epoch for without asking the database', async () => {
    const unreachable = await openStore('postgres://bridge:x@127.0.0.1:1/none', { logger: silentLogger() });
    onTestFinished(() => unreachable.close());

    const result = await unreachable.writeBatch(
      [write(runningRow('i-1', 1n), { lease: 'eu-1' }), write(runningRow('i-2', 1n))],
      fenced('r-a', { 'eu-2': 1n }),
    );

    expect(result).toEqual({ applied: [], conflicted: [], fenced: ['i-1', 'i-2'] });
  });

  it('is fenced by a takeover that committed before the batch', async () => {
    await seedInstances(store, ['i-1']);
    const epoch = (await leases.acquire('eu-1', 'r-a', HOUR)) ?? 0n;
    const taker = await session(db);
    await taker.query(
      "UPDATE cluster_leases SET holder = 'r-b', epoch = epoch + 1 WHERE cluster_name = 'eu-1'",
    );

    const result = await store.writeBatch(
      [write(runningRow('i-1', 1n), { lease: 'eu-1' })],
      fenced('r-a', { 'eu-1': epoch }),
    );

    expect(result.fenced).toEqual(['i-1']);
    expect((await store.loadInstances(['i-1'])).get('i-1')?.row.phase).toBe('pending');
  });

  it('waits for a takeover in flight: fenced when it commits, applied when it rolls back', async () => {
    await seedInstances(store, ['i-1', 'i-2']);
    const taker = await session(db);
    for (const [lease, id, outcome] of [
      ['eu-1', 'i-1', 'COMMIT'],
      ['eu-2', 'i-2', 'ROLLBACK'],
    ] as const) {
      const epoch = (await leases.acquire(lease, 'r-a', HOUR)) ?? 0n;
      await taker.query('BEGIN');
      await taker.query(
        "UPDATE cluster_leases SET holder = 'r-b', epoch = epoch + 1 WHERE cluster_name = $1",
        [lease],
      );

      const batch = store.writeBatch(
        [write(runningRow(id, 1n), { lease })],
        fenced('r-a', { [lease]: epoch }),
      );
      await storeWaitsForLock(db);
      await taker.query(outcome);

      const result = await batch;
      expect(outcome === 'COMMIT' ? result.fenced : result.applied).toEqual([id]);
    }
    const loaded = await store.loadInstances(['i-1', 'i-2']);
    expect([loaded.get('i-1')?.row.phase, loaded.get('i-2')?.row.phase]).toEqual(['pending', 'running']);
  });

  it('makes a takeover wait while a batch holds the lease, until the batch commits', async () => {
    await seedInstances(store, ['i-1']);
    const epoch = (await leases.acquire('eu-1', 'r-a', HOUR)) ?? 0n;
    // A platform transaction holding the instance row keeps the batch open after it locked the lease.
    const platform = await session(db);
    await platform.query('BEGIN');
    await platform.query("SELECT id FROM workspace_instances WHERE id = 'i-1' FOR UPDATE");
    const batch = store.writeBatch(
      [write(runningRow('i-1', 1n), { lease: 'eu-1' })],
      fenced('r-a', { 'eu-1': epoch }),
    );
    await storeWaitsForLock(db);
    const taker = await session(db);
    await taker.query("SET lock_timeout = '200ms'");
    const takeover =
      "UPDATE cluster_leases SET holder = 'r-b', epoch = epoch + 1 WHERE cluster_name = 'eu-1'";

    await expect(taker.query(takeover)).rejects.toMatchObject({ code: '55P03' });
    await platform.query('ROLLBACK');

    expect(await batch).toEqual({
      applied: ['i-1'],
      conflicted: [],
      fenced: [],
      revision: expect.any(BigInt) as bigint,
    });
    await taker.query(takeover);
    expect((await leases.listLeases())[0]).toMatchObject({ holder: 'r-b', epoch: epoch + 1n });
  });
});

describe.skipIf(!DATABASES.includes('sqlite'))('store fencing: sqlite', () => {
  let store: Store;
  useFreshStore('sqlite', (current) => {
    ({ store } = current);
  });

  it('has one writer and no leases, so it writes a fenced batch as an unfenced one', async () => {
    await seedInstances(store, ['i-1', 'i-2']);

    const result = await store.writeBatch(
      [write(runningRow('i-1', 1n), { lease: 'eu-1' }), write(runningRow('i-2', 1n))],
      { outbox: true, replica: REPLICA, fence: { holder: REPLICA, epochs: new Map() } },
    );

    expect(result).toEqual({
      applied: ['i-1', 'i-2'],
      conflicted: [],
      fenced: [],
      revision: expect.any(BigInt) as bigint,
    });
    expect((await store.pendingNotifications(10, REPLICA)).map((n) => n.instanceID)).toEqual(['i-1', 'i-2']);
  });
});
