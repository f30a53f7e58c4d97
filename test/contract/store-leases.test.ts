/**
 * Store contract, leases and heartbeats of replicas sharing a PostgreSQL database, and the
 * cluster-change notifications every replica listens to. SQLite has no leases (store-schema.test.ts).
 * Expiry is real time on the database clock: leases of 300 ms, awaited with vi.waitFor.
 */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { LeaseStore, Store } from '../../src/store/ports.js';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { LogCapture } from '../helpers/log-capture.js';
import { runSql } from '../helpers/sql.js';
import { clusterRow } from './store-fixtures.js';
import { openSecondStore, useFreshStore } from './store-setup.js';

const HOUR = 3_600_000;
const SHORT = 300;
/** Long enough for a few SHORT leases to run out, on a busy machine too. */
const EXPIRY = { timeout: 10_000, interval: 50 };

describe.skipIf(!DATABASES.includes('postgres'))('store leases: postgres', () => {
  let db: TestDatabase;
  let store: Store;
  let leases: LeaseStore;
  useFreshStore('postgres', (current) => {
    ({ db, store } = current);
    if (!current.store.leases) throw new Error('a PostgreSQL store has leases');
    leases = current.store.leases;
  });

  const lease = async (name: string) => (await leases.listLeases()).find((l) => l.name === name);

  describe('acquire', () => {
    it('takes a new lease at epoch 1 and refuses one another replica holds', async () => {
      expect(await leases.acquire('c', 'a', HOUR)).toBe(1n);
      expect(await leases.acquire('c', 'b', HOUR)).toBeUndefined();

      const [row] = await leases.listLeases();
      expect(row).toEqual({
        name: 'c',
        holder: 'a',
        epoch: 1n,
        expiresAt: row?.expiresAt,
        wantedBy: null,
        expired: false,
      });
      expect(row?.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(row?.expiresAt ?? '')).toBeGreaterThan(Date.now() + HOUR - 60_000);
    });

    it('takes it again for the same holder (a restart) with the next epoch', async () => {
      await leases.acquire('c', 'a', HOUR);

      expect(await leases.acquire('c', 'a', HOUR)).toBe(2n);
      expect(await leases.acquire('c', 'a', HOUR)).toBe(3n);
    });

    it('lets another replica take an expired lease with the next epoch', async () => {
      await leases.acquire('c', 'a', SHORT);

      await vi.waitFor(async () => expect(await leases.acquire('c', 'b', HOUR)).toBe(2n), EXPIRY);

      expect(await lease('c')).toMatchObject({ holder: 'b', epoch: 2n });
      expect(await leases.acquire('c', 'a', HOUR)).toBeUndefined();
    });

    it('lists every lease sorted by name', async () => {
      for (const name of ['b', 'a-2', 'a-10', 'C']) await leases.acquire(name, 'r', HOUR);

      expect((await leases.listLeases()).map((l) => l.name)).toEqual(['C', 'a-10', 'a-2', 'b']);
    });
  });

  describe('renew and release', () => {
    it("renews only the holder's unexpired leases of the given epochs, and says which are wanted", async () => {
      for (const name of ['x', 'y', 'z', 'w']) await leases.acquire(name, name === 'w' ? 'b' : 'a', HOUR);
      await leases.acquire('y', 'a', HOUR); // y is at epoch 2 now
      await leases.release('a', ['z']);
      await leases.want('x', 'b');
      const before = await lease('x');

      const result = await leases.renew(
        'a',
        ['x', 'y', 'z', 'w'].map((name) => ({ name, epoch: 1n })),
        2 * HOUR,
      );

      expect(result).toEqual({ renewed: ['x'], wanted: ['x'] });
      const after = await lease('x');
      expect(Date.parse(after?.expiresAt ?? '')).toBeGreaterThan(
        Date.parse(before?.expiresAt ?? '') + HOUR / 2,
      );
      expect(await leases.renew('a', [{ name: 'y', epoch: 2n }], HOUR)).toEqual({
        renewed: ['y'],
        wanted: [],
      });
      expect(await leases.renew('a', [], HOUR)).toEqual({ renewed: [], wanted: [] });
    });

    it('does not renew a lease that ran out, even before anyone took it', async () => {
      await leases.acquire('c', 'a', SHORT);
      const expired = "SELECT expires_at <= now() AS expired FROM cluster_leases WHERE cluster_name = 'c'";
      await vi.waitFor(async () => expect(await runSql(db, expired)).toEqual([{ expired: true }]), EXPIRY);

      expect(await leases.renew('a', [{ name: 'c', epoch: 1n }], HOUR)).toEqual({ renewed: [], wanted: [] });
    });

    it('releases at once, so another replica takes the lease without waiting; only the holder releases', async () => {
      await leases.acquire('c', 'a', HOUR);
      await leases.acquire('d', 'b', HOUR);

      await leases.release('a', ['c', 'd', 'none']);
      await leases.release('a', []);

      expect(await leases.acquire('c', 'b', HOUR)).toBe(2n);
      expect(await leases.acquire('d', 'a', HOUR)).toBeUndefined();
    });
  });

  describe('want and forget', () => {
    it('keeps other replicas away from a wanted lease, lets the wanter take it, and clears the request', async () => {
      await leases.acquire('c', 'a', HOUR);
      await leases.want('c', 'b');
      await leases.want('none', 'b');
      expect(await lease('c')).toMatchObject({ wantedBy: 'b' });
      await leases.release('a', ['c']);

      expect(await leases.acquire('c', 'x', HOUR)).toBeUndefined();
      expect(await leases.acquire('c', 'a', HOUR)).toBeUndefined();
      expect(await leases.acquire('c', 'b', HOUR)).toBe(2n);
      expect(await lease('c')).toMatchObject({ holder: 'b', wantedBy: null });
      expect(await lease('none')).toBeUndefined();
    });

    it('forgets a request after two lease durations', async () => {
      await leases.acquire('c', 'a', HOUR);
      await leases.want('c', 'b');
      await leases.release('a', ['c']);
      // The window is two of the acquirer's lease durations: two hours here, 600 ms below.
      expect(await leases.acquire('c', 'x', HOUR)).toBeUndefined();

      await vi.waitFor(async () => expect(await leases.acquire('c', 'x', SHORT)).toBe(2n), EXPIRY);
    });

    it('deletes the row of a forgotten cluster only for its holder', async () => {
      await leases.acquire('c', 'a', HOUR);

      await leases.forget('c', 'b');
      expect(await lease('c')).toBeDefined();
      await leases.forget('c', 'a');
      expect(await leases.listLeases()).toEqual([]);
    });
  });

  describe('heartbeats', () => {
    it('lists live replicas sorted, keeps their start time, and drops those that expired or left', async () => {
      await leases.heartbeat('r-b', HOUR);
      await leases.heartbeat('r-a', SHORT);
      const started = async () =>
        (
          await runSql<{ started_at: Date }>(
            db,
            "SELECT started_at FROM bridge_replicas WHERE replica_id = 'r-a'",
          )
        )[0]?.started_at;
      const first = await started();
      expect(await leases.liveReplicas()).toEqual(['r-a', 'r-b']);

      await vi.waitFor(async () => expect(await leases.liveReplicas()).toEqual(['r-b']), EXPIRY);
      await leases.heartbeat('r-a', HOUR);
      expect(await leases.liveReplicas()).toEqual(['r-a', 'r-b']);
      expect(await started()).toEqual(first);
      await leases.leave('r-b');
      expect(await leases.liveReplicas()).toEqual(['r-a']);
    });
  });

  describe('onClusterChange', () => {
    const LISTENERS = `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'LISTEN%' AND state = 'idle'`;
    const listeners = async () => (await runSql<{ pid: number }>(db, LISTENERS)).map((r) => r.pid);

    it('tells the name of every cluster another store inserts, updates or deletes', async () => {
      const names: string[] = [];
      const stop = await leases.onClusterChange((name) => names.push(name));
      const other = await openSecondStore(db);

      await other.insertCluster(clusterRow('c1'));
      await other.updateCluster('c1', { score: 1 });
      await other.insertCluster(clusterRow('c2'));
      await other.deleteCluster('c1');

      await vi.waitFor(() => expect(names).toEqual(['c1', 'c1', 'c2', 'c1']));
      await stop();
      await vi.waitFor(async () => expect(await listeners()).toEqual([]));
    });

    it('listens again after its connection is killed, logging the outage once', async () => {
      const logs = new LogCapture();
      const logged = await openStore(db.url, { logger: logs.logger });
      onTestFinished(() => logged.close());
      const names: string[] = [];
      await logged.leases?.onClusterChange((name) => {
        if (name === 'bad') throw new Error('listener bug');
        names.push(name);
      });
      const [killed] = await listeners();

      await runSql(db, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ?`, [killed]);
      await vi.waitFor(async () => {
        const now = await listeners();
        expect(now).toHaveLength(1);
        expect(now[0]).not.toBe(killed);
      }, EXPIRY);
      await store.insertCluster(clusterRow('bad'));
      await store.insertCluster(clusterRow('after-kill'));

      await vi.waitFor(() => expect(names).toEqual(['after-kill']));
      expect(logs.matching('cluster-change listener failed; retrying')).toHaveLength(1);
      expect(logs.matching('cluster-change listener recovered')).toHaveLength(1);
      expect(logs.lines.filter((line) => line.cluster === 'bad')).toEqual([
        expect.objectContaining({ msg: 'cluster-change listener failed', err: 'listener bug' }),
      ]);
    });

    it('stops every listener when the store closes', async () => {
      const other = await openSecondStore(db);
      await other.leases?.onClusterChange(() => undefined);
      await other.leases?.onClusterChange(() => undefined);
      expect(await listeners()).toHaveLength(2);

      await other.close();

      await vi.waitFor(async () => expect(await listeners()).toEqual([]));
      await expect(other.leases?.onClusterChange(() => undefined)).rejects.toThrow('the store is closed');
    });
  });
});
