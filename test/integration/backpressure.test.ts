/**
 * Flow control from the database back to ws-manager. The engine asks its streams to wait once its
 * backlog (writes queued or in flight, rows being read) reaches its limit, and lets them go once it
 * has fallen to half; a waiting stream is paused, so the ws-manager (here the simulator over real
 * gRPC) is held back by HTTP/2 flow control and nothing piles up in the bridge's memory.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkspacePhase, type WorkspaceStatus } from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Store } from '../../src/store/ports.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { ClusterSubscriber, type StatusSink } from '../../src/wsman/cluster-subscriber.js';
import { deferred } from '../helpers/deferred.js';
import { holdingWrites, overrideStore } from '../helpers/store-override.js';
import { engineHarness, metricValue, seedInstances, type EngineHarness } from '../helpers/engine-harness.js';
import { wireStatus } from '../helpers/statuses.js';

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A status of instance `id` at `version` (RUNNING unless given). */
function running(
  id: string,
  version: bigint,
  phase: WorkspacePhase = WorkspacePhase.RUNNING,
): WorkspaceStatus {
  return wireStatus({
    id,
    statusVersion: version,
    phase,
    metadata: { owner: `owner-${id}`, metaId: `ws-${id}` },
    spec: { url: `https://${id}.ws.test` },
  });
}

/** A sink that records stream statuses and asks the stream to wait once, after `holdAfter` of them. */
class HoldingSink implements StatusSink {
  readonly received: WorkspaceStatus[] = [];
  readonly release = deferred();
  /** Resolved when the sink asks for the wait. */
  readonly holding = deferred();
  asked = 0;
  readonly #holdAfter: number;

  constructor(holdAfter: number) {
    this.#holdAfter = holdAfter;
  }

  snapshot(): void {}

  status(_cluster: string, status: WorkspaceStatus): void {
    this.received.push(status);
  }

  backpressure(): Promise<void> | undefined {
    this.asked++;
    if (this.received.length !== this.#holdAfter) return undefined;
    this.holding.resolve();
    return this.release.promise;
  }
}

describe('stream flow control', () => {
  it('pauses the stream while the sink asks it to wait, holds the ws-manager back, and loses nothing', async () => {
    const sim = new SimulatedWsManager({ manual: true });
    const port = await sim.listen(0, '127.0.0.1');
    cleanup.push(() => sim.close());
    const sink = new HoldingSink(100);
    const held: number[] = [];
    const subscriber = new ClusterSubscriber({
      cluster: 'sim',
      target: { url: `127.0.0.1:${port}` },
      sink,
      logger: silentLogger(),
      backoff: { initialMs: 50, maxMs: 500, factor: 2 },
      onHeld: (ms) => held.push(ms),
    });
    await subscriber.start();
    cleanup.push(() => subscriber.stop());
    await vi.waitFor(() => expect(subscriber.state).toBe('streaming'), { timeout: 10_000 });

    let loadDone = false;
    const load = sim.runLoad({ workspaces: 50, totalUpdates: 20_000 }).finally(() => (loadDone = true));
    await sink.holding.promise;
    // From now on the paused stream reads nothing: the simulator's sends back up and its load waits
    // (for as long as the hold lasts, not just these 300 ms).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(loadDone).toBe(false);
    // Nothing was delivered (or asked) past the status that made the sink ask for the wait.
    expect(sink.received).toHaveLength(100);
    expect(sink.asked).toBe(100);
    expect(held).toEqual([]);

    sink.release.resolve();
    expect((await load).emitted).toBe(20_000);
    await vi.waitFor(() => expect(sink.received).toHaveLength(20_000), { timeout: 20_000 });
    expect(held).toHaveLength(1);
    expect(held[0]).toBeGreaterThan(0);
    // Per workspace, versions only go up: nothing was reordered or dropped around the pause.
    const last = new Map<string, bigint>();
    for (const s of sink.received) {
      expect(s.statusVersion).toBeGreaterThan(last.get(s.id) ?? -1n);
      last.set(s.id, s.statusVersion);
    }
    expect(subscriber.state).toBe('streaming');
  });
});

describe('sync engine backlog', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('asks the streams to wait at its limit and releases them once the backlog is down to half', async () => {
    const gate = deferred();
    h = await engineHarness('sqlite', { store: holdingWrites(() => gate.promise), maxBacklog: 6 });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    await seedInstances(h.store, ids);
    const engine = h.engine;

    // Five instances: their rows are read, then their writes wait at the gate. Under the limit.
    for (const id of ids.slice(0, 5)) engine.status('eu-1', running(id, 1n));
    await vi.waitFor(() => expect(engine.dirty).toBe(5));
    expect(engine.backlog).toBe(5);
    expect(engine.backpressure()).toBeUndefined();

    // A sixth reaches the limit: the streams are asked to wait.
    engine.status('eu-1', running('f', 1n));
    await vi.waitFor(() => expect(engine.backlog).toBeGreaterThanOrEqual(6));
    let released = false;
    const relief = engine.backpressure();
    expect(relief).toBeDefined();
    void relief?.then(() => (released = true));
    // A later status of an instance with a queued write folds into it: no more backlog, still held.
    engine.status('eu-1', running('f', 2n, WorkspacePhase.STOPPING));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(released).toBe(false);

    gate.resolve();
    await relief;
    expect(engine.backlog).toBeLessThanOrEqual(3);
    await engine.whenIdle();
    expect(engine.backpressure()).toBeUndefined();
    const rows = await h.store.loadInstances(ids.slice(0, 6));
    for (const id of ids.slice(0, 5)) expect(rows.get(id)?.row.statusVersion).toBe(1n);
    expect(rows.get('f')?.row).toMatchObject({ statusVersion: 2n, phase: 'stopping' });
  });

  it('lets waiting streams go when it stops, whatever the backlog', async () => {
    h = await engineHarness('sqlite', { store: holdingWrites(() => new Promise(() => {})), maxBacklog: 2 });
    await seedInstances(h.store, ['a', 'b']);
    h.engine.status('eu-1', running('a', 1n));
    h.engine.status('eu-1', running('b', 1n));
    await vi.waitFor(() => expect(h?.engine.dirty).toBe(2));
    const relief = h.engine.backpressure();
    expect(relief).toBeDefined();
    await h.engine.stop();
    await expect(relief).resolves.toBeUndefined();
    expect(h.engine.backpressure()).toBeUndefined();
  });
});

describe('sync engine instance limit', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `i${String(i).padStart(2, '0')}`);

  /** The store, counting the instance rows read through it. */
  function countingReads(reads: string[]): (store: Store) => Store {
    return (store) =>
      overrideStore(store, 'loadInstances', (wanted) => {
        reads.push(...wanted);
        return store.loadInstances(wanted);
      });
  }

  it('forgets committed instances beyond its limit, longest held first, and reads them again', async () => {
    const reads: string[] = [];
    h = await engineHarness('sqlite', { store: countingReads(reads), maxInstances: 10 });
    const all = ids(25);
    await seedInstances(h.store, all);
    const engine = h.engine;
    for (const id of all) engine.status('eu-1', running(id, 1n));
    await engine.whenIdle();
    expect(engine.tracked).toBe(25);
    const stored = await h.store.loadInstances(['i00', 'i01']);
    const before = stored.get('i00')?.row;
    const i01Started = stored.get('i01')?.row.startedTime;
    expect(before?.startedTime).not.toBeNull();
    expect(i01Started).not.toBeNull();

    // The next stream status asks for flow control: nothing is in flight, so the engine forgets the
    // fifteen held longest (down to nine tenths of its limit) instead of holding the stream.
    expect(engine.backpressure()).toBeUndefined();
    expect(engine.tracked).toBe(9);
    expect(
      await metricValue(h.metrics, 'gitpod_ws_manager_bridge_instances_forgotten_total', { reason: 'limit' }),
    ).toBe(16);

    // A forgotten instance is read again: its stored row decides staleness and what is kept.
    reads.length = 0;
    engine.status('eu-1', running('i00', 1n));
    engine.status('eu-1', running('i01', 2n, WorkspacePhase.STOPPING));
    engine.status('eu-1', running('i24', 2n, WorkspacePhase.STOPPING));
    await engine.whenIdle();
    expect(reads.sort()).toEqual(['i00', 'i01']);
    expect(await metricValue(h.metrics, 'gitpod_ws_manager_bridge_stale_status_updates_total')).toBe(1);
    const rows = await h.store.loadInstances(['i00', 'i01', 'i24']);
    expect(rows.get('i00')?.row).toEqual(before);
    const i01 = rows.get('i01')?.row;
    expect(i01).toMatchObject({ statusVersion: 2n, phase: 'stopping' });
    expect(i01?.startedTime).toBe(i01Started);
    expect(i01?.stoppingTime).not.toBeNull();
    expect(rows.get('i24')?.row).toMatchObject({ statusVersion: 2n, phase: 'stopping' });
  });

  it('holds the streams while the instances beyond its limit are being written', async () => {
    const gate = deferred();
    h = await engineHarness('sqlite', { store: holdingWrites(() => gate.promise), maxInstances: 4 });
    const all = ids(6);
    await seedInstances(h.store, all);
    const engine = h.engine;
    for (const id of all) engine.status('eu-1', running(id, 1n));
    await vi.waitFor(() => expect(engine.dirty).toBe(6));

    // Six held, none of them committed: nothing can be forgotten, so the streams wait.
    let released = false;
    const relief = engine.backpressure();
    expect(relief).toBeDefined();
    void relief?.then(() => (released = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(released).toBe(false);
    expect(engine.tracked).toBe(6);

    gate.resolve();
    await relief;
    expect(engine.tracked).toBeLessThanOrEqual(4);
    await engine.whenIdle();
    const rows = await h.store.loadInstances(all);
    for (const id of all) expect(rows.get(id)?.row.statusVersion).toBe(1n);
    expect(engine.backpressure()).toBeUndefined();
  });
});
