/**
 * The `replicas` scenario of `npm run bench`: 1 and 3 bridge processes on one PostgreSQL (and Redis)
 * share 6 simulated clusters that stream as fast as the bridges take. It reports the aggregate
 * statuses per second the replicas process, and with 3 replicas the failover time after the busiest
 * one is killed (SIGKILL): from the kill until every cluster it streamed is streamed again.
 *
 * Environment: BENCH_REPLICAS_SECONDS=15 (measuring window), CLUSTER_LEASE_SECONDS (default 15).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { SimulatedWsManager } from '../src/wsman/simulator/index.js';

const CLUSTERS = 6;
const WORKSPACES_PER_CLUSTER = 1000;

interface Replica {
  id: string;
  child: ChildProcess;
  httpPort: Promise<number>;
}

function startReplica(
  id: string,
  databaseUrl: string,
  redisUrl: string | undefined,
  flags: string[],
): Replica {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'serve', '--allow-plaintext-clusters', '--adopt-unknown', ...flags],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
        BRIDGE_REPLICA_ID: id,
        BRIDGE_HTTP_ADDR: '127.0.0.1:0',
        BRIDGE_HEALTH_ADDR: '127.0.0.1:0',
        BRIDGE_DEBUG_ADDR: 'off',
        CLUSTER_SERVICE_ADDR: '127.0.0.1:0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      },
    },
  );
  const httpPort = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`replica ${id} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; httpPort?: number };
      if (entry.msg === 'ws-manager-bridge is running') resolve(Number(entry.httpPort));
    });
  });
  httpPort.catch(() => undefined);
  return { id, child, httpPort };
}

/** Statuses a replica has processed, from its metrics. */
async function processed(replica: Replica): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${await replica.httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('gitpod_ws_manager_bridge_status_updates_total{'))
      sum += Number(line.split(' ').pop());
  }
  return sum;
}

async function holders(databaseUrl: string): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = (
      await client.query<{ name: string; holder: string }>(
        'SELECT cluster_name AS name, holder FROM cluster_leases',
      )
    ).rows;
    return new Map(rows.map((r) => [r.name, r.holder]));
  } finally {
    await client.end();
  }
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('benchmark condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Runs the scenario with `count` replicas on a fresh database; prints nothing, returns the figures. */
export async function replicasRun(
  count: number,
  database: { url: string; drop: () => Promise<void> },
  redisUrl: string | undefined,
): Promise<Record<string, unknown>> {
  const sims: SimulatedWsManager[] = [];
  const flags: string[] = [];
  for (let i = 1; i <= CLUSTERS; i++) {
    const sim = new SimulatedWsManager({ retainStoppedMs: 60_000 });
    flags.push('--cluster', `sim${i}=127.0.0.1:${await sim.listen(0, '127.0.0.1')}`);
    sims.push(sim);
  }
  const replicas = Array.from({ length: count }, (_, i) =>
    startReplica(`bench-r${i + 1}`, database.url, redisUrl, flags),
  );
  const abort = new AbortController();
  try {
    await Promise.all(replicas.map((r) => r.httpPort));
    await until(() => sims.every((s) => s.subscriberCount === 1));
    const loads = sims.map((sim) =>
      sim.runLoad({ workspaces: WORKSPACES_PER_CLUSTER, updatesPerSecond: 0, signal: abort.signal }),
    );
    const windowMs = Number(process.env.BENCH_REPLICAS_SECONDS ?? 15) * 1000;
    const before = await Promise.all(replicas.map(processed));
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = await Promise.all(replicas.map(processed));
    const seconds = (performance.now() - started) / 1000;
    const total = after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0);
    let failoverMs: number | undefined;
    if (count > 1) {
      const leases = await holders(database.url);
      const byHolder = new Map<string, number>();
      for (const [name, holder] of leases)
        if (name.startsWith('sim')) byHolder.set(holder, (byHolder.get(holder) ?? 0) + 1);
      const busiest = [...byHolder.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      const victim = replicas.find((r) => r.id === busiest) as Replica;
      const lost = [...leases].filter(([, holder]) => holder === victim.id).map(([name]) => name);
      const killedAt = performance.now();
      victim.child.kill('SIGKILL');
      await until(async () => {
        const now = await holders(database.url);
        return (
          lost.every((name) => now.get(name) !== victim.id) && sims.every((s) => s.subscriberCount === 1)
        );
      });
      failoverMs = Math.round(performance.now() - killedAt);
    }
    abort.abort();
    await Promise.all(loads);
    return {
      scenario: 'replicas',
      db: 'postgres',
      redis: Boolean(redisUrl),
      replicas: count,
      clusters: CLUSTERS,
      live_instances: CLUSTERS * WORKSPACES_PER_CLUSTER,
      seconds: Number(seconds.toFixed(1)),
      updates_per_s: Math.round(total / seconds),
      failover_ms: failoverMs,
      lease_seconds: Number(process.env.CLUSTER_LEASE_SECONDS ?? 15),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
    };
  } finally {
    abort.abort();
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(sims.map((s) => s.close()));
    await database.drop();
  }
}
