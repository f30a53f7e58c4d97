/**
 * `npm run bench`: simulator (separate process) -> bridge (this process) -> database (+ Redis) over
 * loopback. Prints one JSON line per scenario and database: the median of every figure over RUNS
 * runs, each in a fresh process, with the runs' own figures beside it. Not part of `npm test`.
 *
 * Environment: BENCH_DBS=sqlite,postgres  BENCH_SCENARIOS=throughput,latency,memory,storm,replicas
 * BENCH_RUNS=3  BENCH_UPDATES=200000 (throughput)  BENCH_WORKSPACES=10000 (throughput, latency)
 * BENCH_MEMORY_WORKSPACES=100000  BENCH_REDIS=1 (publish to Redis when the services script provides it)
 * STORM_CLUSTERS=50  STORM_WORKSPACES=1000  BENCH_LATENCY_WARMUP_MS=2000  BENCH_NODE_FLAGS="--flag …"
 * BRIDGE_MAX_BACKLOG, BRIDGE_MAX_INSTANCES (the bridge's own settings, passed on).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createBridge, type Bridge } from '../src/bridge.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/observability/logger.js';
import type { SyncProbe } from '../src/sync/sync-engine.js';
import { measureCeiling, type Ceiling } from './ceiling.js';
import { LatencyProbe } from './latency-probe.js';
import { MachineLoad, machineInfo } from './machine.js';
import { replicasRun } from './replicas.js';
import { startServices } from './services.js';
import { startSimulator } from './simulator-process.js';
import { CommitCounter, runStorm, startStormClusters } from './storm.js';
import { summarise } from './summary.js';

type Db = 'sqlite' | 'postgres';

interface Scenario {
  name: 'throughput' | 'latency' | 'memory' | 'storm';
  workspaces: number;
  /** Updates per second the simulator emits; 0 as fast as the bridge takes them. */
  rate: number;
  updates: number;
}

const env = process.env;
const DEFAULT_SCENARIOS = 'throughput,latency,memory,storm,replicas';
const WANTED = (env.BENCH_SCENARIOS ?? DEFAULT_SCENARIOS).split(',');
const WORKSPACES = Number(env.BENCH_WORKSPACES ?? 10_000);
const MEMORY_WORKSPACES = Number(env.BENCH_MEMORY_WORKSPACES ?? 100_000);
const SCENARIOS: Scenario[] = (
  [
    { name: 'throughput', workspaces: WORKSPACES, rate: 0, updates: Number(env.BENCH_UPDATES ?? 200_000) },
    { name: 'latency', workspaces: WORKSPACES, rate: 1000, updates: 20_000 },
    // Every instance goes PENDING … RUNNING and then reports its first user activity: at the end
    // MEMORY_WORKSPACES instances run, each updated five times.
    { name: 'memory', workspaces: MEMORY_WORKSPACES, rate: 0, updates: 5 * MEMORY_WORKSPACES },
    { name: 'storm', workspaces: 10_000, rate: 0, updates: 0 },
  ] satisfies Scenario[]
).filter((s) => WANTED.includes(s.name));
/** Replica runs need PostgreSQL; one run each (every run kills a replica and waits for a failover). */
const REPLICAS = WANTED.includes('replicas');
const DBS = (env.BENCH_DBS ?? 'sqlite,postgres').split(',') as Db[];
const RUNS = Math.max(1, Number(env.BENCH_RUNS ?? 3));
/** Flags for the `node` of each measured run, e.g. `--heap-growing-percent=30`. */
const NODE_FLAGS = (env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
/** `latency`: statuses committed this long after the first one arrived are not counted in p50/p99. */
const LATENCY_WARMUP_MS = Number(env.BENCH_LATENCY_WARMUP_MS ?? 2000);

async function database(db: Db, pgAdmin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'wsb-bench-'));
    return {
      url: `sqlite:${join(dir, 'bench.db')}`,
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const name = `bench_${randomBytes(4).toString('hex')}`;
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

async function openBridge(
  url: string,
  clusters: string[],
  probe: SyncProbe,
  redisUrl?: string,
): Promise<Bridge> {
  const config = loadConfig(
    {
      databaseUrl: url,
      redisUrl,
      clusters,
      allowPlaintextClusters: true,
      adoptUnknown: true,
      demo: false,
      clusterServiceAddr: '127.0.0.1:0',
    },
    // The settings a run may take from the environment: the limits of the backlog and of the instances held.
    { BRIDGE_MAX_BACKLOG: env.BRIDGE_MAX_BACKLOG, BRIDGE_MAX_INSTANCES: env.BRIDGE_MAX_INSTANCES },
  );
  return createBridge(config, { logger: silentLogger(), probe, http: false });
}

/**
 * Peak RSS and heap of this process while it runs, and where the bridge's queues stood at the heap
 * peak: instances held, writes not yet committed, notifications not yet delivered.
 */
function memoryPeaks(bridge: Bridge): { stop: () => Record<string, number> } {
  let rss = 0;
  let heap = 0;
  let heapTotal = 0;
  let external = 0;
  let atPeak = { tracked: 0, dirty: 0, pending: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heapTotal = Math.max(heapTotal, m.heapTotal);
    external = Math.max(external, m.external);
    if (m.heapUsed <= heap) return;
    heap = m.heapUsed;
    atPeak = { tracked: bridge.engine.tracked, dirty: bridge.engine.dirty, pending: bridge.notifier.pending };
  };
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return {
        rss_mb: Math.round(rss / 2 ** 20),
        heap_mb: Math.round(heap / 2 ** 20),
        heap_total_mb: Math.round(heapTotal / 2 ** 20),
        external_mb: Math.round(external / 2 ** 20),
        peak_tracked: atPeak.tracked,
        peak_dirty: atPeak.dirty,
        peak_notifications: atPeak.pending,
      };
    },
  };
}

async function batchFigures(bridge: Bridge): Promise<Record<string, number>> {
  const values = (await bridge.metrics.dbBatchRows.get()).values;
  const sum = values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const sumOf = async (metric: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> =>
    (await metric.get()).values.reduce((total, v) => total + v.value, 0);
  return {
    batches: count,
    rows_per_batch: count > 0 ? Math.round(sum / count) : 0,
    // Times the streams paused for a full backlog, and for how long in all.
    stream_holds: await sumOf(bridge.metrics.clusterStreamHoldsTotal),
    stream_held_s: Number((await sumOf(bridge.metrics.clusterStreamHeldSeconds)).toFixed(2)),
  };
}

/** One streaming run: the simulator drives `s`, the bridge writes it. */
async function streamRun(
  s: Scenario,
  db: Db,
  urls: Record<string, string>,
): Promise<Record<string, unknown>> {
  const target = await database(db, urls.WSB_PG_URL ?? '');
  const sim = await startSimulator(s);
  const redisUrl = env.BENCH_REDIS === '0' ? undefined : urls.WSB_REDIS_URL;
  const warmupMs = s.name === 'latency' ? LATENCY_WARMUP_MS : 0;
  const probe = new LatencyProbe(warmupMs);
  const bridge = await openBridge(target.url, [`bench=127.0.0.1:${sim.port}`], probe.probe, redisUrl);
  const machine = new MachineLoad();
  const peaks = memoryPeaks(bridge);
  const cpuBefore = process.cpuUsage();
  const simCpuBefore = sim.cpuSeconds();
  await bridge.start();
  const { emitted } = await sim.finished;
  // The simulator may finish with statuses still queued for the stream: wait until all arrived.
  const deadline = performance.now() + 120_000;
  while (probe.received < emitted && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await bridge.engine.whenIdle();
  const cpu = process.cpuUsage(cpuBefore);
  const simCpu = sim.cpuSeconds() - simCpuBefore;
  const memory = peaks.stop();
  const bridgeCpu = (cpu.user + cpu.system) / 1e6;
  const load = machine.report(bridgeCpu + simCpu);
  const tracked = bridge.engine.tracked;
  const batches = await batchFigures(bridge);
  await bridge.stop();
  sim.kill();
  await target.drop();
  const seconds = (probe.lastCommittedAt - probe.firstReceivedAt) / 1000;
  return {
    live_instances: s.workspaces,
    target_rate: s.rate || 'max',
    updates: probe.received,
    seconds: Number(seconds.toFixed(2)),
    updates_per_s: Math.round(probe.received / seconds),
    p50_ms: Number(probe.percentile(50).toFixed(2)),
    p99_ms: Number(probe.percentile(99).toFixed(2)),
    ...(warmupMs > 0 && {
      warmup_ms: warmupMs,
      p99_with_warmup_ms: Number(probe.percentile(99, true).toFixed(2)),
    }),
    ...memory,
    tracked_at_end: tracked,
    bridge_cpu_s: bridgeCpu,
    simulator_cpu_s: simCpu,
    ...batches,
    ...load,
  };
}

async function stormRun(db: Db, urls: Record<string, string>): Promise<Record<string, unknown>> {
  const target = await database(db, urls.WSB_PG_URL ?? '');
  const clusters = await startStormClusters();
  const redisUrl = env.BENCH_REDIS === '0' ? undefined : urls.WSB_REDIS_URL;
  const counter = new CommitCounter();
  const names = clusters.ports.map((port, i) => `storm${i + 1}=127.0.0.1:${port}`);
  const bridge = await openBridge(target.url, names, counter.probe, redisUrl);
  try {
    const peaks = memoryPeaks(bridge);
    await bridge.start();
    return { ...(await runStorm(bridge, clusters, counter)), ...peaks.stop() };
  } finally {
    await bridge.stop();
    clusters.kill();
    await target.drop();
  }
}

/** One run of a scenario (in this process): the simulator's ceiling first, then the bridge. */
async function runScenario(
  s: Scenario,
  db: Db,
  urls: Record<string, string>,
): Promise<Record<string, unknown>> {
  const ceiling: Ceiling = await measureCeiling(s.workspaces);
  const run = s.name === 'storm' ? await stormRun(db, urls) : await streamRun(s, db, urls);
  const cpuUs = (1e6 * Number(run.bridge_cpu_s)) / Number(run.updates);
  const bridgeCeiling = 1e6 / cpuUs;
  return {
    scenario: s.name,
    db,
    redis: env.BENCH_REDIS !== '0',
    ...run,
    bridge_cpu_s: Number(Number(run.bridge_cpu_s).toFixed(2)),
    simulator_cpu_s: Number(Number(run.simulator_cpu_s).toFixed(2)),
    bridge_cpu_us_per_update: Number(cpuUs.toFixed(1)),
    bridge_ceiling_per_s: Math.round(bridgeCeiling),
    ...ceiling,
    ceiling_ratio: Number((bridgeCeiling / ceiling.simulator_ceiling_per_s).toFixed(2)),
    ...machineInfo(),
  };
}

/**
 * Compiles the bridge and this harness to JavaScript (`bench/tsconfig.bench.json`), so that measured
 * runs execute the bridge as production does, without a TypeScript loader in the process (tsx adds
 * about 50 MB of RSS and a thread of its own). Returns the compiled entry point.
 */
function compiled(): string {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'bench/tsconfig.bench.json'], {
    stdio: 'inherit',
  });
  return 'node_modules/.cache/wsb-bench/bench/run.js';
}

/** One run in a fresh process, so that memory figures belong to that run alone. */
function runInChild(entry: string, scenario: Scenario, db: Db): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [...NODE_FLAGS, entry, '--one', scenario.name, db], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as Record<string, unknown>);
      else reject(new Error(`benchmark run ${scenario.name}/${db} failed (exit ${code})`));
    });
  });
}

const urls = startServices();
if (process.argv[2] === '--one') {
  const scenario = SCENARIOS.find((s) => s.name === process.argv[3]);
  if (!scenario) throw new Error(`unknown scenario ${process.argv[3]}`);
  process.stdout.write(`${JSON.stringify(await runScenario(scenario, process.argv[4] as Db, urls))}\n`);
} else {
  const entry = SCENARIOS.length > 0 ? compiled() : '';
  for (const db of DBS) {
    for (const scenario of SCENARIOS) {
      const runs: Record<string, unknown>[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await runInChild(entry, scenario, db));
      process.stdout.write(`${JSON.stringify(summarise(runs))}\n`);
    }
  }
  if (REPLICAS) {
    const redisUrl = env.BENCH_REDIS === '0' ? undefined : urls.WSB_REDIS_URL;
    for (const count of [1, 3]) {
      const target = await database('postgres', urls.WSB_PG_URL ?? '');
      process.stdout.write(`${JSON.stringify(await replicasRun(count, target, redisUrl))}\n`);
    }
  }
}
