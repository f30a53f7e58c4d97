/**
 * A periodic task as a `while (!stopped)` loop with a wakeable sleep: the next tick is scheduled after
 * the current one ends (no overlap), a failing tick is reported and the loop goes on, `runNow()`
 * wakes the loop and resolves after the tick it caused, and `stop()` aborts the sleep and awaits the loop.
 */
import { isAbortError } from './abort.js';
import type { Service, ServiceState } from './service.js';
import { sleep } from './sleep.js';

export interface LoopOptions {
  /** Time between the end of one tick and the start of the next. */
  intervalMs: number;
  tick: (signal: AbortSignal) => Promise<void>;
  /** Called with a tick's error; the loop continues. */
  onError: (error: unknown) => void;
  /** Run the first tick at once (true) or after one interval. @default true */
  immediate?: boolean;
}

/** A periodic loop with idempotent start/stop. */
export class Loop implements Service {
  readonly #o: LoopOptions;
  #state: ServiceState = 'idle';
  readonly #stop = new AbortController();
  #wake = new AbortController();
  #running: Promise<void> | undefined;
  #waiters: (() => void)[] = [];

  constructor(options: LoopOptions) {
    this.#o = options;
  }

  /** idle → starting (until the first tick ends when `immediate`) → running → stopping → stopped. */
  get state(): ServiceState {
    return this.#state;
  }

  /** Starts the loop; resolves after the first tick when `immediate`. */
  start(): Promise<void> {
    if (this.#running || this.#stop.signal.aborted) return Promise.resolve();
    this.#state = 'starting';
    const first = this.#o.immediate === false ? Promise.resolve() : this.#afterNextTick();
    this.#running = this.#run();
    return first.then(() => {
      if (this.#state === 'starting') this.#state = 'running';
    });
  }

  /** Runs a tick as soon as the current one (if any) ends; resolves when that tick is done. */
  runNow(): Promise<void> {
    if (!this.#running || this.#stop.signal.aborted) return Promise.resolve();
    const done = this.#afterNextTick();
    this.#wake.abort();
    return done;
  }

  async stop(): Promise<void> {
    if (this.#state !== 'stopped') this.#state = 'stopping';
    this.#stop.abort();
    this.#wake.abort();
    await this.#running;
    this.#release();
    this.#state = 'stopped';
  }

  #afterNextTick(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #run(): Promise<void> {
    let skipSleep = this.#o.immediate !== false;
    while (!this.#stop.signal.aborted) {
      if (!skipSleep) {
        try {
          await sleep(this.#o.intervalMs, this.#wake.signal);
        } catch (error: unknown) {
          if (!isAbortError(error)) throw error;
          this.#wake = new AbortController();
          if (this.#stop.signal.aborted) break;
        }
      }
      skipSleep = false;
      const waiters = this.#waiters;
      this.#waiters = [];
      try {
        await this.#o.tick(this.#stop.signal);
      } catch (error: unknown) {
        if (!this.#stop.signal.aborted) this.#o.onError(error);
      }
      for (const w of waiters) w();
    }
  }
}
