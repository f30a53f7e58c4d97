/**
 * The simulated ws-manager of a benchmark run, in a process of its own (`ws-manager-bridge
 * simulate`), so that its CPU and memory are not the bridge's. It starts its load once the given
 * number of Subscribe streams are open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { processCpuSeconds } from './machine.js';

/** What the simulator should emit. */
export interface SimulatorLoad {
  workspaces: number;
  /** Updates per second; 0 as fast as the subscribers take them. */
  rate: number;
  updates: number;
  /** Start once this many streams are open. @default 1 */
  subscribers?: number;
}

/** What the simulator reported when its load finished. */
export interface LoadFinished {
  emitted: number;
  durationMs: number;
  updatesPerSecond: number;
}

/** A running simulator process. */
export interface SimulatorProcess {
  child: ChildProcess;
  port: number;
  finished: Promise<LoadFinished>;
  /** CPU seconds the process has used so far. */
  cpuSeconds(): number;
  kill(): void;
}

/** Starts the simulator and resolves once it listens. */
export function startSimulator(load: SimulatorLoad): Promise<SimulatorProcess> {
  const args = ['--import', 'tsx', 'src/main.ts', 'simulate', '--port', '0'];
  args.push('--workspaces', String(load.workspaces), '--rate', String(load.rate));
  args.push('--updates', String(load.updates), '--stamp-emit-time');
  args.push('--wait-subscribers', String(load.subscribers ?? 1));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  return new Promise((resolve, reject) => {
    let finish: (result: LoadFinished) => void = () => undefined;
    const finished = new Promise<LoadFinished>((r) => (finish = r));
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; port?: number } & LoadFinished;
      if (event.event === 'load-finished') finish(event);
      if (event.event !== 'listening') return;
      resolve({
        child,
        port: event.port as number,
        finished,
        cpuSeconds: () => processCpuSeconds(child.pid as number),
        kill: () => {
          child.removeAllListeners('exit');
          child.kill('SIGTERM');
        },
      });
    });
  });
}
