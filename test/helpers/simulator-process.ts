/**
 * `ws-manager-bridge simulate` in a process of its own, as a ws-manager runs beside the bridge: a
 * test can freeze it (SIGSTOP) without closing its connections, and let it go on (SIGCONT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One JSON line the simulator prints on stdout (`listening`, `load-finished`). */
export interface SimulatorEvent {
  event: string;
  [key: string]: unknown;
}

export class SimulatorProcess {
  readonly child: ChildProcess;
  readonly events: SimulatorEvent[] = [];
  readonly exited: Promise<void>;
  readonly #waiters: { event: string; resolve: (e: SimulatorEvent) => void }[] = [];
  stderr = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: SimulatorEvent;
      try {
        entry = JSON.parse(line) as SimulatorEvent;
      } catch {
        return;
      }
      this.events.push(entry);
      for (const w of this.#waiters.filter((w) => w.event === entry.event)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
  }

  /** Starts `simulate` on a free loopback port with these extra arguments; resolves once it listens. */
  static async start(args: readonly string[]): Promise<{ sim: SimulatorProcess; port: number }> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'simulate', '--host', '127.0.0.1', '--port', '0', ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const sim = new SimulatorProcess(child);
    const listening = await Promise.race([
      sim.next('listening'),
      sim.exited.then(() => {
        throw new Error(`simulator exited before it listened: ${sim.stderr}`);
      }),
    ]);
    return { sim, port: Number(listening.port) };
  }

  /** Resolves with the first line of this event (already printed or to come). */
  next(event: string): Promise<SimulatorEvent> {
    const seen = this.events.find((e) => e.event === event);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ event, resolve }));
  }

  /** Sends a signal while the process runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Ends the process (resuming it first if it is frozen). */
  async kill(): Promise<void> {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.exited;
  }
}
