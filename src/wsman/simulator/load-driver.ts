/**
 * Generated load: keeps a fixed number of workspaces alive, moving them through whole lifecycles
 * round-robin and replacing each stopped one with a new instance, at a target rate or as fast as the
 * subscribers take it.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { StartWorkspaceRequest } from '../../generated/wsman/core.js';
import { isAbortError } from '../../lifecycle/abort.js';
import { sleep } from '../../lifecycle/sleep.js';
import type { Logger } from '../../observability/logger.js';
import { SimulatorError, SimulatorErrorCode } from './simulator-error.js';
import { createTenants, syntheticRequest, type SyntheticTenants } from './synthetic-request.js';

/** What `runLoad` should do. */
export interface LoadOptions {
  /** Workspace instances alive at any time. */
  workspaces: number;
  /** Target status updates per second over all workspaces; 0 is as fast as possible. @default 0 */
  updatesPerSecond?: number;
  /** Stop after this many updates. @default unlimited */
  totalUpdates?: number;
  /** Stop after this many milliseconds. @default unlimited */
  durationMs?: number;
  /** Stamp each status with annotation `sim/emitted-at-us` (wall clock, µs) right before it is sent. @default false */
  stampEmitTime?: boolean;
  /**
   * Make every Nth started workspace a prebuild: the 1st, the N+1th, the 2N+1th … (a whole number;
   * 0 never). Prebuilds name their repository's project, stop by themselves after running, and every
   * third of them (the 3rd, 6th … prebuild) reports a failed task (`sim/headless-task-failed`).
   * @default 0
   */
  prebuildEvery?: number;
  /** Stops the load; `runLoad` then resolves with what was done. */
  signal?: AbortSignal;
}

/** What a load run did. */
export interface LoadResult {
  /** Statuses emitted. */
  emitted: number;
  durationMs: number;
  /** Achieved rate, emitted per second. */
  updatesPerSecond: number;
  /** Workspace instances started (the live ones included). */
  instancesStarted: number;
  /** Why the run ended. */
  endedBy: 'total-updates' | 'duration' | 'signal';
}

/** The simulator as the load driver sees it. */
export interface LoadHost {
  /** Starts a workspace from `request`, emitting its first status. */
  start(request: StartWorkspaceRequest, stamp: boolean): void;
  /**
   * Moves a workspace one step on, requesting a stop where it would rest. Returns false, emitting
   * nothing and forgetting it, when it was already stopped or is gone.
   */
  advance(id: string, stamp: boolean): boolean;
  /** True while a subscriber cannot take more. */
  readonly congested: boolean;
  /** Resolves once no subscriber is congested, or when `signal` fires. */
  whenWritable(signal: AbortSignal): Promise<void>;
  /** Called each time the load pauses for a slow subscriber. */
  onPause(): void;
}

/** Updates emitted back to back before yielding to I/O in as-fast-as-possible mode. */
const BURST = 64;

/** Throws when the options cannot describe a load. */
export function validateLoadOptions(options: LoadOptions): void {
  const bad = (what: string): SimulatorError => new SimulatorError(SimulatorErrorCode.invalidArgument, what);
  if (!Number.isInteger(options.workspaces) || options.workspaces < 1) {
    throw bad('workspaces must be a whole number >= 1');
  }
  if ((options.updatesPerSecond ?? 0) < 0) throw bad('updatesPerSecond must be >= 0');
  if ((options.totalUpdates ?? 0) < 0) throw bad('totalUpdates must be >= 0');
  if ((options.durationMs ?? 0) < 0) throw bad('durationMs must be >= 0');
  const prebuildEvery = options.prebuildEvery ?? 0;
  if (!Number.isInteger(prebuildEvery) || prebuildEvery < 0) {
    throw bad('prebuildEvery must be a whole number >= 0');
  }
}

/** One load run; `run()` once. */
export class LoadDriver {
  readonly #host: LoadHost;
  readonly #signal: AbortSignal;
  readonly #stamp: boolean;
  readonly #rate: number;
  readonly #total: number;
  readonly #durationMs: number;
  readonly #prebuildEvery: number;
  readonly #slots: (string | undefined)[];
  readonly #tenants: SyntheticTenants;
  readonly #logger: Logger;
  #cursor = 0;
  #emitted = 0;
  #started = 0;

  /** `signal` must already include the simulator's own shutdown. */
  constructor(host: LoadHost, options: LoadOptions, signal: AbortSignal, logger: Logger) {
    this.#host = host;
    this.#signal = signal;
    this.#stamp = options.stampEmitTime ?? false;
    this.#rate = options.updatesPerSecond ?? 0;
    this.#total = options.totalUpdates ?? Infinity;
    this.#durationMs = options.durationMs ?? Infinity;
    this.#prebuildEvery = options.prebuildEvery ?? 0;
    this.#slots = new Array<string | undefined>(options.workspaces).fill(undefined);
    this.#tenants = createTenants(Math.ceil(options.workspaces / 4));
    this.#logger = logger;
  }

  /** Emits until the total, the duration or the signal ends the run. Never rejects on abort. */
  async run(): Promise<LoadResult> {
    const t0 = performance.now();
    const deadline = t0 + this.#durationMs;
    this.#logger.info({ workspaces: this.#slots.length, rate: this.#rate || 'max' }, 'load started');
    let endedBy: LoadResult['endedBy'] | undefined;
    while ((endedBy = this.#endReason(deadline)) === undefined) {
      await this.#tick(t0, performance.now(), deadline);
    }
    const durationMs = performance.now() - t0;
    const result: LoadResult = {
      emitted: this.#emitted,
      durationMs: Math.round(durationMs),
      updatesPerSecond: durationMs > 0 ? Math.round((this.#emitted * 1000) / durationMs) : 0,
      instancesStarted: this.#started,
      endedBy,
    };
    this.#logger.info(result, 'load finished');
    return result;
  }

  #endReason(deadline: number): LoadResult['endedBy'] | undefined {
    if (this.#signal.aborted) return 'signal';
    if (this.#emitted >= this.#total) return 'total-updates';
    if (performance.now() >= deadline) return 'duration';
    return undefined;
  }

  /** Emits what is due now, or waits for a subscriber or for the next due time. */
  async #tick(t0: number, now: number, deadline: number): Promise<void> {
    if (this.#host.congested) {
      this.#host.onPause();
      await this.#host.whenWritable(this.#signal);
      return;
    }
    if (this.#rate === 0) {
      this.#burst(this.#emitted + BURST);
      // Without this a load with no subscriber (or a fast one) would starve timers and sockets.
      if (!this.#host.congested) await yieldToIo();
      return;
    }
    const due = Math.floor(((now - t0) * this.#rate) / 1000) + 1;
    if (this.#emitted < due) {
      this.#burst(due);
      return;
    }
    const nextDue = t0 + (this.#emitted * 1000) / this.#rate;
    await sleep(Math.min(nextDue, deadline) - now, this.#signal).catch((error: unknown) => {
      if (!isAbortError(error)) throw error;
    });
  }

  #burst(until: number): void {
    const limit = Math.min(until, this.#total);
    while (this.#emitted < limit && !this.#host.congested) this.#emitOne();
  }

  #emitOne(): void {
    const slot = this.#cursor;
    this.#cursor = (slot + 1) % this.#slots.length;
    const id = this.#slots[slot];
    if (id === undefined || !this.#host.advance(id, this.#stamp)) {
      const request = syntheticRequest(this.#started++, this.#tenants, this.#prebuildEvery);
      this.#host.start(request, this.#stamp);
      this.#slots[slot] = request.id;
    }
    this.#emitted++;
  }
}
