/**
 * Fault case: an outbox acknowledgement is on its way while a newer commit of the same instance
 * lands, and the process dies right then. The acknowledgement names the revision it delivered, so
 * the newer row stays and the next start announces it.
 *
 * The first part holds the store to that rule on both adapters. The second acts the race out on
 * PostgreSQL with a real bridge process: a statement trigger makes the acknowledgement's DELETE wait
 * (after it was sent, before it touches a row) until the test lets it go; meanwhile ws-manager
 * reports a newer status, the bridge commits it, and the bridge is killed with SIGKILL.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { StartWorkspaceRequest } from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openPublisher } from '../../src/pubsub/open-publisher.js';
import type { Message, Publisher } from '../../src/pubsub/ports.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { outboxMessage, OUTBOX_ON, REPLICA, runningRow, write } from '../contract/store-fixtures.js';
import { seedInstances, useFreshStore } from '../contract/store-setup.js';
import { BridgeProcess } from '../helpers/bridge-process.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import { announcedIds, expectStoreMatchesTruth } from '../helpers/fault-truth.js';
import { connectPostgres, runSql } from '../helpers/sql.js';

for (const kind of DATABASES) {
  describe(`outbox revisions: ${kind}`, () => {
    let store: Store;
    useFreshStore(kind, (current) => {
      ({ store } = current);
    });

    it('an acknowledgement removes a row only at the revision it delivered', async () => {
      await seedInstances(store, ['i-1']);
      const message = (payload: string) => outboxMessage('k-i-1', payload);
      await store.writeBatch([write(runningRow('i-1', 1n), { messages: [message('first')] })], OUTBOX_ON);
      const delivered = (await store.notificationRevisions(['i-1', 'unknown'], REPLICA)).get('i-1');
      const deliveredMessage = (await store.messageRevisions(['k-i-1'], REPLICA)).get('k-i-1');
      expect(delivered?.value).toEqual({
        instanceID: 'i-1',
        ownerID: 'owner-of-ws-i-1',
        workspaceID: 'ws-i-1',
      });
      expect(deliveredMessage?.value).toEqual(message('first'));

      // A newer commit lands before the acknowledgements of the first one.
      await store.writeBatch([write(runningRow('i-1', 2n), { messages: [message('second')] })], OUTBOX_ON);
      const newer = (await store.notificationRevisions(['i-1'], REPLICA)).get('i-1');
      expect(newer?.revision).not.toBe(delivered?.revision);
      await store.ackNotifications(['i-1'], REPLICA, new Map([['i-1', delivered?.revision ?? 0n]]));
      await store.ackMessages(['k-i-1'], REPLICA, new Map([['k-i-1', deliveredMessage?.revision ?? 0n]]));

      expect((await store.pendingNotifications(10, REPLICA)).map((n) => n.instanceID)).toEqual(['i-1']);
      expect(await store.pendingMessages(10, REPLICA)).toEqual([message('second')]);

      const latest = await store.messageRevisions(['k-i-1'], REPLICA);
      await store.ackNotifications(['i-1'], REPLICA, new Map([['i-1', newer?.revision ?? 0n]]));
      await store.ackMessages(['k-i-1'], REPLICA, new Map([['k-i-1', latest.get('k-i-1')?.revision ?? 0n]]));
      expect(await store.pendingNotifications(10, REPLICA)).toEqual([]);
      expect(await store.pendingMessages(10, REPLICA)).toEqual([]);
    });

    it('leaves ids without a revision alone when acknowledging by revision', async () => {
      await seedInstances(store, ['i-1', 'i-2']);
      await store.writeBatch([write(runningRow('i-1', 1n)), write(runningRow('i-2', 1n))], OUTBOX_ON);
      const revisions = await store.notificationRevisions(['i-1', 'i-2'], REPLICA);

      await store.ackNotifications(
        ['i-1', 'i-2'],
        REPLICA,
        new Map([['i-2', revisions.get('i-2')?.revision ?? 0n]]),
      );

      expect((await store.pendingNotifications(10, REPLICA)).map((n) => n.instanceID)).toEqual(['i-1']);
    });
  });
}

/** Advisory lock key the test trigger waits for. */
const HOLD_KEY = 80_080_017;

interface RaceSetup {
  db: TestDatabase;
  sim: SimulatedWsManager;
  observer: Publisher;
  bridges: BridgeProcess[];
  store: Store | undefined;
}

let race: RaceSetup | undefined;

afterEach(async () => {
  if (!race) return;
  for (const bridge of race.bridges) await bridge.kill();
  await race.store?.close();
  await race.observer.close();
  await race.sim.close();
  await race.db.drop();
  race = undefined;
});

function startBridge(s: RaceSetup, port: number, replica: string): BridgeProcess {
  const bridge = BridgeProcess.start(
    ['--cluster', `sim=127.0.0.1:${port}`, '--allow-plaintext-clusters', '--adopt-unknown'],
    { DATABASE_URL: s.db.url, REDIS_URL: inject('redisUrl'), BRIDGE_REPLICA_ID: replica },
  );
  s.bridges.push(bridge);
  return bridge;
}

/** Backends of the test database whose DELETE on bridge_outbox waits for the test's lock. */
async function heldAcks(db: TestDatabase): Promise<number> {
  const rows = await runSql<{ n: string }>(
    db,
    `SELECT count(*) AS n FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
       AND query ILIKE 'delete from "bridge_outbox"%'`,
  );
  return Number(rows[0]?.n ?? 0);
}

describe.skipIf(!DATABASES.includes('postgres'))(
  'outbox race on PostgreSQL, bridge killed mid-acknowledgement',
  () => {
    it('keeps the newer commit in the outbox and announces it after the restart', async () => {
      const sim = new SimulatedWsManager({ manual: true, retainStoppedMs: 600_000 });
      const port = await sim.listen(0, '127.0.0.1');
      const db = await createTestDatabase('postgres');
      const observer = await openPublisher(inject('redisUrl'), silentLogger());
      const s: RaceSetup = { db, sim, observer, bridges: [], store: undefined };
      race = s;
      const messages: Message[] = [];
      const id = `race-${randomBytes(4).toString('hex')}`;
      // The shared Redis carries other tests' notifications too: keep this instance's.
      await observer.subscribe('chan:workspace-instances', (m) => {
        if (announcedIds([m]).has(id)) messages.push(m);
      });
      const replica = `race-replica-${id}`;

      const first = startBridge(s, port, replica);
      await first.running();
      await vi.waitFor(() => expect(sim.subscriberCount).toBe(1), { timeout: 20_000 });
      // The bridge migrated the database: make every DELETE on the outbox wait for the test's lock.
      await runSql(
        db,
        `CREATE FUNCTION test_hold_outbox_ack() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM pg_advisory_xact_lock(${HOLD_KEY}); RETURN NULL; END $$`,
      );
      await runSql(
        db,
        `CREATE TRIGGER test_hold_outbox_ack BEFORE DELETE ON bridge_outbox
       FOR EACH STATEMENT EXECUTE FUNCTION test_hold_outbox_ack()`,
      );
      const holder = await connectPostgres(db);
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [HOLD_KEY]);

        sim.startWorkspace(
          StartWorkspaceRequest.fromPartial({
            id,
            servicePrefix: id,
            metadata: { owner: `owner-${id}`, metaId: `ws-${id}` },
            spec: {},
          }),
        );
        // Delivered, and its acknowledgement sent and waiting in the database.
        await vi.waitFor(() => expect(announcedIds(messages).has(id)).toBe(true), { timeout: 20_000 });
        await vi.waitFor(async () => expect(await heldAcks(db)).toBe(1), { timeout: 20_000 });
        const announcedBefore = messages.length;

        // A newer status lands and is committed while the acknowledgement waits.
        const newer = sim.advance(id);
        await vi.waitFor(
          async () => {
            const rows = await runSql<{ status_version: string }>(
              db,
              'SELECT status_version FROM workspace_instances WHERE id = ?',
              [id],
            );
            expect(BigInt(rows[0]?.status_version ?? -1)).toBe(newer.statusVersion);
          },
          { timeout: 20_000 },
        );

        await first.kill();
        await holder.query('SELECT pg_advisory_unlock($1)', [HOLD_KEY]);
        await vi.waitFor(async () => expect(await heldAcks(db)).toBe(0), { timeout: 20_000 });
        await vi.waitFor(
          async () => {
            const rows = await runSql(
              db,
              'SELECT 1 FROM pg_stat_activity WHERE query ILIKE \'delete from "bridge_outbox"%\'',
            );
            expect(rows).toEqual([]);
          },
          { timeout: 20_000 },
        );

        // The acknowledgement ran to its end after the crash and left the newer row.
        const left = await runSql<{ instance_id: string; replica: string }>(
          db,
          'SELECT instance_id, replica FROM bridge_outbox',
        );
        expect(left).toEqual([{ instance_id: id, replica }]);
        expect(messages.length).toBe(announcedBefore);

        await runSql(db, 'DROP TRIGGER test_hold_outbox_ack ON bridge_outbox');
        const second = startBridge(s, port, replica);
        await second.running();
        await vi.waitFor(() => expect(announcedIds(messages.slice(announcedBefore)).has(id)).toBe(true), {
          timeout: 20_000,
        });
        s.store = await openStore(db.url, { logger: silentLogger() });
        await expectStoreMatchesTruth(s.store, () => sim.truth());
        await vi.waitFor(async () => expect(await runSql(db, 'SELECT 1 FROM bridge_outbox')).toEqual([]), {
          timeout: 20_000,
        });
      } finally {
        await holder.end();
      }
    });
  },
);
