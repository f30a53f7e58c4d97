/**
 * Store contract, instances: platform rows, instance reads and versioned batch writes, on every
 * adapter with a fresh database per test.
 */
import { describe, expect, it } from 'vitest';
import { DuplicateWriteError } from '../../src/store/errors.js';
import type { Store } from '../../src/store/ports.js';
import type { InstancePhase } from '../../src/store/types.js';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { insertUserTokens, runSql, userTokenNames } from '../helpers/sql.js';
import {
  instanceRecord,
  instanceRow,
  outboxMessage,
  OUTBOX_OFF,
  OUTBOX_ON,
  prebuildRow,
  REPLICA,
  runningRow,
  T0,
  T1,
  userToken,
  workspaceRow,
  write,
} from './store-fixtures.js';
import { seedInstances, useFreshStore } from './store-setup.js';

for (const kind of DATABASES) {
  describe(`store instances: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    useFreshStore(kind, (current) => {
      ({ db, store } = current);
    });
    const seed = (ids: readonly string[], overrides: Parameters<typeof seedInstances>[2] = {}) =>
      seedInstances(store, ids, overrides);

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
          OUTBOX_OFF,
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

      it('lists instances by cluster and phase', async () => {
        await seed(['a-run', 'a-stop', 'a-pend']);
        await seed(['b-run'], { clusterName: 'us-1' });
        await store.writeBatch(
          [
            write(runningRow('a-run', 1n)),
            write(runningRow('a-stop', 1n, { phase: 'stopped', stoppedTime: T1 })),
            write(runningRow('b-run', 1n, { clusterName: 'us-1' })),
          ],
          OUTBOX_OFF,
        );
        const ids = (records: { row: { id: string } }[]) => records.map((r) => r.row.id);

        expect(ids(await store.listInstances({}))).toEqual(['a-pend', 'a-run', 'a-stop', 'b-run']);
        expect(
          ids(await store.listInstances({ clusterName: 'eu-1', phases: ['running', 'stopped'] })),
        ).toEqual(['a-run', 'a-stop']);
        expect(ids(await store.listInstances({ phases: ['running'] }))).toEqual(['a-run', 'b-run']);
        expect(await store.listInstances({ phases: [] })).toEqual([]);
        // The controller's listing: the same instances, only the columns its rules read.
        const states = async (phase: InstancePhase) =>
          store.listInstanceStates({ clusterName: 'eu-1', phase, limit: 10 });
        const active = await store.listInstances({ clusterName: 'eu-1', phases: ['pending', 'running'] });
        expect([...(await states('pending')), ...(await states('running'))]).toEqual(
          active.map(({ row }) => ({
            id: row.id,
            phase: row.phase,
            statusVersion: row.statusVersion,
            creationTime: row.creationTime,
            stoppingTime: row.stoppingTime,
          })),
        );
        expect(active.map((r) => r.row.statusVersion)).toEqual([0n, 1n]);
        expect(await states('stopped')).toEqual([
          expect.objectContaining({ id: 'a-stop', stoppingTime: null }),
        ]);
        expect(await states('stopping')).toEqual([]);
        expect(await store.countInstancesByPhase()).toEqual(
          new Map<InstancePhase, number>([
            ['pending', 1],
            ['running', 2],
            ['stopped', 1],
          ]),
        );
      });

      it('pages through the states of the instances of a cluster in one phase, by id', async () => {
        await seed(['r-5', 'r-1', 'r-4', 'r-2', 'r-3'], { phase: 'running' });
        await seed(['p-1'], { phase: 'pending' });
        await seed(['r-0'], { phase: 'running', clusterName: 'us-1' });
        const page = async (after?: string) =>
          (await store.listInstanceStates({ clusterName: 'eu-1', phase: 'running', after, limit: 2 })).map(
            (state) => state.id,
          );

        expect(await page()).toEqual(['r-1', 'r-2']);
        expect(await page('r-2')).toEqual(['r-3', 'r-4']);
        expect(await page('r-4')).toEqual(['r-5']);
        expect(await page('r-5')).toEqual([]);
      });

      it('counts the instances of each cluster per phase, stopped ones left out', async () => {
        await seed(['a-run', 'a-run2', 'a-stop', 'a-pend']);
        await seed(['b-run', 'b-stop'], { clusterName: 'us-1' });
        await store.writeBatch(
          [
            write(runningRow('a-run', 1n)),
            write(runningRow('a-run2', 1n)),
            write(runningRow('a-stop', 1n, { phase: 'stopped', stoppedTime: T1 })),
            write(runningRow('b-run', 1n, { clusterName: 'us-1' })),
            write(runningRow('b-stop', 1n, { clusterName: 'us-1', phase: 'stopped', stoppedTime: T1 })),
          ],
          OUTBOX_OFF,
        );

        expect(await store.countActiveInstances()).toEqual([
          { clusterName: 'eu-1', phase: 'pending', count: 1 },
          { clusterName: 'eu-1', phase: 'running', count: 2 },
          { clusterName: 'us-1', phase: 'running', count: 1 },
        ]);
      });

      it('names the first regular instances of a cluster in given phases and counts them all', async () => {
        const ids = Array.from({ length: 25 }, (_, i) => `r-${String(i).padStart(2, '0')}`);
        await seed(ids, { phase: 'running' });
        await seed(['r-pending'], { phase: 'pending' });
        await seed(['r-stopping'], { phase: 'stopping' });
        await seed(['r-elsewhere'], { phase: 'running', clusterName: 'us-1' });
        const prebuild = instanceRow('p-run', { phase: 'running' });
        await store.createWorkspaces([workspaceRow(prebuild.workspaceId, { type: 'prebuild' })]);
        await store.createInstances([prebuild]);
        const filter = { clusterName: 'eu-1', phases: ['pending', 'running'] as InstancePhase[] };

        expect(await store.listRegularInstanceIds({ ...filter, limit: 3 })).toEqual({
          total: 26,
          ids: ['r-00', 'r-01', 'r-02'],
        });
        expect(await store.listRegularInstanceIds({ ...filter, limit: 100 })).toEqual({
          total: 26,
          ids: [...ids, 'r-pending'],
        });
        expect(
          await store.listRegularInstanceIds({ clusterName: 'eu-1', phases: ['stopping'], limit: 5 }),
        ).toEqual({ total: 1, ids: ['r-stopping'] });
        expect(await store.listRegularInstanceIds({ ...filter, clusterName: 'nowhere', limit: 5 })).toEqual({
          total: 0,
          ids: [],
        });
        expect(await store.listRegularInstanceIds({ ...filter, phases: [], limit: 5 })).toEqual({
          total: 0,
          ids: [],
        });
      });
    });

    describe('writeBatch', () => {
      it('applies equal and newer versions and reports older ones as conflicted', async () => {
        await seed(['equal', 'newer', 'older']);
        await store.writeBatch([write(runningRow('older', 5n))], OUTBOX_OFF);

        const result = await store.writeBatch(
          [write(runningRow('equal', 0n)), write(runningRow('newer', 7n)), write(runningRow('older', 4n))],
          OUTBOX_OFF,
        );

        expect(result).toEqual({ applied: ['equal', 'newer'], conflicted: ['older'], fenced: [] });
        const loaded = await store.loadInstances(['equal', 'newer', 'older']);
        expect(loaded.get('equal')?.row).toEqual(runningRow('equal', 0n));
        expect(loaded.get('newer')?.row.statusVersion).toBe(7n);
        expect(loaded.get('older')?.row.statusVersion).toBe(5n);
      });

      it('mixes applied, conflicted, adopted and unknown ids in one batch', async () => {
        await seed(['known', 'stale']);
        await store.writeBatch([write(runningRow('stale', 9n))], OUTBOX_OFF);

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
          OUTBOX_ON,
        );

        expect(result).toEqual({
          applied: ['known', 'adopted', 'adopted-2'],
          conflicted: ['stale', 'unknown'],
          fenced: [],
          revision: expect.any(BigInt) as bigint,
        });
        const loaded = await store.loadInstances(['adopted', 'unknown']);
        expect(loaded.get('adopted')).toEqual(
          instanceRecord(runningRow('adopted', 3n), { metrics: { image: { totalSize: 7 } } }),
        );
        expect(loaded.has('unknown')).toBe(false);
        const pending = await store.pendingNotifications(10, REPLICA);
        expect(pending.map((n) => n.instanceID).sort()).toEqual(['adopted', 'adopted-2', 'known']);
      });

      it('adopting an instance that exists is an ordinary versioned write', async () => {
        await seed(['i-1']);
        const adopt = { workspace: workspaceRow('ws-i-1', { ownerId: 'would-be-owner' }) };

        const result = await store.writeBatch([write(runningRow('i-1', 2n), { adopt })], OUTBOX_OFF);

        expect(result.applied).toEqual(['i-1']);
        const record = (await store.loadInstances(['i-1'])).get('i-1');
        expect(record?.ownerId).toBe('owner-of-ws-i-1');
        expect(record?.row.creationTime).toBe(T0);
      });

      it('writes the phase whatever the previous-phase hint says, and the rest of the row with it', async () => {
        await seed(['wrong-hint', 'right-hint', 'stale', 'leaving']);
        const running = (id: string, version: bigint, message: string) =>
          runningRow(id, version, { status: { conditions: { deployed: true }, message } });
        // Seeded as pending; 'right-hint' and 'stale' are running after this batch, the others not.
        await store.writeBatch(
          [write(running('right-hint', 1n, 'first')), write(running('stale', 5n, 'first'))],
          OUTBOX_OFF,
        );

        const result = await store.writeBatch(
          [
            write(running('wrong-hint', 2n, 'second'), { previousPhase: 'running' }),
            write(running('right-hint', 2n, 'second'), { previousPhase: 'running' }),
            write(running('stale', 4n, 'second'), { previousPhase: 'running' }),
            write(runningRow('leaving', 2n, { phase: 'stopping' }), { previousPhase: 'pending' }),
          ],
          OUTBOX_OFF,
        );

        expect(result).toEqual({
          applied: ['wrong-hint', 'right-hint', 'leaving'],
          conflicted: ['stale'],
          fenced: [],
        });
        const loaded = await store.loadInstances(['wrong-hint', 'right-hint', 'stale', 'leaving']);
        expect(loaded.get('wrong-hint')?.row).toEqual(running('wrong-hint', 2n, 'second'));
        expect(loaded.get('right-hint')?.row).toEqual(running('right-hint', 2n, 'second'));
        expect(loaded.get('stale')?.row).toEqual(running('stale', 5n, 'first'));
        expect(loaded.get('leaving')?.row).toEqual(runningRow('leaving', 2n, { phase: 'stopping' }));
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

        await store.writeBatch([write(next)], OUTBOX_OFF);

        const row = (await store.loadInstances(['i-1'])).get('i-1')?.row;
        expect(row).toEqual({ ...next, workspaceId: 'ws-i-1', clusterName: 'eu-1', creationTime: T0 });
      });

      it('keeps int64 versions above 2^53 exact, in storage and in the comparison', async () => {
        const big = 2n ** 53n + 1n;
        await seed(['i-1', 'i-max']);
        await store.writeBatch(
          [write(runningRow('i-1', big)), write(runningRow('i-max', 2n ** 63n - 1n))],
          OUTBOX_OFF,
        );

        // As JS numbers, 2^53 + 1 and 2^53 are equal, so a lossy comparison would apply this write.
        const lower = await store.writeBatch([write(runningRow('i-1', big - 1n))], OUTBOX_OFF);
        const higher = await store.writeBatch([write(runningRow('i-1', big + 1n))], OUTBOX_OFF);

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
          OUTBOX_OFF,
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
            OUTBOX_ON,
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
            OUTBOX_ON,
          ),
        ).rejects.toThrow();

        const record = (await store.loadInstances(['i-1'])).get('i-1');
        expect(record).toEqual(instanceRecord(instanceRow('i-1'), { prebuild: stored }));
        expect(await store.pendingNotifications(10, REPLICA)).toEqual([]);
        expect(await store.pendingMessages(10, REPLICA)).toEqual([]);
        expect(await userTokenNames(db)).toEqual(['u-1/i-1-a']);
        expect(await store.countPrebuildsByState()).toEqual(new Map([['queued', 1]]));
        expect(await runSql(db, "SELECT id FROM workspaces WHERE id = 'ws-i-bad'")).toEqual([]);
      });
    });
  });
}
