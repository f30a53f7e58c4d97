/**
 * The simulator's own ceiling, measured in the same benchmark run as the bridge: the simulator
 * process streams to a client that only counts the messages (no decoding, in a process of its own),
 * so the rate is what the simulator can emit on this machine, and its CPU per status is what one
 * status costs it.
 *
 * Run alone: `node --import tsx bench/ceiling.ts` prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { SubscribeRequest } from '../src/generated/wsman/core.js';
import { startSimulator } from './simulator-process.js';

/** Updates of a ceiling measurement: enough for a steady rate, short beside the scenario itself. */
const CEILING_UPDATES = Number(process.env.BENCH_CEILING_UPDATES ?? 100_000);

/** The simulator's rate and CPU per status, streaming to a client that only counts. */
export interface Ceiling {
  simulator_ceiling_per_s: number;
  simulator_cpu_us_per_update: number;
}

/** Client role: subscribe with a raw deserializer, print "ready", then the count once `expected` came. */
async function countingClient(port: number, expected: number): Promise<void> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc-node.flow_control_window': 16 * 1024 * 1024,
  });
  const request = Buffer.from(SubscribeRequest.encode({ mustMatch: undefined }).finish());
  const stream = client.makeServerStreamRequest(
    '/wsman.WorkspaceManager/Subscribe',
    (r: Buffer) => r,
    (bytes: Buffer) => bytes.length,
    request,
    new Metadata(),
  );
  let received = 0;
  stream.on('metadata', () => process.stdout.write('ready\n'));
  stream.on('data', () => {
    if (++received < expected) return;
    process.stdout.write(`${received}\n`);
    stream.cancel();
    client.close();
  });
  // Our own cancel ends the stream with CANCELLED.
  stream.on('error', () => undefined);
  await new Promise((resolve) => stream.once('close', resolve));
}

/** Measures the ceiling with a fresh simulator and client, both in processes of their own. */
export async function measureCeiling(workspaces: number): Promise<Ceiling> {
  // At least two statuses per workspace, so that the measurement is not all first statuses.
  const updates = Math.max(CEILING_UPDATES, 2 * workspaces);
  const sim = await startSimulator({ workspaces, rate: 0, updates });
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', self, 'client', String(sim.port), String(updates)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    await lines.next(); // "ready": the stream is open, so the load starts
    const cpuBefore = sim.cpuSeconds();
    const load = await sim.finished;
    const cpu = sim.cpuSeconds() - cpuBefore;
    await lines.next();
    await once(child, 'exit');
    return {
      simulator_ceiling_per_s: load.updatesPerSecond,
      simulator_cpu_us_per_update: Number(((cpu * 1e6) / load.emitted).toFixed(1)),
    };
  } finally {
    child.kill();
    sim.kill();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === 'client') await countingClient(Number(process.argv[3]), Number(process.argv[4]));
  else process.stdout.write(`${JSON.stringify(await measureCeiling(10_000))}\n`);
}
