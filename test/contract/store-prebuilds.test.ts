/**
 * Store contract, what an instance write carries besides its row: prebuild updates and adoption,
 * and token revocation, on every adapter with a fresh database per test.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/ports.js';
import type { PrebuildState } from '../../src/store/types.js';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { insertUserTokens, userTokenNames } from '../helpers/sql.js';
import {
  outboxMessage,
  OUTBOX_OFF,
  OUTBOX_ON,
  prebuildRow,
  REPLICA,
  runningRow,
  userToken,
  workspaceRow,
  write,
} from './store-fixtures.js';
import { seedInstances, useFreshStore } from './store-setup.js';

for (const kind of DATABASES) {
  describe(`store prebuilds and tokens: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    useFreshStore(kind, (current) => {
      ({ db, store } = current);
    });
    const seed = (ids: readonly string[]) => seedInstances(store, ids);

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
          OUTBOX_OFF,
        );

        expect(result.applied).toEqual(['i-eq', 'i-new', 'i-old']);
        const loaded = await store.loadInstances(['i-eq', 'i-new', 'i-old']);
        expect(loaded.get('i-eq')?.prebuild).toEqual(building);
        expect(loaded.get('i-new')?.prebuild).toEqual(done);
        expect(loaded.get('i-old')?.prebuild).toEqual(stored('old', big));
      });

      it('updates only an existing prebuild: an update alone inserts nothing', async () => {
        await seed(['i-1']);

        await store.writeBatch(
          [write(runningRow('i-1', 1n), { prebuild: prebuildRow('p-none') })],
          OUTBOX_OFF,
        );

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
          OUTBOX_OFF,
        );

        const loaded = await store.loadInstances(['new', 'old', 'plain', 'older']);
        expect(loaded.get('new')?.prebuild).toEqual(updated);
        expect(loaded.get('old')?.prebuild).toEqual(finished);
        expect(loaded.get('plain')?.prebuild).toEqual(queued('plain'));
        expect(loaded.get('older')?.prebuild).toEqual(queued('older', 5n));
      });

      it('writes nothing a refused instance write carries', async () => {
        await seed(['i-1']);
        await store.writeBatch([write(runningRow('i-1', 9n))], OUTBOX_OFF);
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
          OUTBOX_ON,
        );

        expect(result).toEqual({ applied: [], conflicted: ['i-1'], fenced: [] });
        expect((await store.loadInstances(['i-1'])).get('i-1')?.prebuild).toEqual(stored);
        expect(await store.countPrebuildsByState()).toEqual(new Map([['queued', 1]]));
        expect(await store.pendingNotifications(10, REPLICA)).toEqual([]);
        expect(await store.pendingMessages(10, REPLICA)).toEqual([]);
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
          OUTBOX_OFF,
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
  });
}
