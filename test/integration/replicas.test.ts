/**
 * Several bridge processes on one real PostgreSQL, sharing simulated clusters through leases: one
 * stream per cluster, failover after SIGKILL, handover on SIGTERM, fencing of a replica frozen with
 * SIGSTOP, rebalancing when a replica comes back, and cluster changes seen by every replica. Every
 * replica is a real `serve` process; the simulated ws-managers run in this process.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StartWorkspaceRequest, WorkspacePhase } from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { mapPhase } from '../../src/sync/status-mapping.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { BridgeProcess } from '../helpers/bridge-process.js';
import { ApiClient } from '../helpers/cluster-service-harness.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import { runSql } from '../helpers/sql.js';

/** Short leases keep failover within seconds; renewals run every second. */
const LEASE_SECONDS = 3;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface World {
  db: TestDatabase;
  store: Store;
  sims: Map<string, SimulatedWsManager>;
  flags: string[];
  replicas: Map<string, BridgeProcess>;
}

interface LeaseView {
  name: string;
  holder: string;
  epoch: string;
  expires_at: Date;
  acquired_at: Date;
}

async function world(clusters: number): Promise<World> {
  const db = await createTestDatabase('postgres');
  cleanups.push(() => db.drop());
  const store = await openStore(db.url, { logger: silentLogger() });
  await store.migrate();
  cleanups.push(() => store.close());
  const sims = new Map<string, SimulatedWsManager>();
  const flags: string[] = [];
  for (let i = 1; i <= clusters; i++) {
    const sim = new SimulatedWsManager({ retainStoppedMs: 600_000 });
    const port = await sim.listen(0, '127.0.0.1');
    cleanups.push(() => sim.close());
    sims.set(`sim${i}`, sim);
    flags.push('--cluster', `sim${i}=127.0.0.1:${port}`);
  }
  return { db, store, sims, flags, replicas: new Map() };
}

function startReplica(w: World, id: string, env: Record<string, string> = {}): BridgeProcess {
  const replica = BridgeProcess.start(
    ['--allow-plaintext-clusters', '--adopt-unknown', '--no-demo', ...w.flags],
    {
      DATABASE_URL: w.db.url,
      BRIDGE_REPLICA_ID: id,
      CLUSTER_LEASE_SECONDS: String(LEASE_SECONDS),
      CONTROLLER_INTERVAL_SECONDS: '3600',
      ...env,
    },
  );
  w.replicas.set(id, replica);
  cleanups.push(() => replica.kill());
  return replica;
}

async function leases(w: World): Promise<LeaseView[]> {
  return runSql<LeaseView>(
    w.db,
    'SELECT cluster_name AS name, holder, epoch::text AS epoch, expires_at, acquired_at FROM cluster_leases ORDER BY cluster_name',
  );
}

/** Leases by holder: the simulated clusters and the installation's own (`default`). */
async function spread(w: World): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const l of await leases(w)) out.set(l.holder, [...(out.get(l.holder) ?? []), l.name].sort());
  return out;
}

/** How many leases each holder has, smallest first. */
async function counts(w: World): Promise<number[]> {
  return [...(await spread(w)).values()].map((names) => names.length).sort();
}

/** The last log lines of every replica, to explain a failed wait. */
function recentLogs(w: World): string {
  return [...w.replicas]
    .map(
      ([id, r]) =>
        `${id}: ${r.logs
          .slice(-12)
          .map((e) => `${String(e.msg)} ${typeof e.cluster === 'string' ? e.cluster : ''}`)
          .join(' | ')}`,
    )
    .join(' || ');
}

/**
 * Waits until every simulated cluster has a lease held by one of `running` and, with `streams`, a
 * stream (a frozen replica's connection stays open, so its streams are not counted then).
 */
async function waitForOneStreamEach(
  w: World,
  running: readonly string[],
  streams: 'exactly one' | 'at least one' = 'exactly one',
): Promise<void> {
  await vi.waitFor(
    async () => {
      for (const [name, sim] of w.sims) {
        const context = `${name}; recent logs: ${recentLogs(w)}`;
        if (streams === 'exactly one') expect(sim.subscriberCount, context).toBe(1);
        else expect(sim.subscriberCount, context).toBeGreaterThanOrEqual(1);
      }
      const held = await leases(w);
      for (const name of w.sims.keys()) {
        expect(running, name).toContain(held.find((l) => l.name === name)?.holder);
      }
    },
    { timeout: 30_000, interval: 100 },
  );
}

/** The database agrees with every simulator on every instance (phase and version). */
async function expectDatabaseEqualsTruth(w: World): Promise<void> {
  await vi.waitFor(
    async () => {
      for (const sim of w.sims.values()) {
        const truth = sim.truth();
        const rows = await w.store.loadInstances(truth.map((t) => t.id));
        for (const t of truth) {
          expect(rows.get(t.id)?.row.phase, t.id).toBe(mapPhase(t.phase) ?? 'unknown');
          expect(rows.get(t.id)?.row.statusVersion, t.id).toBe(t.statusVersion);
        }
      }
    },
    { timeout: 30_000, interval: 200 },
  );
}

function startLoads(w: World, rate: number): () => Promise<void> {
  const abort = new AbortController();
  const runs = [...w.sims.values()].map((sim) =>
    sim.runLoad({ workspaces: 50, updatesPerSecond: rate, signal: abort.signal }),
  );
  return async () => {
    abort.abort();
    await Promise.all(runs);
  };
}

const describePostgres = DATABASES.includes('postgres') ? describe : describe.skip;

describePostgres('replicas on one PostgreSQL', { timeout: 120_000 }, () => {
  it('stream each cluster exactly once, evenly spread, and hold steady', async () => {
    const w = await world(6);
    // Longer leases than the failover tests: a steady spread must not depend on renewals landing
    // within a second on a loaded machine.
    const leaseSeconds = 6;
    for (const id of ['r1', 'r2', 'r3']) startReplica(w, id, { CLUSTER_LEASE_SECONDS: String(leaseSeconds) });
    await Promise.all([...w.replicas.values()].map((r) => r.running()));
    await waitForOneStreamEach(w, ['r1', 'r2', 'r3']);
    // Seven leases (six clusters and the installation) over three replicas.
    await vi.waitFor(async () => expect(await counts(w)).toEqual([2, 2, 3]), {
      timeout: 30_000,
      interval: 100,
    });
    // The spread is settled once the last lease taken is streamed too: the lease row changes holder
    // before the new holder's stream is up (found on a loaded machine: a gap of one cluster).
    await waitForOneStreamEach(w, ['r1', 'r2', 'r3']);
    const before = await leases(w);
    // Two lease periods: nothing moves and no cluster is ever streamed twice or not at all.
    const until = Date.now() + 2 * leaseSeconds * 1000;
    while (Date.now() < until) {
      for (const [name, sim] of w.sims) {
        const streams = sim.subscriberCount;
        expect(streams, streams === 1 ? name : `${name}; recent logs: ${recentLogs(w)}`).toBe(1);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = await leases(w);
    expect(after.map((l) => [l.name, l.holder, l.epoch])).toEqual(
      before.map((l) => [l.name, l.holder, l.epoch]),
    );
  });

  it('takes over the clusters of a replica killed in the middle of a load, losing nothing', async () => {
    const w = await world(6);
    for (const id of ['r1', 'r2', 'r3']) startReplica(w, id);
    await Promise.all([...w.replicas.values()].map((r) => r.running()));
    await waitForOneStreamEach(w, ['r1', 'r2', 'r3']);
    const stopLoads = startLoads(w, 200);
    await vi.waitFor(async () => expect((await w.store.countInstancesByPhase()).size).toBeGreaterThan(2), {
      timeout: 20_000,
      interval: 50,
    });
    const byHolder = await spread(w);
    const [victim, held] = [...byHolder.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    const lost = (held ?? []).filter((name) => w.sims.has(name));
    expect(victim).toBeDefined();
    await w.replicas.get(victim as string)?.kill();
    const survivors = ['r1', 'r2', 'r3'].filter((r) => r !== victim);
    await waitForOneStreamEach(w, survivors);
    const taken = await leases(w);
    for (const name of lost) expect(survivors).toContain(taken.find((l) => l.name === name)?.holder);
    await stopLoads();
    await expectDatabaseEqualsTruth(w);
  });

  it('hands its leases over on SIGTERM before they expire', async () => {
    const w = await world(4);
    for (const id of ['r1', 'r2']) startReplica(w, id, { CLUSTER_LEASE_SECONDS: '20' });
    await Promise.all([...w.replicas.values()].map((r) => r.running()));
    await waitForOneStreamEach(w, ['r1', 'r2']);
    // Both hold some once the spread evened out (five leases: four clusters and the installation).
    await vi.waitFor(async () => expect(await counts(w)).toEqual([2, 3]), { timeout: 30_000, interval: 100 });
    const before = await leases(w);
    const leaving = before.filter((l) => l.holder === 'r1');
    expect(leaving.length).toBeGreaterThan(0);
    const r1 = w.replicas.get('r1') as BridgeProcess;
    r1.signal('SIGTERM');
    expect(await r1.exited).toBe(0);
    await waitForOneStreamEach(w, ['r2']);
    await vi.waitFor(async () => expect(await counts(w)).toEqual([5]), { timeout: 30_000, interval: 100 });
    const after = await leases(w);
    for (const old of leaving) {
      const now = after.find((l) => l.name === old.name);
      expect(now?.holder).toBe('r2');
      // Taken while the old lease would still have run for most of its 20 s.
      expect(now?.acquired_at.getTime()).toBeLessThan(old.expires_at.getTime());
    }
  });

  it('a replica frozen past its lease commits nothing for the clusters it lost', async () => {
    const w = await world(2);
    startReplica(w, 'r1');
    await w.replicas.get('r1')?.running();
    await waitForOneStreamEach(w, ['r1']);
    startReplica(w, 'r2');
    await w.replicas.get('r2')?.running();
    const stopLoads = startLoads(w, 300);
    await vi.waitFor(async () => expect((await w.store.countInstancesByPhase()).size).toBeGreaterThan(2), {
      timeout: 20_000,
      interval: 50,
    });
    const r1 = w.replicas.get('r1') as BridgeProcess;
    r1.signal('SIGSTOP');
    // r2 takes everything once r1's leases expire, and resyncs.
    await waitForOneStreamEach(w, ['r2'], 'at least one');
    await stopLoads();
    await expectDatabaseEqualsTruth(w);
    const written = await runSql(
      w.db,
      'SELECT id, status_version::text, updated_at, phase FROM workspace_instances ORDER BY id',
    );
    r1.signal('SIGCONT');
    // Woken, r1 first finds its leases overdue and gives them up; whatever it still held in memory
    // (statuses read before the freeze, a batch already built) must not land.
    await r1.waitForLog((e) => e.msg === 'lost cluster lease; stopping its stream and controller');
    const { httpPort } = await r1.running();
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/gitpod_ws_manager_bridge_cluster_lease_held/);
    // Once it takes a lease again (r2 hands one back), its loop has long dealt with what it held.
    await r1.waitForLog((e) => e.msg === 'took cluster lease' && (e.epoch as string) !== '1');
    await waitForOneStreamEach(w, ['r1', 'r2']);
    expect(
      await runSql(
        w.db,
        'SELECT id, status_version::text, updated_at, phase FROM workspace_instances ORDER BY id',
      ),
    ).toEqual(written);
    await expectDatabaseEqualsTruth(w);
  });

  it('a replica that comes back gets its share without any cluster streamed twice', async () => {
    const w = await world(6);
    for (const id of ['r1', 'r2', 'r3']) startReplica(w, id);
    await Promise.all([...w.replicas.values()].map((r) => r.running()));
    await waitForOneStreamEach(w, ['r1', 'r2', 'r3']);
    const r3 = w.replicas.get('r3') as BridgeProcess;
    r3.signal('SIGTERM');
    await r3.exited;
    await waitForOneStreamEach(w, ['r1', 'r2']);
    startReplica(w, 'r3');
    let doubled = false;
    const watch = setInterval(() => {
      for (const sim of w.sims.values()) if (sim.subscriberCount > 1) doubled = true;
    }, 20);
    cleanups.push(() => Promise.resolve(clearInterval(watch)));
    await vi.waitFor(async () => expect(await counts(w)).toEqual([2, 2, 3]), {
      timeout: 30_000,
      interval: 100,
    });
    await waitForOneStreamEach(w, ['r1', 'r2', 'r3']);
    clearInterval(watch);
    expect(doubled).toBe(false);
  });

  it('sees clusters registered on any replica at once, and deregisters with force from a non-holder', async () => {
    const w = await world(0);
    for (const id of ['r1', 'r2']) startReplica(w, id, { WS_CLUSTER_DB_RECONCILE_INTERVAL_SECONDS: '3600' });
    const [p1, p2] = await Promise.all([...w.replicas.values()].map((r) => r.running()));
    const sim = new SimulatedWsManager({ manual: true, retainStoppedMs: 600_000 });
    const port = await sim.listen(0, '127.0.0.1');
    cleanups.push(() => sim.close());
    const api1 = new ApiClient(`127.0.0.1:${p1?.clusterServicePort}`);
    const api2 = new ApiClient(`127.0.0.1:${p2?.clusterServicePort}`);
    cleanups.push(() => Promise.resolve([api1, api2].forEach((api) => api.close())));
    await api1.register({ name: 'late', url: `127.0.0.1:${port}` });
    // Only a change notification can tell the other replica: its periodic reconcile is an hour away.
    await vi.waitFor(() => expect(sim.subscriberCount).toBe(1), { timeout: 10_000 });
    const listed = await api2.list();
    const holder = listed.find((c) => c.name === 'late')?.leaseHolder;
    expect(['r1', 'r2']).toContain(holder);
    sim.startWorkspace(
      StartWorkspaceRequest.fromPartial({
        id: 'late-1',
        servicePrefix: 'late-1',
        metadata: { owner: 'u', metaId: 'ws-late-1' },
        spec: {},
      }),
    );
    for (let i = 0; i < 3; i++) sim.advance('late-1');
    await vi.waitFor(async () =>
      expect((await w.store.loadInstances(['late-1'])).get('late-1')?.row.phase).toBe('running'),
    );
    // Ask the replica that does NOT stream the cluster.
    const other = holder === 'r1' ? api2 : api1;
    await other.deregister('late', true);
    const row = (await w.store.loadInstances(['late-1'])).get('late-1')?.row;
    expect(row?.phase).toBe('stopped');
    expect(await w.store.getCluster('late')).toBeUndefined();
    await vi.waitFor(() => expect(sim.subscriberCount).toBe(0), { timeout: 10_000 });
    expect(sim.truth().find((t) => t.id === 'late-1')?.phase).toBe(WorkspacePhase.RUNNING);
  });
});

describe('SQLite', () => {
  it('refuses a second bridge on the same file, naming the one that runs', async () => {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    const first = BridgeProcess.start(['--allow-plaintext-clusters', '--no-demo'], {
      DATABASE_URL: db.url,
      BRIDGE_REPLICA_ID: 'first',
    });
    cleanups.push(() => first.kill());
    await first.running();
    const second = BridgeProcess.start(['--allow-plaintext-clusters', '--no-demo'], {
      DATABASE_URL: db.url,
      BRIDGE_REPLICA_ID: 'second',
    });
    cleanups.push(() => second.kill());
    expect(await second.exited).not.toBe(0);
    expect(second.stderr).toMatch(/in use by another ws-manager-bridge \(first/);
    // A start that failed is not reported as a clean stop.
    expect(second.logs.some((e) => e.msg === 'ws-manager-bridge stopped')).toBe(false);
    expect(second.logs.some((e) => e.msg === 'ws-manager-bridge stopped after a failed start')).toBe(true);
  });
});
