/**
 * Update and commit rates over the last minutes, for the status page: the process samples two counters
 * every 10 s and keeps the per-interval rates in a ring.
 */
import { Loop } from '../lifecycle/loop.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Counter values at one moment. */
export interface CounterReading {
  /** Epoch milliseconds. */
  at: number;
  /** Valid status updates received so far. */
  updates: number;
  /** Write transactions committed so far. */
  commits: number;
}

/** Rates over one interval, ending at `at`. */
export interface RateSample {
  /** Epoch milliseconds of the interval's end. */
  at: number;
  updatesPerSecond: number;
  commitsPerSecond: number;
  /** True for the interval still running (from the last sample to now). */
  partial: boolean;
}

/** Options of {@link RateHistory}. */
export interface RateHistoryOptions {
  /** Samples kept. @default 60 (ten minutes of 10 s samples) */
  capacity?: number;
}

/** A ring of rate samples computed from successive counter readings. Pure: no clock, no I/O. */
export class RateHistory {
  readonly #capacity: number;
  readonly #samples: RateSample[] = [];
  #last: CounterReading | undefined;

  constructor(options: RateHistoryOptions = {}) {
    this.#capacity = Math.max(1, options.capacity ?? 60);
  }

  /** Adds a reading; from the second one on, each adds the rates since the previous reading. */
  record(reading: CounterReading): void {
    const previous = this.#last;
    this.#last = reading;
    if (!previous || reading.at <= previous.at) return;
    this.#samples.push(rates(previous, reading, false));
    if (this.#samples.length > this.#capacity) this.#samples.shift();
  }

  /** The kept samples, oldest first, plus the running interval up to `now` when given. */
  samples(now?: CounterReading): RateSample[] {
    const last = this.#last;
    if (!now || !last || now.at <= last.at) return [...this.#samples];
    return [...this.#samples, rates(last, now, true)];
  }
}

function rates(from: CounterReading, to: CounterReading, partial: boolean): RateSample {
  const seconds = (to.at - from.at) / 1000;
  // A counter never goes back; if one did (a new registry), the interval counts as zero.
  const per = (a: number, b: number): number => Math.max(0, b - a) / seconds;
  return {
    at: to.at,
    updatesPerSecond: per(from.updates, to.updates),
    commitsPerSecond: per(from.commits, to.commits),
    partial,
  };
}

/** Reads the two counters from the bridge's metrics. */
export async function readCounters(metrics: Metrics, at: number): Promise<CounterReading> {
  const [updates, batches] = await Promise.all([
    metrics.updateStartedTotal.get(),
    metrics.dbBatchesTotal.get(),
  ]);
  return {
    at,
    updates: updates.values.reduce((sum, v) => sum + v.value, 0),
    commits: batches.values.filter((v) => v.labels.outcome === 'ok').reduce((sum, v) => sum + v.value, 0),
  };
}

/** Options of {@link RateSampler}. */
export interface RateSamplerOptions {
  metrics: Metrics;
  history: RateHistory;
  logger: Logger;
  /** @default 10 s */
  intervalMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Feeds a RateHistory every interval (first reading at start) on the shared Loop. */
export class RateSampler {
  readonly #loop: Loop;
  readonly #o: RateSamplerOptions;

  constructor(options: RateSamplerOptions) {
    this.#o = options;
    const now = options.now ?? Date.now;
    this.#loop = new Loop({
      intervalMs: options.intervalMs ?? 10_000,
      tick: async () => options.history.record(await readCounters(options.metrics, now())),
      onError: (error: unknown) => options.logger.debug({ error: String(error) }, 'rate sample failed'),
    });
  }

  /** The counters now, for the running interval of `RateHistory.samples`. */
  current(): Promise<CounterReading> {
    return readCounters(this.#o.metrics, (this.#o.now ?? Date.now)());
  }

  start(): Promise<void> {
    return this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
