/**
 * Store contract, the outboxes: notifications and messages recorded with their writes, handed out
 * per replica, acknowledged by their owner, and claimed from replicas that are gone.
 */
import { describe, expect, it } from 'vitest';
import type { InstanceNotification, Store } from '../../src/store/ports.js';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { runSql } from '../helpers/sql.js';
import { outboxMessage, OUTBOX_OFF, OUTBOX_ON, REPLICA, runningRow, write } from './store-fixtures.js';
import { nextMillisecond, openSecondStore, seedInstances, useFreshStore } from './store-setup.js';

const ids = (notifications: InstanceNotification[]) => notifications.map((n) => n.instanceID);
const keys = (messages: { key: string }[]) => messages.map((m) => m.key);

for (const kind of DATABASES) {
  describe(`store outbox: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    useFreshStore(kind, (current) => {
      ({ db, store } = current);
    });
    const seed = (names: readonly string[]) => seedInstances(store, names);

    /** Writes instance `id` at `version` as `replica`, with a notification and a message `k-<id>`. */
    async function writeAs(replica: string, id: string, version: bigint, on = store): Promise<void> {
      const messages = [outboxMessage(`k-${id}`, `${id}@${version}`)];
      await on.writeBatch([write(runningRow(id, version), { messages })], { outbox: true, replica });
      // created_at must differ between writes for the order to be observable.
      await nextMillisecond();
    }

    describe('outbox', () => {
      it('records one coalesced notification per applied write, only with outbox on', async () => {
        await seed(['a', 'b', 'c']);
        await store.writeBatch([write(runningRow('c', 1n))], OUTBOX_OFF);
        await store.writeBatch([write(runningRow('a', 1n)), write(runningRow('b', 1n))], OUTBOX_ON);
        await store.writeBatch([write(runningRow('a', 2n)), write(runningRow('b', 0n))], OUTBOX_ON);

        const pending = await store.pendingNotifications(10, REPLICA);

        expect(pending).toHaveLength(2);
        expect(pending).toContainEqual({ instanceID: 'a', ownerID: 'owner-of-ws-a', workspaceID: 'ws-a' });
        expect(pending).toContainEqual({ instanceID: 'b', ownerID: 'owner-of-ws-b', workspaceID: 'ws-b' });
      });

      it('hands out notifications oldest first, up to the limit, until acknowledged', async () => {
        await seed(['first', 'second', 'third']);
        for (const id of ['third', 'first', 'second']) {
          await store.writeBatch([write(runningRow(id, 1n))], OUTBOX_ON);
          // created_at must differ between batches for the order to be observable.
          await nextMillisecond();
        }

        expect((await store.pendingNotifications(2, REPLICA)).map((n) => n.instanceID)).toEqual([
          'third',
          'first',
        ]);
        await store.ackNotifications(['third', 'unknown'], REPLICA);
        expect((await store.pendingNotifications(10, REPLICA)).map((n) => n.instanceID)).toEqual([
          'first',
          'second',
        ]);
        await store.ackNotifications(['first', 'second'], REPLICA);
        expect(await store.pendingNotifications(10, REPLICA)).toEqual([]);
      });

      it('gives the rows of each batch one new revision and returns it with the result', async () => {
        await seed(['a', 'b']);
        const first = await store.writeBatch(
          [
            write(runningRow('a', 1n), { messages: [outboxMessage('k-a', 'a@1')] }),
            write(runningRow('b', 1n)),
          ],
          OUTBOX_ON,
        );
        const second = await store.writeBatch([write(runningRow('a', 2n))], OUTBOX_ON);
        const stale = await store.writeBatch([write(runningRow('b', 0n))], OUTBOX_ON);
        const off = await store.writeBatch([write(runningRow('b', 2n))], OUTBOX_OFF);

        expect(first.revision).toBeTypeOf('bigint');
        expect(second.revision).toBeTypeOf('bigint');
        expect(second.revision).not.toBe(first.revision);
        expect(stale).toEqual({ applied: [], conflicted: ['b'], fenced: [] });
        expect(off.revision).toBeUndefined();
        const rows = await store.notificationRevisions(['a', 'b'], REPLICA);
        expect(rows.get('a')?.revision).toBe(second.revision);
        expect(rows.get('b')?.revision).toBe(first.revision);
        expect((await store.messageRevisions(['k-a'], REPLICA)).get('k-a')?.revision).toBe(first.revision);
        // The revision a delivery of the first batch covered no longer removes the rewritten row.
        const covered = new Map([
          ['a', first.revision ?? 0n],
          ['b', first.revision ?? 0n],
        ]);
        await store.ackNotifications(['a', 'b'], REPLICA, covered);
        expect(ids(await store.pendingNotifications(10, REPLICA))).toEqual(['a']);
      });

      it('hands out below a horizon only rows last written before it was taken', async () => {
        await seed(['old', 'new', 'both']);
        await writeAs(REPLICA, 'old', 1n);
        await writeAs(REPLICA, 'both', 1n);
        const horizon = await store.outboxHorizon();
        await writeAs(REPLICA, 'new', 1n);
        await writeAs(REPLICA, 'both', 2n);

        expect(ids(await store.pendingNotifications(10, REPLICA, horizon))).toEqual(['old']);
        expect(keys(await store.pendingMessages(10, REPLICA, horizon))).toEqual(['k-old']);
        expect(ids(await store.pendingNotifications(10, REPLICA))).toEqual(['old', 'both', 'new']);
        expect(await store.outboxHorizon()).toBeGreaterThan(horizon);
      });

      it('never repeats a revision once the store is opened again on the same database', async () => {
        await seed(['a', 'b']);
        const before = await store.writeBatch(
          [write(runningRow('a', 1n)), write(runningRow('b', 1n))],
          OUTBOX_ON,
        );
        await store.ackNotifications(['b'], REPLICA);
        const reopened = await openSecondStore(db);
        const after = await reopened.writeBatch([write(runningRow('b', 2n))], OUTBOX_ON);

        expect(after.revision).toBeTypeOf('bigint');
        expect(after.revision).not.toBe(before.revision);
        const rows = await reopened.notificationRevisions(['a', 'b'], REPLICA);
        expect(rows.get('a')?.revision).toBe(before.revision);
        expect(rows.get('b')?.revision).toBe(after.revision);
      });
    });

    describe('message outbox', () => {
      it('records messages of applied writes only with outbox on, coalesced by key', async () => {
        await seed(['a', 'b']);
        await store.writeBatch(
          [write(runningRow('a', 1n), { messages: [outboxMessage('k-off', 'x')] })],
          OUTBOX_OFF,
        );
        await store.writeBatch(
          [
            write(runningRow('a', 2n), {
              messages: [outboxMessage('k-2', 'a2'), outboxMessage('k-1', 'a1')],
            }),
            write(runningRow('b', 1n), { messages: [] }),
          ],
          OUTBOX_ON,
        );
        await nextMillisecond();

        await store.writeBatch(
          [
            write(runningRow('a', 3n), {
              messages: [outboxMessage('k-0', 'a0'), outboxMessage('k-2', 'a2-newer', 'chan:other')],
            }),
          ],
          OUTBOX_ON,
        );

        // k-2 keeps the time of its first pending message, so it stays ahead of k-0.
        expect(await store.pendingMessages(10, REPLICA)).toEqual([
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
          await store.writeBatch(
            [write(runningRow('a', version), { messages: [outboxMessage(key, key)] })],
            OUTBOX_ON,
          );
          await nextMillisecond();
        }

        expect((await store.pendingMessages(2, REPLICA)).map((m) => m.key)).toEqual(['k-c', 'k-a']);
        await store.ackMessages(['k-c', 'unknown'], REPLICA);
        await store.ackMessages([], REPLICA);
        expect((await store.pendingMessages(10, REPLICA)).map((m) => m.key)).toEqual(['k-a', 'k-b']);
        await store.ackMessages(['k-a', 'k-b'], REPLICA);
        expect(await store.pendingMessages(10, REPLICA)).toEqual([]);
      });

      it('keeps the last write of a key repeated across one batch instead of failing', async () => {
        await seed(['a', 'b']);

        const result = await store.writeBatch(
          [
            write(runningRow('a', 1n), { messages: [outboxMessage('k', 'from-a')] }),
            write(runningRow('b', 1n), { messages: [outboxMessage('k', 'from-b')] }),
          ],
          OUTBOX_ON,
        );

        expect(result.applied).toEqual(['a', 'b']);
        expect(await store.pendingMessages(10, REPLICA)).toEqual([outboxMessage('k', 'from-b')]);
      });

      it('keeps payload text byte for byte', async () => {
        await seed(['a']);
        const payload = '{"b":1,  "a":"ünï\\u0000\n", "n":12345678901234567890}';

        await store.writeBatch(
          [write(runningRow('a', 1n), { messages: [outboxMessage('k', payload)] })],
          OUTBOX_ON,
        );

        expect((await store.pendingMessages(1, REPLICA))[0]?.payload).toBe(payload);
      });
    });

    describe('replicas', () => {
      it('tags rows with their writer; a rewrite hands the row to the new writer and keeps its age', async () => {
        await seed(['i-1', 'i-2']);
        await writeAs('a', 'i-1', 1n);
        await writeAs('b', 'i-2', 1n);

        expect(ids(await store.pendingNotifications(10, 'a'))).toEqual(['i-1']);
        expect(keys(await store.pendingMessages(10, 'b'))).toEqual(['k-i-2']);
        await writeAs('b', 'i-1', 2n);

        expect(await store.pendingNotifications(10, 'a')).toEqual([]);
        expect(await store.pendingMessages(10, 'a')).toEqual([]);
        expect(ids(await store.pendingNotifications(10, 'b'))).toEqual(['i-1', 'i-2']);
        expect(await store.pendingMessages(10, 'b')).toEqual([
          outboxMessage('k-i-1', 'i-1@2'),
          outboxMessage('k-i-2', 'i-2@1'),
        ]);
        expect(
          await runSql(db, 'SELECT instance_id, replica FROM bridge_outbox ORDER BY instance_id'),
        ).toEqual([
          { instance_id: 'i-1', replica: 'b' },
          { instance_id: 'i-2', replica: 'b' },
        ]);
      });

      it('acknowledges only rows the replica still owns', async () => {
        await seed(['i-1', 'i-2']);
        await writeAs('a', 'i-1', 1n);
        await writeAs('a', 'i-2', 1n);
        // b rewrote i-1 after a had delivered it: b owes the newer notification.
        await writeAs('b', 'i-1', 2n);

        await store.ackNotifications(['i-1', 'i-2'], 'a');
        await store.ackMessages(['k-i-1', 'k-i-2'], 'a');

        expect(ids(await store.pendingNotifications(10, 'b'))).toEqual(['i-1']);
        expect(keys(await store.pendingMessages(10, 'b'))).toEqual(['k-i-1']);
        expect(await store.pendingNotifications(10, 'a')).toEqual([]);
        await store.ackNotifications(['i-1'], 'b');
        await store.ackMessages(['k-i-1'], 'b');
        expect(await store.pendingNotifications(10, 'b')).toEqual([]);
        expect(await store.pendingMessages(10, 'b')).toEqual([]);
      });

      it('claims rows of replicas that are gone, oldest first, up to the limit per table', async () => {
        await seed(['i-1', 'i-2', 'i-3', 'i-4', 'i-5']);
        await writeAs('gone-1', 'i-1', 1n);
        await writeAs('live', 'i-2', 1n);
        await writeAs('gone-2', 'i-3', 1n);
        await writeAs('me', 'i-4', 1n);
        await writeAs('gone-1', 'i-5', 1n);

        const first = await store.claimOrphans('me', ['live', 'me'], 2);
        // Its own rows are never claimed, whether or not `live` names it.
        const second = await store.claimOrphans('me', ['live'], 10);
        const third = await store.claimOrphans('me', ['live'], 10);

        expect(ids(first.notifications)).toEqual(['i-1', 'i-3']);
        expect(first.messages).toEqual([outboxMessage('k-i-1', 'i-1@1'), outboxMessage('k-i-3', 'i-3@1')]);
        expect(first.notifications[0]).toEqual({
          instanceID: 'i-1',
          ownerID: 'owner-of-ws-i-1',
          workspaceID: 'ws-i-1',
        });
        expect(ids(second.notifications)).toEqual(['i-5']);
        expect(keys(second.messages)).toEqual(['k-i-5']);
        expect(third).toEqual({ notifications: [], messages: [] });
        expect(ids(await store.pendingNotifications(10, 'me'))).toEqual(['i-1', 'i-3', 'i-4', 'i-5']);
        expect(keys(await store.pendingMessages(10, 'live'))).toEqual(['k-i-2']);
        await store.ackNotifications(['i-1'], 'gone-1');
        expect(ids(await store.pendingNotifications(1, 'me'))).toEqual(['i-1']);
      });
    });

    // Two claimers in one process on one SQLite file would wait on each other's lock inside one
    // event loop; SQLite has one writer (claimSoleWriter), so only PostgreSQL needs this.
    describe.skipIf(kind !== 'postgres')('replicas claiming at once', () => {
      it('never hand the same row to both', async () => {
        const other = await openSecondStore(db);
        const rows = Array.from({ length: 60 }, (_, i) => `i-${i}`);
        await seed(rows);
        for (let round = 1; round <= 3; round++) {
          const version = BigInt(round);
          const messages = (id: string) => [outboxMessage(`k-${id}`, `${id}@${version}`)];
          await store.writeBatch(
            rows.map((id) => write(runningRow(id, version), { messages: messages(id) })),
            { outbox: true, replica: `gone-${round}` },
          );

          const [a, b] = await Promise.all([
            store.claimOrphans('a', ['a', 'b'], 40),
            other.claimOrphans('b', ['a', 'b'], 40),
          ]);

          const claimed = [...ids(a.notifications), ...ids(b.notifications)];
          expect(claimed.sort()).toEqual([...rows].sort());
          const claimedKeys = [...keys(a.messages), ...keys(b.messages)];
          expect(claimedKeys.sort()).toEqual(rows.map((id) => `k-${id}`).sort());
          expect(ids(await store.pendingNotifications(100, 'a')).sort()).toEqual(ids(a.notifications).sort());
          await store.ackNotifications(ids(a.notifications), 'a');
          await store.ackNotifications(ids(b.notifications), 'b');
          await store.ackMessages(keys(a.messages), 'a');
          await store.ackMessages(keys(b.messages), 'b');
        }
      });
    });
  });
}
