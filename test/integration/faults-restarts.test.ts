/**
 * Fault cases: the bridge's PostgreSQL (`pg_ctl restart`) and its Redis (shutdown, then a fresh
 * server on the same port) restart in the middle of a run. Both are servers of this file's own
 * (scripts/services.sh on free ports), never the ones other tests share. Each case ends with the
 * database equal to ws-manager's truth and every instance that changed announced.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import type { BridgeConfig } from '../../src/config/config.js';
import { StartWorkspaceRequest, WorkspacePhase } from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openPublisher } from '../../src/pubsub/open-publisher.js';
import type { Message, Publisher } from '../../src/pubsub/ports.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { expectAnnounced, expectStoreMatchesTruth } from '../helpers/fault-truth.js';
import { LogCapture } from '../helpers/log-capture.js';
import { PrivateServices } from '../helpers/private-services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let services: PrivateServices;

beforeAll(async () => {
  services = await PrivateServices.start();
}, 120_000);

afterAll(async () => {
  await services.stop();
});

interface Run {
  sim: SimulatedWsManager;
  bridge: Bridge;
  observer: Publisher;
  messages: Message[];
  /** The bridge's log lines. */
  logs: LogCapture;
  cleanup: (() => Promise<void>)[];
}

let current: Run | undefined;

afterEach(async () => {
  if (!current) return;
  await current.bridge.stop();
  await current.observer.close();
  await current.sim.close();
  for (const step of current.cleanup) await step();
  current = undefined;
});

/** A bridge on `databaseUrl` with Redis at `redisUrl`, quick retries, and an observer on `observeUrl`. */
async function startRun(databaseUrl: string, redisUrl: string, observeUrl: string): Promise<Run> {
  const sim = new SimulatedWsManager({ phaseDelayMs: 20, retainStoppedMs: 600_000 });
  const port = await sim.listen(0, '127.0.0.1');
  const base = testBridgeConfig(databaseUrl, [port]);
  const config: BridgeConfig = {
    ...base,
    redisUrl,
    wsman: { ...base.wsman, backoff: { initialMs: 50, maxMs: 1_000, factor: 2 } },
  };
  const logger = silentLogger();
  const logs = new LogCapture('info');
  const publisher = await openPublisher(redisUrl, logger);
  const bridge = await createBridge(config, { logger: logs.logger, publisher, http: false });
  const observer = await openPublisher(observeUrl, logger);
  const messages: Message[] = [];
  current = { sim, bridge, observer, messages, logs, cleanup: [] };
  await observer.subscribe('chan:workspace-instances', (m) => messages.push(m));
  await observer.whenReady(AbortSignal.timeout(10_000));
  await bridge.start();
  await vi.waitFor(() => expect(sim.subscriberCount).toBe(1), { timeout: 20_000 });
  return current;
}

function start(sim: SimulatedWsManager, id: string): void {
  sim.startWorkspace(
    StartWorkspaceRequest.fromPartial({
      id,
      servicePrefix: id,
      metadata: { owner: `owner-${id}`, metaId: `ws-${id}` },
      spec: {},
    }),
  );
}

/** Waits until ws-manager has every one of `ids` running, or stopped for those in `stopped`. */
async function settled(sim: SimulatedWsManager, ids: readonly string[], stopped: readonly string[] = []) {
  await vi.waitFor(
    () => {
      const phases = new Map(sim.truth().map((s) => [s.id, s.phase]));
      for (const id of ids) {
        expect(phases.get(id), id).toBe(
          stopped.includes(id) ? WorkspacePhase.STOPPED : WorkspacePhase.RUNNING,
        );
      }
    },
    { timeout: 20_000 },
  );
}

/** Versions ws-manager holds now, by instance id. */
function versions(sim: SimulatedWsManager): Map<string, bigint> {
  return new Map(sim.truth().map((s) => [s.id, s.statusVersion]));
}

/** Instances whose status moved on since `before`. */
function changedSince(sim: SimulatedWsManager, before: ReadonlyMap<string, bigint>): string[] {
  return sim.truth().flatMap((s) => (before.get(s.id) === s.statusVersion ? [] : [s.id]));
}

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('PostgreSQL restarted in the middle of a run', () => {
  let db: TestDatabase | undefined;

  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('goes on after pg_ctl restart: rows equal ws-manager, changes announced', async () => {
    db = await services.database();
    const run = await startRun(db.url, services.redisUrl, services.redisUrl);
    const first = ids('pg-a', 6);
    const second = ids('pg-b', 6);
    for (const id of first) start(run.sim, id);
    await settled(run.sim, first);
    const before = versions(run.sim);
    const announcedBefore = run.messages.length;

    // Statuses keep coming while the server goes down and comes back.
    const restarted = performance.now();
    const restart = services.restartPostgres();
    for (const id of second) start(run.sim, id);
    for (const id of first.slice(0, 3)) run.sim.stopWorkspace(id);
    await restart;
    const back = performance.now();
    await settled(run.sim, [...first, ...second], first.slice(0, 3));

    await expectStoreMatchesTruth(run.bridge.store, () => run.sim.truth());
    const caughtUp = performance.now();
    const changed = changedSince(run.sim, before);
    expect(changed.length).toBeGreaterThanOrEqual(second.length + 3);
    await expectAnnounced(run.messages, changed, announcedBefore);
    // The pool's ten connections, kept open since the start, all failed at once: one line for them.
    expect(run.logs.matching('postgres: idle connection failed')).toHaveLength(1);
    expect(run.logs.matching('postgres: connecting again').length).toBeGreaterThanOrEqual(1);
    // Measured outcome, for the record: how long the restart took and until the rows were right.
    console.info(
      `postgres restart: down and back in ${Math.round(back - restarted)} ms, rows equal to ws-manager ${Math.round(caughtUp - back)} ms later`,
    );
  });
});

describe('Redis restarted in the middle of a run', () => {
  let db: TestDatabase | undefined;

  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('delivers what changed while Redis was away once a fresh Redis is up', async () => {
    db = await createTestDatabase('sqlite');
    // The bridge reaches Redis through a proxy that stays shut until the observer has subscribed to
    // the fresh server again, so nothing the bridge sends after the restart can pass it by.
    const redisPort = Number(new URL(services.redisUrl).port);
    const proxy = new TcpProxy('127.0.0.1', redisPort);
    await proxy.start();
    const run = await startRun(db.url, `redis://127.0.0.1:${proxy.port}`, services.redisUrl);
    run.cleanup.push(() => proxy.stop());
    const first = ids('redis-a', 6);
    const second = ids('redis-b', 6);
    for (const id of first) start(run.sim, id);
    await settled(run.sim, first);
    await expectAnnounced(run.messages, first);
    const before = versions(run.sim);

    const restarted = performance.now();
    await proxy.stop();
    const announcedBefore = run.messages.length;
    await services.restartRedis(async () => {
      // While Redis is down: new workspaces, stops, all committed to the database.
      for (const id of second) start(run.sim, id);
      for (const id of first.slice(0, 3)) run.sim.stopWorkspace(id);
      await settled(run.sim, [...first, ...second], first.slice(0, 3));
      await expectStoreMatchesTruth(run.bridge.store, () => run.sim.truth());
      expect(run.bridge.notifier.pending).toBeGreaterThan(0);
    });
    await vi.waitFor(
      async () => expect(await services.redisSubscribers('chan:workspace-instances')).toBe(1),
      { timeout: 20_000 },
    );
    await proxy.start();
    const back = performance.now();

    const changed = changedSince(run.sim, before);
    expect(changed.length).toBeGreaterThanOrEqual(second.length + 3);
    await expectAnnounced(run.messages, changed, announcedBefore);
    const delivered = performance.now();
    await vi.waitFor(() => expect(run.bridge.notifier.pending).toBe(0), { timeout: 10_000 });
    await expectStoreMatchesTruth(run.bridge.store, () => run.sim.truth());
    console.info(
      `redis restart: down ${Math.round(back - restarted)} ms, every change announced ${Math.round(delivered - back)} ms after the fresh Redis was reachable`,
    );
  });
});
