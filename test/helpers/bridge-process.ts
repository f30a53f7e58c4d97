/**
 * A `ws-manager-bridge serve` in a process of its own, as an operator runs it: started from the
 * sources with tsx, JSON logs read line by line, stopped or killed with real signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One JSON log line. */
export interface LogEntry {
  msg?: string;
  [key: string]: unknown;
}

/** A running bridge process. */
export class BridgeProcess {
  readonly child: ChildProcess;
  readonly logs: LogEntry[] = [];
  readonly exited: Promise<number | null>;
  readonly #waiters: { match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];
  stderr = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        return;
      }
      this.logs.push(entry);
      for (const w of this.#waiters.filter((w) => w.match(entry))) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
  }

  /** Starts `serve` with these arguments and environment (added to this process's). */
  static start(args: readonly string[], env: Record<string, string>): BridgeProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', ...args], {
      env: {
        ...process.env,
        BRIDGE_HTTP_ADDR: '127.0.0.1:0',
        BRIDGE_HEALTH_ADDR: '127.0.0.1:0',
        BRIDGE_DEBUG_ADDR: '127.0.0.1:0',
        CLUSTER_SERVICE_ADDR: '127.0.0.1:0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new BridgeProcess(child);
  }

  /** Resolves with the first log line (already seen or future) the predicate accepts. */
  waitForLog(match: (e: LogEntry) => boolean): Promise<LogEntry> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Resolves once the bridge runs, with its operator HTTP and ClusterService ports. */
  async running(): Promise<{ httpPort: number; clusterServicePort: number }> {
    const entry = await Promise.race([
      this.waitForLog((e) => e.msg === 'ws-manager-bridge is running'),
      this.exited.then((code) => {
        throw new Error(`bridge exited with ${code} before it ran: ${this.stderr}`);
      }),
    ]);
    return { httpPort: Number(entry.httpPort), clusterServicePort: Number(entry.clusterServicePort) };
  }

  /** Sends a signal (no-op once exited). */
  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Ends the process at once, if it still runs. */
  async kill(): Promise<void> {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.exited;
  }
}
