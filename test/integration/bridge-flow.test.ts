/**
 * End to end over real loopback gRPC: simulated ws-manager -> bridge -> SQLite / PostgreSQL, with
 * notifications through Redis and in-process. The final database must equal the simulator's truth.
 */
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import {
  StartWorkspaceRequest,
  WorkspacePhase,
  type WorkspaceStatus,
} from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openPublisher } from '../../src/pubsub/open-publisher.js';
import type { Message } from '../../src/pubsub/ports.js';
import { mapPhase } from '../../src/sync/status-mapping.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import { metricValue } from '../helpers/engine-harness.js';

interface Setup {
  sim: SimulatedWsManager;
  bridge: Bridge;
  db: TestDatabase;
  messages: Message[];
  /** Run after the bridge stopped, in order. */
  cleanup: (() => Promise<void>)[];
}

let current: Setup | undefined;

afterEach(async () => {
  if (!current) return;
  await current.bridge.stop();
  for (const step of current.cleanup) await step();
  await current.sim.close();
  await current.db.drop();
  current = undefined;
});

async function setup(
  kind: (typeof DATABASES)[number],
  notifications: 'redis' | 'in-process',
  simOptions = {},
): Promise<Setup> {
  const sim = new SimulatedWsManager({ phaseDelayMs: 5, retainStoppedMs: 600_000, ...simOptions });
  const port = await sim.listen(0, '127.0.0.1');
  const db = await createTestDatabase(kind);
  const redisUrl = notifications === 'redis' ? inject('redisUrl') : undefined;
  const publisher = await openPublisher(redisUrl, silentLogger());
  const messages: Message[] = [];
  const config = testBridgeConfig(db.url, [port]);
  const bridge = await createBridge(config, { logger: silentLogger(), publisher, http: false });
  current = { sim, bridge, db, messages, cleanup: [] };
  // A consumer of its own, as another platform service would subscribe.
  const observer = notifications === 'redis' ? await openPublisher(redisUrl, silentLogger()) : publisher;
  const unsubscribe = await observer.subscribe('chan:workspace-instances', (m) => messages.push(m));
  current.cleanup.push(unsubscribe);
  if (observer !== publisher) current.cleanup.push(() => observer.close());
  await bridge.start();
  return current;
}

function start(id: string, owner: string): StartWorkspaceRequest {
  return StartWorkspaceRequest.fromPartial({
    id,
    servicePrefix: id,
    metadata: { owner, metaId: `ws-${id}` },
    spec: {},
  });
}

/** The database agrees with the simulator on every instance: phase, url, version order, token. */
async function expectDatabaseEqualsTruth(s: Setup): Promise<void> {
  const truth = s.sim.truth();
  await vi.waitFor(
    async () => {
      const rows = await s.bridge.store.loadInstances(truth.map((t) => t.id));
      for (const t of truth) {
        const record = rows.get(t.id);
        expect(record, t.id).toBeDefined();
        expect(record?.row.phase, t.id).toBe(mapPhase(t.phase));
        expect(record?.row.ideUrl, t.id).toBe(t.spec?.url);
        expect(record?.row.status.ownerToken, t.id).toBe(t.auth?.ownerToken);
        expect(record?.row.statusVersion, t.id).toBeLessThanOrEqual(t.statusVersion);
      }
    },
    { timeout: 20_000, interval: 50 },
  );
}

for (const kind of DATABASES) {
  for (const notifications of ['in-process', 'redis'] as const) {
    describe(`bridge flow: ${kind}, ${notifications} notifications`, () => {
      it('follows workspaces through their lifecycle and announces every instance', async () => {
        const s = await setup(kind, notifications);
        const ids = ['w1', 'w2', 'w3'].map((w) => `${w}-${Math.random().toString(36).slice(2, 8)}`);
        for (const id of ids) {
          s.sim.startWorkspace(start(id, `u-${id}`));
        }
        await vi.waitFor(
          () => expect(s.sim.truth().filter((t) => t.phase === WorkspacePhase.RUNNING)).toHaveLength(3),
          {
            timeout: 10_000,
          },
        );
        s.sim.stopWorkspace(ids[0] as string);
        await vi.waitFor(
          () => expect(s.sim.truth().find((t) => t.id === ids[0])?.phase).toBe(WorkspacePhase.STOPPED),
          {
            timeout: 10_000,
          },
        );
        await expectDatabaseEqualsTruth(s);
        const rows = await s.bridge.store.loadInstances(ids);
        expect(rows.get(ids[0] as string)?.row.stoppedTime).not.toBeNull();
        expect(rows.get(ids[1] as string)?.row.startedTime).not.toBeNull();
        await vi.waitFor(() => {
          for (const id of ids) {
            expect(s.messages.map((m) => m.payload)).toContain(
              JSON.stringify({ ownerID: `u-${id}`, instanceID: id, workspaceID: `ws-${id}` }),
            );
          }
        });
      });

      it('loses no update across stream drops in the middle of a run', async () => {
        const s = await setup(kind, notifications);
        const load = s.sim.runLoad({ workspaces: 40, updatesPerSecond: 1000, totalUpdates: 3000 });
        // Cut the stream three times while the load runs, each time once the bridge streams again;
        // every cut forces a resubscribe and a resync.
        for (let drop = 0; drop < 3; drop++) {
          await vi.waitFor(() => expect(s.sim.subscriberCount).toBe(1), { timeout: 10_000 });
          // Some statuses flow over the new stream before it is cut again.
          const applied = s.bridge.engine.applied;
          await vi.waitFor(() => expect(s.bridge.engine.applied).toBeGreaterThan(applied + 20), {
            timeout: 10_000,
          });
          s.sim.dropSubscribers();
        }
        const result = await load;
        expect(result.emitted).toBe(3000);
        expect(
          await metricValue(s.bridge.metrics, 'gitpod_ws_manager_bridge_cluster_reconnects_total'),
        ).toBeGreaterThanOrEqual(3);
        await expectDatabaseEqualsTruth(s);
      });
    });
  }

  describe(`bridge flow: ${kind}, resync`, () => {
    it('applies a status that changes between the snapshot and the stream', async () => {
      const sim = new SimulatedWsManager({ manual: true, retainStoppedMs: 600_000 });
      const id = `between-${Math.random().toString(36).slice(2, 8)}`;
      sim.startWorkspace(start(id, 'u'));
      let advanced: WorkspaceStatus | undefined;
      sim.hooks.afterSnapshot = () => {
        // The snapshot says PENDING; before it reaches the bridge, the workspace moves on.
        if (!advanced) advanced = sim.advance(id);
      };
      const port = await sim.listen(0, '127.0.0.1');
      const db = await createTestDatabase(kind);
      const config = testBridgeConfig(db.url, [port]);
      const bridge = await createBridge(config, { logger: silentLogger(), http: false });
      current = { sim, bridge, db, messages: [], cleanup: [] };
      await bridge.start();
      await vi.waitFor(async () => {
        const row = (await bridge.store.loadInstances([id])).get(id)?.row;
        expect(advanced).toBeDefined();
        expect(row?.phase).toBe(mapPhase((advanced as WorkspaceStatus).phase));
        expect(row?.statusVersion).toBe((advanced as WorkspaceStatus).statusVersion);
      });
    });
  });
}
