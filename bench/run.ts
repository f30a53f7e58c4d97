/**
 * `npm run bench`: simulator (separate process) -> bridge (this process) -> database (+ Redis) over
 * loopback. Prints one JSON line per scenario and database. Not part of `npm test`.
 *
 * Environment: BENCH_DBS=sqlite,postgres  BENCH_SCENARIOS=throughput,latency,replicas  BENCH_UPDATES=200000
 * BENCH_RUNS=3 (the median run is printed, with every run's rate and p99)
 * BENCH_WORKSPACES=10000  BENCH_REDIS=1 (publish to Redis when the services script provides it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createBridge } from '../src/bridge.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/observability/logger.js';
import { LatencyProbe } from './latency-probe.js';
import { replicasRun } from './replicas.js';

type Db = 'sqlite' | 'postgres';

interface Scenario {
  name: string;
  workspaces: number;
  rate: number;
  updates: number;
}

const env = process.env;
const DEFAULT_SCENARIOS = 'throughput,latency,replicas';
const WORKSPACES = Number(env.BENCH_WORKSPACES ?? 10_000);
const SCENARIOS: Scenario[] = [
  { name: 'throughput', workspaces: WORKSPACES, rate: 0, updates: Number(env.BENCH_UPDATES ?? 200_000) },
  {
    name: 'latency',
    workspaces: WORKSPACES,
    rate: 1000,
    updates: Number(env.BENCH_LATENCY_UPDATES ?? 20_000),
  },
].filter((s) => (env.BENCH_SCENARIOS ?? DEFAULT_SCENARIOS).split(',').includes(s.name));
/** Replica runs need PostgreSQL; one run each (every run kills a replica and waits for a failover). */
const REPLICAS = (env.BENCH_SCENARIOS ?? DEFAULT_SCENARIOS).split(',').includes('replicas');
const DBS = (env.BENCH_DBS ?? 'sqlite,postgres').split(',') as Db[];

function services(): Record<string, string> {
  const out = execFileSync('scripts/services.sh', ['start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

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

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function startSimulator(
  s: Scenario,
): Promise<{ child: ChildProcess; port: number; finished: Promise<void> }> {
  const args = [
    '--import',
    'tsx',
    'src/main.ts',
    'simulate',
    '--port',
    '0',
    '--workspaces',
    String(s.workspaces),
  ];
  args.push(
    '--rate',
    String(s.rate),
    '--updates',
    String(s.updates),
    '--stamp-emit-time',
    '--wait-subscribers',
    '1',
  );
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...env, LOG_LEVEL: 'warn' },
  });
  return new Promise((resolve, reject) => {
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => (finish = r));
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; port?: number };
      if (event.event === 'listening') resolve({ child, port: event.port as number, finished });
      if (event.event === 'load-finished') finish();
    });
  });
}

async function runScenario(
  s: Scenario,
  db: Db,
  urls: Record<string, string>,
): Promise<Record<string, unknown>> {
  const target = await database(db, urls.WSB_PG_URL ?? '');
  const sim = await startSimulator(s);
  const redisUrl = env.BENCH_REDIS === '0' ? undefined : urls.WSB_REDIS_URL;
  const config = loadConfig(
    {
      databaseUrl: target.url,
      redisUrl,
      clusters: [`bench=127.0.0.1:${sim.port}`],
      allowPlaintextClusters: true,
      adoptUnknown: true,
      demo: false,
      clusterServiceAddr: '127.0.0.1:0',
    },
    {},
  );
  const probe = new LatencyProbe();
  const bridge = await createBridge(config, { logger: silentLogger(), probe: probe.probe, http: false });
  let rss = 0;
  const rssTimer = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 250);
  const cpuBefore = process.cpuUsage();
  await bridge.start();
  await sim.finished;
  await bridge.engine.whenIdle();
  const cpu = process.cpuUsage(cpuBefore);
  const simCpu = cpuSecondsOf(sim.child.pid as number);
  clearInterval(rssTimer);
  await bridge.stop();
  sim.child.removeAllListeners('exit');
  sim.child.kill('SIGTERM');
  await target.drop();
  const seconds = (probe.lastCommittedAt - probe.firstReceivedAt) / 1000;
  return {
    scenario: s.name,
    db,
    redis: Boolean(redisUrl),
    live_instances: s.workspaces,
    target_rate: s.rate || 'max',
    updates: probe.received,
    seconds: Number(seconds.toFixed(2)),
    updates_per_s: Math.round(probe.received / seconds),
    p50_ms: Number(probe.percentile(50).toFixed(2)),
    p99_ms: Number(probe.percentile(99).toFixed(2)),
    rss_mb: Math.round(rss / 1024 / 1024),
    bridge_cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
    simulator_cpu_s: Number(simCpu.toFixed(1)),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
  };
}

const RUNS = Math.max(1, Number(env.BENCH_RUNS ?? 3));

/** One run in a fresh process, so that memory figures belong to that run alone. */
function runInChild(scenario: Scenario, db: Db): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--one', scenario.name, db], {
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

/** Runs a scenario RUNS times and reports the median run (by rate, or by p99 for latency) with the spread. */
async function measured(scenario: Scenario, db: Db): Promise<Record<string, unknown>> {
  const results: Record<string, unknown>[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await runInChild(scenario, db));
  const key = scenario.rate === 0 ? 'updates_per_s' : 'p99_ms';
  const sorted = [...results].sort((a, b) => Number(a[key]) - Number(b[key]));
  const median = sorted[Math.floor(sorted.length / 2)] as Record<string, unknown>;
  return {
    ...median,
    runs: RUNS,
    runs_updates_per_s: results.map((r) => r.updates_per_s),
    runs_p99_ms: results.map((r) => r.p99_ms),
    runs_rss_mb: results.map((r) => r.rss_mb),
  };
}

const urls = services();
if (process.argv[2] === '--one') {
  const scenario = SCENARIOS.find((s) => s.name === process.argv[3]);
  if (!scenario) throw new Error(`unknown scenario ${process.argv[3]}`);
  process.stdout.write(`${JSON.stringify(await runScenario(scenario, process.argv[4] as Db, urls))}\n`);
} else {
  for (const db of DBS) {
    for (const scenario of SCENARIOS)
      process.stdout.write(`${JSON.stringify(await measured(scenario, db))}\n`);
  }
  if (REPLICAS) {
    const redisUrl = env.BENCH_REDIS === '0' ? undefined : urls.WSB_REDIS_URL;
    for (const count of [1, 3]) {
      const target = await database('postgres', urls.WSB_PG_URL ?? '');
      process.stdout.write(`${JSON.stringify(await replicasRun(count, target, redisUrl))}\n`);
    }
  }
}
