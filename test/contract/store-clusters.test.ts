/** Store contract, `workspace_clusters`: on every adapter with a fresh database per test. */
import { describe, expect, it } from 'vitest';
import { ClusterExistsError, type Store } from '../../src/store/ports.js';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { clusterRow, T0 } from './store-fixtures.js';
import { openSecondStore, useFreshStore } from './store-setup.js';

/** The error a promise rejects with, or undefined when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<(Error & Record<string, unknown>) | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error: unknown) {
    return error as Error & Record<string, unknown>;
  }
}

for (const kind of DATABASES) {
  describe(`store clusters: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    useFreshStore(kind, (current) => {
      ({ db, store } = current);
    });
    const secondStore = () => openSecondStore(db);

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

      it('throws ClusterExistsError naming the taken field, also when two inserts race', async () => {
        await store.insertCluster(clusterRow('taken'));
        const url = clusterRow('taken').url;

        const byName = await rejection(store.insertCluster(clusterRow('taken', { url: 'dns:///other:1' })));
        const byUrl = await rejection(store.insertCluster(clusterRow('other', { url })));
        const byBoth = await rejection(store.insertCluster(clusterRow('taken')));

        expect(byName).toBeInstanceOf(ClusterExistsError);
        expect(byName).toMatchObject({ field: 'name', code: 'CLUSTER_EXISTS' });
        expect(byName?.message).toContain('"taken"');
        expect(byUrl).toMatchObject({ field: 'url' });
        expect(byUrl?.message).toContain(url);
        expect(byBoth).toMatchObject({ field: 'name' });
        expect((await store.listClusters()).map((c) => [c.name, c.url])).toEqual([['taken', url]]);
      });

      it('lets one of two racing inserts of a name or of a URL win', async () => {
        const other = await secondStore();
        for (const [field, a, b] of [
          ['name', clusterRow('raced', { url: 'dns:///a:1' }), clusterRow('raced', { url: 'dns:///b:1' })],
          [
            'url',
            clusterRow('raced-a', { url: 'dns:///same:1' }),
            clusterRow('raced-b', { url: 'dns:///same:1' }),
          ],
        ] as const) {
          const outcomes = await Promise.allSettled([store.insertCluster(a), other.insertCluster(b)]);

          expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
          const rejected = outcomes.find((o) => o.status === 'rejected');
          expect(rejected?.reason).toBeInstanceOf(ClusterExistsError);
          expect(rejected?.reason).toMatchObject({ field });
        }
      });

      it("refuses to move a cluster to another cluster's URL", async () => {
        await store.insertCluster(clusterRow('c1'));
        await store.insertCluster(clusterRow('c2'));

        const error = await rejection(store.updateCluster('c2', { url: clusterRow('c1').url, score: 1 }));

        expect(error).toBeInstanceOf(ClusterExistsError);
        expect(error).toMatchObject({ field: 'url' });
        expect(await store.getCluster('c2')).toEqual(clusterRow('c2'));
        expect(await store.updateCluster('c2', { url: 'dns:///moved:1' })).toBe(true);
        expect(await store.updateCluster('c2', { url: 'dns:///moved:1' })).toBe(true);
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
