/**
 * The `storm` scenario: the bridge streams CLUSTERS simulated clusters of WORKSPACES running
 * instances each (bench/storm-simulators.ts, another process); then every cluster ends its stream at
 * once and, while disconnected, every instance changes. Every subscriber reconnects, resyncs from
 * GetWorkspaces and the bridge writes what changed. `converged_ms` runs from the moment the streams
 * ended until every changed instance is committed, every cluster streams again and the engine is
 * idle; the database is then checked to hold every change.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Bridge } from '../src/bridge.js';
import type { Store } from '../src/store/ports.js';
import type { SyncProbe } from '../src/sync/sync-engine.js';
import { MachineLoad, processCpuSeconds } from './machine.js';

const CLUSTERS = Number(process.env.STORM_CLUSTERS ?? 50);
const WORKSPACES = Number(process.env.STORM_WORKSPACES ?? 1000);
const TIMEOUT_MS = 120_000;

/** Instance ids committed since `reset()`, fed by the engine's probe. */
export class CommitCounter {
  received = 0;
  readonly committed = new Set<string>();
  readonly probe: SyncProbe = {
    received: () => void this.received++,
    committed: (ids) => {
      for (const id of ids) this.committed.add(id);
    },
  };

  reset(): void {
    this.received = 0;
    this.committed.clear();
  }
}

/** The simulators' process; `send` writes a command, `next` waits for the named event. */
export interface StormClusters {
  ports: number[];
  send(command: 'warm' | 'storm' | 'close'): void;
  next(event: string): Promise<Record<string, unknown>>;
  cpuSeconds(): number;
  kill(): void;
}

/** Starts the simulators and resolves with their ports. */
export async function startStormClusters(): Promise<StormClusters> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/storm-simulators.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, STORM_CLUSTERS: String(CLUSTERS), STORM_WORKSPACES: String(WORKSPACES) },
  });
  const waiting = new Map<string, (event: Record<string, unknown>) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    const name = String(event.event);
    waiting.get(name)?.(event);
    waiting.delete(name);
  });
  const next = (name: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => waiting.set(name, resolve));
  const listening = await next('listening');
  return {
    ports: listening.ports as number[],
    send: (command) => child.stdin.write(`${command}\n`),
    next,
    cpuSeconds: () => processCpuSeconds(child.pid as number),
    kill: () => child.kill('SIGKILL'),
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`storm: ${what} not reached in time`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function allStreaming(bridge: Bridge): boolean {
  const states = [...bridge.supervisor.states().values()];
  return states.length === CLUSTERS && states.every((s) => s === 'streaming');
}

/** Instances whose row shows the change the storm made (RUNNING with a first user activity). */
async function changedRows(store: Store): Promise<number> {
  const records = await store.listInstances({ phases: ['running'] });
  return records.filter((r) => r.row.status.conditions.firstUserActivity !== undefined).length;
}

/**
 * Warms the bridge up on the clusters, then storms. Returns the figures; the CPU and updates are
 * those of the storm alone.
 */
export async function runStorm(
  bridge: Bridge,
  clusters: StormClusters,
  counter: CommitCounter,
): Promise<Record<string, unknown>> {
  const total = CLUSTERS * WORKSPACES;
  await until(() => allStreaming(bridge), 'first connection');
  clusters.send('warm');
  await clusters.next('warm');
  await until(() => counter.received >= total * 4, 'warm-up statuses');
  await bridge.engine.whenIdle();
  counter.reset();
  const cpuBefore = process.cpuUsage();
  const simCpuBefore = clusters.cpuSeconds();
  const machine = new MachineLoad();
  const stormed = clusters.next('stormed');
  clusters.send('storm');
  const changed = Number((await stormed).changed);
  const started = performance.now();
  await until(() => counter.committed.size >= changed && allStreaming(bridge), 'convergence');
  await bridge.engine.whenIdle();
  const convergedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const bridgeCpu = (cpu.user + cpu.system) / 1e6;
  const simCpu = clusters.cpuSeconds() - simCpuBefore;
  const load = machine.report(bridgeCpu + simCpu);
  const inDatabase = await changedRows(bridge.store);
  if (inDatabase !== changed) throw new Error(`storm: ${inDatabase} of ${changed} changes in the database`);
  return {
    clusters: CLUSTERS,
    live_instances: total,
    updates: counter.received,
    changed,
    converged_ms: Math.round(convergedMs),
    bridge_cpu_s: bridgeCpu,
    simulator_cpu_s: simCpu,
    ...load,
  };
}
