/**
 * How fast the simulated ws-manager streams to one real generated client in another process.
 * Run by hand: `node --import tsx bench/simulator-throughput.ts`. Prints one JSON line.
 *
 * Environment: SIM_BENCH_UPDATES=200000  SIM_BENCH_WORKSPACES=10000  SIM_BENCH_RUNS=3
 * SIM_BENCH_STAMP=1 (stamp emit times, as `npm run bench` does; 0 to turn off)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { WorkspaceManagerClient, WorkspaceStatus } from '../src/generated/wsman/core.js';
import { SimulatedWsManager } from '../src/wsman/simulator/index.js';

const UPDATES = Number(process.env.SIM_BENCH_UPDATES ?? 200_000);
const WORKSPACES = Number(process.env.SIM_BENCH_WORKSPACES ?? 10_000);
const RUNS = Number(process.env.SIM_BENCH_RUNS ?? 3);
const STAMP = process.env.SIM_BENCH_STAMP !== '0';

interface ClientReport {
  received: number;
  seconds: number;
  bytes: number;
}

/** Child role: subscribe, count `expected` messages, report on stdout. */
async function client(port: number, expected: number): Promise<void> {
  const wsman = new WorkspaceManagerClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const stream = wsman.subscribe({ mustMatch: undefined });
  let received = 0;
  let bytes = 0;
  let first = 0;
  stream.on('metadata', () => process.stdout.write('ready\n'));
  stream.on('data', (response: { status?: WorkspaceStatus }) => {
    if (received === 0) first = performance.now();
    if (received < 100 && response.status) bytes += WorkspaceStatus.encode(response.status).finish().length;
    received++;
    if (received < expected) return;
    const report: ClientReport = {
      received,
      seconds: (performance.now() - first) / 1000,
      bytes: bytes / 100,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    stream.cancel();
    wsman.close();
  });
  // Our own cancel ends the stream with CANCELLED; nothing else can fail here that we care about.
  stream.on('error', () => undefined);
  await new Promise((resolve) => stream.once('close', resolve));
}

async function oneRun(
  sim: SimulatedWsManager,
  port: number,
): Promise<{ simRate: number; clientRate: number; bytes: number }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, 'client', String(port), String(UPDATES)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  await lines.next(); // "ready": the stream is registered
  const load = await sim.runLoad({ workspaces: WORKSPACES, totalUpdates: UPDATES, stampEmitTime: STAMP });
  const report = JSON.parse(String((await lines.next()).value)) as ClientReport;
  await once(child, 'exit');
  return {
    simRate: load.updatesPerSecond,
    clientRate: Math.round(report.received / report.seconds),
    bytes: report.bytes,
  };
}

async function main(): Promise<void> {
  const sim = new SimulatedWsManager();
  const port = await sim.listen(0);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await oneRun(sim, port));
  await sim.close();
  const best = runs.reduce((a, b) => (b.simRate > a.simRate ? b : a));
  const result = {
    msgs_per_s: best.simRate,
    client_msgs_per_s: best.clientRate,
    runs: runs.map((r) => r.simRate),
    updates: UPDATES,
    workspaces: WORKSPACES,
    stamped: STAMP,
    bytes_per_status: Math.round(best.bytes),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[2] === 'client') await client(Number(process.argv[3]), Number(process.argv[4]));
else await main();
