/**
 * The bridge's pipeline without the network, for judging a change by CPU rather than by wall time on
 * a busy machine: statuses of a simulated load (10,000 live workspaces through whole lifecycles, as
 * `npm run bench` streams them) are generated and encoded up front, then decoded and fed to a real
 * bridge (`createBridge`: engine, store, notifier, Redis and outbox) in bursts, and this process's CPU
 * per status is printed. gRPC receive is left out; everything after it is in.
 *
 *   node --import tsx bench/pipeline.ts [sqlite|postgres] [updates]
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --import tsx bench/pipeline.ts sqlite 20000
 *
 * Environment: PIPELINE_BURST=1000 (statuses per event-loop turn), BENCH_REDIS=0 (no Redis, no outbox),
 * PIPELINE_PROFILE=FILE (a CPU profile of the feeding alone, for bench/profile-split.ts),
 * PIPELINE_HEAP_PROFILE=FILE (a sampling profile of every allocation made while feeding, collected
 * or not: where the garbage comes from).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createBridge } from '../src/bridge.js';
import { loadConfig } from '../src/config/load-config.js';
import { SubscribeResponse, type WorkspaceStatus } from '../src/generated/wsman/core.js';
import { silentLogger } from '../src/observability/logger.js';
import { createTemplate, nextStep, statusAt, type LifecycleStep } from '../src/wsman/simulator/index.js';
import { createTenants, syntheticRequest } from '../src/wsman/simulator/synthetic-request.js';
import type { WorkspaceTemplate } from '../src/wsman/simulator/workspace-status.js';
import { decodeSubscribeResponse } from '../src/wsman/status-decoder.js';
import { unusedPort } from '../test/helpers/tcp-proxy.js';
import { machineInfo } from './machine.js';
import { startServices } from './services.js';

const DB = process.argv[2] ?? 'sqlite';
const UPDATES = Number(process.argv[3] ?? 100_000);
const WORKSPACES = 10_000;
const BURST = Number(process.env.PIPELINE_BURST ?? 1000);

interface Slot {
  template: WorkspaceTemplate;
  step: LifecycleStep;
  status: WorkspaceStatus | undefined;
}

/** The load driver's order: round-robin over the slots, a stopped workspace replaced by a new one. */
function encodedLoad(): Buffer[] {
  const tenants = createTenants(WORKSPACES / 4);
  const slots: (Slot | undefined)[] = new Array<Slot | undefined>(WORKSPACES).fill(undefined);
  let version = 2n ** 32n;
  let started = 0;
  const out: Buffer[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const at = i % WORKSPACES;
    let slot = slots[at];
    const next: LifecycleStep | undefined = slot
      ? (nextStep(slot.step, { stopRequested: slot.step === 'active', failed: false, headless: false }) ??
        undefined)
      : 'pending';
    if (!slot || next === undefined) {
      const request = syntheticRequest(started, tenants);
      const template = createTemplate({
        request,
        domain: 'ws.sim.test',
        defaultClass: 'g1-standard',
        ownerToken: randomBytes(24).toString('base64url'),
        startedAt: new Date(),
        seed: started++,
      });
      slot = { template, step: 'pending', status: undefined };
      slots[at] = slot;
    } else {
      slot.step = next;
    }
    const stop = { byRequest: slot.step === 'stopping' || slot.step === 'stopped', aborted: false };
    slot.status = statusAt(slot.template, slot.status, {
      step: slot.step,
      version: ++version,
      now: new Date(),
      stop,
    });
    out.push(Buffer.from(SubscribeResponse.encode({ status: slot.status, header: {} }).finish()));
  }
  return out;
}

async function databaseUrl(pgAdmin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (DB === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'wsb-pipeline-'));
    return {
      url: `sqlite:${join(dir, 'p.db')}`,
      drop: () => Promise.resolve(rmSync(dir, { recursive: true })),
    };
  }
  const name = `pipeline_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: pgAdmin });
    await c.connect();
    await c.query(sql).finally(() => c.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(pgAdmin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

const services = startServices();

const load = encodedLoad();
const target = await databaseUrl(services.WSB_PG_URL ?? '');
// The statuses are fed as the cluster 'bench'. It is configured (at an address where nothing
// answers: its stream only retries) so that on PostgreSQL this replica takes the cluster's lease;
// without it every write would be fenced and nothing written.
const config = loadConfig(
  {
    databaseUrl: target.url,
    redisUrl: process.env.BENCH_REDIS === '0' ? undefined : services.WSB_REDIS_URL,
    clusters: [`bench=127.0.0.1:${await unusedPort()}`],
    allowPlaintextClusters: true,
    adoptUnknown: true,
    demo: false,
    clusterServiceAddr: '127.0.0.1:0',
  },
  {},
);
const bridge = await createBridge(config, { logger: silentLogger(), http: false });
await bridge.start();
const leaseWait = performance.now() + 30_000;
while (bridge.ownership.leases && !bridge.ownership.leases.owned().includes('bench')) {
  if (performance.now() > leaseWait) throw new Error("the bridge did not take the lease of cluster 'bench'");
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const profiler = process.env.PIPELINE_PROFILE ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const heapProfiler = process.env.PIPELINE_HEAP_PROFILE ? new Session() : undefined;
if (heapProfiler) {
  heapProfiler.connect();
  await heapProfiler.post('HeapProfiler.enable');
  await heapProfiler.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < load.length; i += BURST) {
  for (const bytes of load.slice(i, i + BURST)) {
    bridge.engine.status('bench', decodeSubscribeResponse(bytes).status as WorkspaceStatus);
  }
  await new Promise((resolve) => setImmediate(resolve));
}
await bridge.engine.whenIdle();
// Notifications are part of the work: wait until they are delivered too.
while (bridge.notifier.pending > 0) await new Promise((resolve) => setTimeout(resolve, 1));
const used = process.cpuUsage(cpu);
const seconds = (performance.now() - started) / 1000;
if (profiler) {
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(process.env.PIPELINE_PROFILE as string, JSON.stringify(profile));
}
if (heapProfiler) {
  const { profile } = await heapProfiler.post('HeapProfiler.stopSampling');
  writeFileSync(process.env.PIPELINE_HEAP_PROFILE as string, JSON.stringify(profile));
}
await bridge.stop();
await target.drop();
console.log(
  JSON.stringify({
    bench: 'pipeline',
    db: DB,
    redis: process.env.BENCH_REDIS !== '0',
    updates: UPDATES,
    burst: BURST,
    cpu_us_per_update: Number(((used.user + used.system) / UPDATES).toFixed(1)),
    user_us: Number((used.user / UPDATES).toFixed(1)),
    system_us: Number((used.system / UPDATES).toFixed(1)),
    updates_per_s: Math.round(UPDATES / seconds),
    ...machineInfo(),
  }),
);
