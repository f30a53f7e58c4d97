/**
 * Group commit. Dirty instances accumulate while a transaction is in flight; when it returns, all of
 * them go into the next one. A later write of an instance replaces its queued one (rows are complete
 * states), so a burst of updates to one instance costs one row write. A failed transaction is retried:
 * with backoff when the database is unreachable, and split in halves when the database answers but
 * the batch is refused, so that one bad row cannot hold back the others.
 */
import type { Span } from '@opentelemetry/api';
import { Backoff, type BackoffOptions } from '../lifecycle/backoff.js';
import { pause } from '../lifecycle/sleep.js';
import type { Logger } from '../observability/logger.js';
import { OutageLog } from '../observability/outage-log.js';
import type { Metrics } from '../observability/metrics.js';
import { disabledTracing, failSpan, type Tracing } from '../observability/tracing.js';
import type {
  BatchOptions,
  BatchResult,
  InstanceNotification,
  InstanceWrite,
  OutboxMessage,
  Store,
} from '../store/ports.js';
import type { PrebuildState } from '../store/types.js';

/** One instance's queued write and what to do once it commits. */
export interface PendingWrite {
  /** The write, with the one notification that announces it once committed. */
  write: InstanceWrite & { notify: InstanceNotification };
  /** performance.now() of every status folded into this write, for latency metrics. */
  receivedAt: readonly number[];
  /** Told once whether the write committed (false: refused, conflicted, or given up at stop). */
  settle: readonly ((committed: boolean) => void)[];
  /** The final state the instance's prebuild enters with this write, counted once it commits. */
  prebuildCompleted?: PrebuildState;
}

export interface WriteBatcherOptions {
  store: Pick<Store, 'writeBatch' | 'ping' | 'isTransientError'>;
  logger: Logger;
  metrics: Metrics;
  /** The options of each batch (outbox, writer replica, fencing tokens), read when the batch is sent. */
  batchOptions: () => BatchOptions;
  maxBatchSize: number;
  /**
   * Least time from the start of one transaction to the start of the next, in ms. A transaction
   * costs far more than a row (on SQLite about 100 µs of CPU and a dozen pages of log for one row,
   * 15 µs a row in a batch of many), so at a low rate, where every status would otherwise commit
   * alone, a few milliseconds gather several into one. Under load a transaction takes longer than
   * this anyway and nothing waits. @default DEFAULT_COMMIT_SPACING_MS
   */
  commitSpacingMs?: number;
  backoff: BackoffOptions;
  /**
   * Called after a transaction committed, with the writes it applied and the revision it gave their
   * outbox rows (undefined without the outbox).
   */
  onCommitted: (applied: PendingWrite[], revision: bigint | undefined) => void;
  /** Called with writes the store refused because it holds a newer version (or the row is gone). */
  onConflicted: (writes: PendingWrite[]) => void;
  /** Called with writes not committed because their lease is no longer this replica's. */
  onFenced: (writes: PendingWrite[]) => void;
  /** Called when a write is refused on its own by a reachable database and is given up. */
  onRejected: (write: PendingWrite, error: unknown) => void;
  /** A span per transaction. @default off */
  tracing?: Tracing;
  /**
   * Called whenever writes have left the queue and the flight (committed, refused, conflicted,
   * fenced, discarded or given up), once `dirty` counts them no more.
   */
  onProgress?: () => void;
}

/** Messages of both writes, one per key, a newer one replacing the older in its place at the back. */
function foldMessages(
  older: readonly OutboxMessage[] | undefined,
  newer: readonly OutboxMessage[] | undefined,
): OutboxMessage[] | undefined {
  if (!older?.length) return newer?.length ? [...newer] : undefined;
  if (!newer?.length) return [...older];
  const byKey = new Map(older.map((m) => [m.key, m]));
  for (const m of newer) {
    byKey.delete(m.key);
    byKey.set(m.key, m);
  }
  return [...byKey.values()];
}

/**
 * Merges an older queued write into a newer one of the same instance. Rows are complete states, so
 * the newer row wins; effects the newer write does not repeat (metrics, prebuild, revocation,
 * adoption, messages of other keys) are kept from the older one.
 */
function fold(older: PendingWrite, newer: PendingWrite): PendingWrite {
  const o = older.write;
  const n = newer.write;
  return {
    write: {
      row: n.row,
      // The older write's hint: the newer one names the older row, which is folded away unwritten.
      previousPhase: o.previousPhase,
      metrics: n.metrics ?? o.metrics,
      adopt: o.adopt ?? n.adopt,
      notify: n.notify,
      prebuild: n.prebuild ?? o.prebuild,
      messages: foldMessages(o.messages, n.messages),
      revokeTokens: o.revokeTokens ?? n.revokeTokens,
      lease: n.lease,
    },
    receivedAt: older.receivedAt.concat(newer.receivedAt),
    settle: older.settle.concat(newer.settle),
    prebuildCompleted: older.prebuildCompleted ?? newer.prebuildCompleted,
  };
}

/** Tells every waiter of the writes whether they committed. */
function settleAll(writes: Iterable<PendingWrite>, committed: boolean): void {
  for (const p of writes) for (const settle of p.settle) settle(committed);
}

/** Someone waiting until these instances have nothing queued or in flight. */
interface SettleWaiter {
  ids: Set<string>;
  resolve: () => void;
}

/** See `WriteBatcherOptions.commitSpacingMs`: a status waits at most this long for its transaction. */
export const DEFAULT_COMMIT_SPACING_MS = 5;

/** Batches instance writes into transactions. */
export class WriteBatcher {
  readonly #o: WriteBatcherOptions;
  readonly #pending = new Map<string, PendingWrite>();
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  #running = false;
  readonly #spacingMs: number;
  /** performance.now() when the last transaction started. */
  #lastStartedAt = -Infinity;
  #scheduled = false;
  readonly #inFlight = new Set<string>();
  /** Instances in both: a newer write queued while the transaction of an older one is open. */
  #queuedInFlight = 0;
  #settleWaiters: SettleWaiter[] = [];
  readonly #outage: OutageLog;
  #idleWaiters: (() => void)[] = [];
  readonly #tracing: Tracing;

  constructor(options: WriteBatcherOptions) {
    this.#o = options;
    this.#spacingMs = options.commitSpacingMs ?? DEFAULT_COMMIT_SPACING_MS;
    this.#tracing = options.tracing ?? disabledTracing();
    this.#backoff = new Backoff(options.backoff);
    this.#outage = new OutageLog(options.logger, 'database writes', 'error');
  }

  /** Instances with a write queued or in flight; one with both counts once. */
  get dirty(): number {
    return this.#pending.size + this.#inFlight.size - this.#queuedInFlight;
  }

  /**
   * True while a write of this instance is queued or being written (until its transaction has
   * settled, retries and outage waits included): the database may not hold the instance's latest
   * row yet, so its cached row must not be forgotten.
   */
  holds(id: string): boolean {
    return this.#pending.has(id) || this.#inFlight.has(id);
  }

  /** Queues a write; replaces (and folds in) a queued write of the same instance. */
  submit(pending: PendingWrite): void {
    if (this.#stop.signal.aborted) {
      settleAll([pending], false);
      return;
    }
    const id = pending.write.row.id;
    const queued = this.#pending.get(id);
    if (!queued && this.#inFlight.has(id)) this.#queuedInFlight++;
    this.#pending.set(id, queued ? fold(queued, pending) : pending);
    this.#schedule();
  }

  /**
   * Resolves once none of these instances has a write queued or in flight (whether it committed or
   * not), however busy the batcher is with others.
   */
  whenSettled(ids: Iterable<string>): Promise<void> {
    const waiting = new Set([...ids].filter((id) => this.holds(id)));
    if (waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settleWaiters.push({ ids: waiting, resolve }));
  }

  /** Drops the queued writes of these instances (their waiters learn they were not committed). */
  discard(ids: Iterable<string>): void {
    const dropped: PendingWrite[] = [];
    for (const id of ids) {
      const pending = this.#pending.get(id);
      if (!pending) continue;
      this.#pending.delete(id);
      if (this.#inFlight.has(id)) this.#queuedInFlight--;
      dropped.push(pending);
    }
    settleAll(dropped, false);
    this.#checkSettled();
    this.#releaseIdle();
    if (dropped.length > 0) this.#o.onProgress?.();
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.dirty === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops retrying; what is still queued stays unwritten (the caller drained first) and is settled false. */
  stop(): void {
    this.#stop.abort();
    if (!this.#running) this.#giveUp();
  }

  /** After stop: what is still queued will not be written; its waiters learn it now. */
  #giveUp(): void {
    settleAll(this.#pending.values(), false);
    this.#pending.clear();
    this.#queuedInFlight = 0;
    this.#checkSettled();
    this.#releaseIdle();
    this.#o.onProgress?.();
  }

  #checkSettled(): void {
    if (this.#settleWaiters.length === 0) return;
    const open: SettleWaiter[] = [];
    for (const waiter of this.#settleWaiters) {
      for (const id of waiter.ids) if (!this.holds(id)) waiter.ids.delete(id);
      if (waiter.ids.size === 0) waiter.resolve();
      else open.push(waiter);
    }
    this.#settleWaiters = open;
  }

  #releaseIdle(): void {
    if (this.dirty !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    const run = (): void => {
      this.#scheduled = false;
      void this.#flush();
    };
    // setImmediate lets every status already read from the sockets join the batch first. Right
    // after a transaction the next waits out the spacing, so that a trickle of statuses shares one.
    const wait = this.#lastStartedAt + this.#spacingMs - performance.now();
    if (wait > 0) setTimeout(run, wait);
    else setImmediate(run);
  }

  async #flush(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#pending.size > 0 && !this.#stop.signal.aborted) {
        this.#lastStartedAt = performance.now();
        const batch = this.#take(this.#o.maxBatchSize);
        for (const p of batch) this.#inFlight.add(p.write.row.id);
        try {
          await this.#write(batch);
        } finally {
          for (const p of batch) this.#land(p.write.row.id);
          this.#checkSettled();
          this.#o.onProgress?.();
        }
      }
    } finally {
      this.#running = false;
      if (this.#stop.signal.aborted) this.#giveUp();
      else if (this.dirty === 0) this.#releaseIdle();
      else this.#schedule();
    }
  }

  /** The transaction of this instance's write has settled (or its write goes back to the queue). */
  #land(id: string): void {
    if (this.#inFlight.delete(id) && this.#pending.has(id)) this.#queuedInFlight--;
  }

  #take(max: number): PendingWrite[] {
    const batch: PendingWrite[] = [];
    for (const [id, pending] of this.#pending) {
      if (batch.length >= max) break;
      batch.push(pending);
      this.#pending.delete(id);
    }
    return batch;
  }

  /** Writes a batch; on failure decides between waiting out an outage and isolating a bad row. */
  async #write(batch: PendingWrite[]): Promise<void> {
    const error = await this.#attempt(batch);
    if (error === undefined) return;
    if (this.#o.store.isTransientError(error) || !(await this.#reachable())) {
      this.#requeue(batch);
      await this.#waitOutage(error);
      return;
    }
    if (batch.length === 1) {
      const only = batch[0] as PendingWrite;
      settleAll(batch, false);
      this.#o.onRejected(only, error);
      this.#checkSettled();
      return;
    }
    const half = Math.ceil(batch.length / 2);
    await this.#write(batch.slice(0, half));
    await this.#write(batch.slice(half));
  }

  /** One transaction. Returns the error instead of throwing. */
  async #attempt(batch: PendingWrite[]): Promise<unknown> {
    if (!this.#tracing.enabled) return this.#transaction(batch, undefined);
    const span = this.#tracing.tracer.startSpan('bridge.commit', {
      attributes: { 'bridge.rows': batch.length },
    });
    try {
      const error = await this.#transaction(batch, span);
      if (error !== undefined) failSpan(span, error);
      return error;
    } finally {
      span.end();
    }
  }

  async #transaction(batch: PendingWrite[], span: Span | undefined): Promise<unknown> {
    const started = performance.now();
    let result: BatchResult;
    try {
      result = await this.#o.store.writeBatch(
        batch.map((p) => p.write),
        this.#o.batchOptions(),
      );
    } catch (error: unknown) {
      this.#o.metrics.dbBatchesTotal.inc({ outcome: 'error' });
      return error ?? new Error('write failed');
    }
    this.#o.metrics.dbBatchesTotal.inc({ outcome: 'ok' });
    this.#o.metrics.dbBatchRows.observe(batch.length);
    this.#o.metrics.dbBatchSeconds.observe((performance.now() - started) / 1000);
    this.#recovered();
    const applied = new Set(result.applied);
    const fencedIds = new Set(result.fenced);
    const committed = batch.filter((p) => applied.has(p.write.row.id));
    span?.setAttributes({
      'bridge.applied': committed.length,
      'bridge.conflicted': result.conflicted.length,
      'bridge.fenced': result.fenced.length,
    });
    if (result.fenced.length > 0) {
      this.#o.metrics.dbWritesFencedTotal.inc(result.fenced.length);
      const fenced = batch.filter((p) => fencedIds.has(p.write.row.id));
      settleAll(fenced, false);
      this.#o.onFenced(fenced);
    }
    if (result.conflicted.length > 0) {
      this.#o.metrics.dbWriteConflictsTotal.inc(result.conflicted.length);
      const conflicted = batch.filter((p) => !applied.has(p.write.row.id) && !fencedIds.has(p.write.row.id));
      settleAll(conflicted, false);
      this.#o.onConflicted(conflicted);
    }
    if (committed.length > 0) {
      this.#o.onCommitted(committed, result.revision);
      settleAll(committed, true);
    }
    this.#checkSettled();
    return undefined;
  }

  async #reachable(): Promise<boolean> {
    try {
      await this.#o.store.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Puts writes back; a newer queued write of the same instance absorbs the older one. */
  #requeue(batch: PendingWrite[]): void {
    for (const pending of batch) {
      const id = pending.write.row.id;
      this.#land(id);
      const newer = this.#pending.get(id);
      this.#pending.set(id, newer ? fold(pending, newer) : pending);
    }
  }

  /** Changes stay queued in memory while the database is away; one line opens and one closes the outage. */
  async #waitOutage(error: unknown): Promise<void> {
    const delay = this.#backoff.next();
    this.#outage.failed(error, { queued: this.#pending.size, retryInMs: delay });
    await pause(delay, this.#stop.signal);
  }

  #recovered(): void {
    this.#backoff.reset();
    this.#outage.recovered({ queued: this.#pending.size });
  }
}
