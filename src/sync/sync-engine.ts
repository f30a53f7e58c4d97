/**
 * The sync engine: one logical mailbox per instance. Statuses are validated, then reduced on arrival
 * against the instance's cached row (read once, in batches, when first seen); the resulting complete
 * row goes to the write batcher, and committed changes are handed to the notifier. Per instance,
 * order is arrival order; a status that waits for its row waits alone, other instances go on.
 */
import type { WorkspaceStatus } from '../generated/wsman/core.js';
import type { BackoffOptions } from '../lifecycle/backoff.js';
import { errorMessage } from '../lifecycle/abort.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { InstanceNotification, Store } from '../store/ports.js';
import type { InstanceRecord } from '../store/types.js';
import type { StatusSink } from '../wsman/cluster-subscriber.js';
import { adoptedRecord, workspaceTypeOf } from './adopt.js';
import { InstanceLoader } from './instance-loader.js';
import { markStopped } from './mark-stopped.js';
import { OnceLog } from './once-log.js';
import {
  enqueue,
  firstStatus,
  newEntry,
  QUIET_EVICT_MS,
  type Entry,
  type Queued,
  type StopCommand,
} from './mailbox.js';
import { reportEvents } from './reduction-events.js';
import type { StatusReducer, ValidationResult } from './reduction.js';
import { WriteBatcher, type PendingWrite } from './write-batcher.js';

/** Hooks for benchmarks and tests; never on the production path unless set. */
export interface SyncProbe {
  /** A status arrived (before validation). */
  received?(status: WorkspaceStatus): void;
  /** A status ended without a write: invalid, unknown instance, stale, identical or after stop. */
  skipped?(status: WorkspaceStatus): void;
  /** Transactions committed the latest reduced state of these instances. */
  committed?(instanceIds: readonly string[]): void;
}

export interface SyncEngineOptions {
  store: Pick<Store, 'loadInstances' | 'writeBatch' | 'ping' | 'capabilities' | 'isTransientError'>;
  /** Receives committed changes (the notifier). */
  notify: (notifications: InstanceNotification[]) => void;
  validate: (status: WorkspaceStatus) => ValidationResult;
  reduce: StatusReducer;
  logger: Logger;
  metrics: Metrics;
  /** Create rows for instances the database does not know. @default false */
  adoptUnknown?: boolean;
  /** Record notifications in the outbox (durable publisher). @default false */
  outbox?: boolean;
  backoff: BackoffOptions;
  /** How long "not in the database" is believed before the row is read again. @default 30000 */
  absentTtlMs?: number;
  probe?: SyncProbe;
  /** Wall clock for observation timestamps. @default () => new Date() */
  now?: () => Date;
}

/** Applies ws-manager statuses to the store. Implements StatusSink for cluster subscribers. */
export class SyncEngine implements StatusSink {
  readonly #o: SyncEngineOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #loader: InstanceLoader;
  readonly #batcher: WriteBatcher;
  readonly #onceLog: OnceLog;
  readonly #now: () => Date;
  readonly #sweeper: NodeJS.Timeout;
  #applied = 0;

  constructor(options: SyncEngineOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#onceLog = new OnceLog(options.logger);
    this.#loader = new InstanceLoader({
      store: options.store,
      logger: options.logger,
      backoff: options.backoff,
      onLoaded: (results) => this.#onLoaded(results),
      onError: () => options.metrics.dbLoadErrorsTotal.inc(),
    });
    this.#batcher = new WriteBatcher({
      store: options.store,
      logger: options.logger,
      metrics: options.metrics,
      outbox: options.outbox ?? false,
      maxBatchSize: options.store.capabilities.maxBatchSize,
      backoff: options.backoff,
      onCommitted: (applied) => this.#onCommitted(applied),
      onConflicted: (ids) => this.#onConflicted(ids),
      onRejected: (id, error) => this.#onRejected(id, error),
    });
    this.#sweeper = setInterval(() => this.#sweep(), 10_000).unref();
  }

  /** Instance changes committed since start. */
  get applied(): number {
    return this.#applied;
  }

  /** Instances held in memory. */
  get tracked(): number {
    return this.#entries.size;
  }

  /** Instances with reduced changes not yet committed. */
  get dirty(): number {
    return this.#batcher.dirty;
  }

  /** Phase of every tracked instance (progress display). */
  phaseCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.#entries.values()) {
      if (!e.record) continue;
      counts.set(e.record.row.phase, (counts.get(e.record.row.phase) ?? 0) + 1);
    }
    return counts;
  }

  snapshot(cluster: string, statuses: readonly WorkspaceStatus[]): void {
    this.#o.metrics.clusterMessagesTotal.inc(
      { workspace_cluster: cluster, source: 'snapshot' },
      statuses.length,
    );
    for (const status of statuses) this.#intake(cluster, status);
  }

  status(cluster: string, status: WorkspaceStatus): void {
    this.#o.metrics.clusterMessagesTotal.inc({ workspace_cluster: cluster, source: 'stream' });
    this.#intake(cluster, status);
  }

  /**
   * Marks instances stopped through their mailboxes (invariant 6: no writes around the engine) and
   * resolves once the writes are committed. Returns how many instances were marked.
   */
  async stopInstances(records: readonly InstanceRecord[], reason: string): Promise<number> {
    let marked = 0;
    const observedAt = this.#now().toISOString();
    for (const record of records) {
      const id = record.row.id;
      let entry = this.#entries.get(id);
      if (!entry || entry.state === 'absent') {
        entry = newEntry(record.row.clusterName, record);
        this.#entries.set(id, entry);
      }
      entry.touchedAt = Date.now();
      if (entry.state === 'loading') entry.queue.push({ stop: reason, observedAt });
      else if (this.#stop(id, entry, { stop: reason, observedAt })) marked++;
    }
    await this.whenIdle();
    return marked;
  }

  /** Resolves once every received status is committed (or skipped) and nothing is being read. */
  async whenIdle(): Promise<void> {
    while (this.#loader.queued > 0 || this.#batcher.dirty > 0 || this.#hasQueued()) {
      await this.#batcher.whenIdle();
      // Reads may be waiting out a database outage: poll gently instead of spinning.
      await new Promise((resolve) => setTimeout(resolve, this.#loader.queued > 0 ? 5 : 0));
    }
  }

  /** Waits for pending writes up to `graceMs`, then stops retrying. Returns whether all were written. */
  async drain(graceMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const done = await Promise.race([this.whenIdle().then(() => true), timedOut]);
    clearTimeout(timer);
    this.stop();
    return done;
  }

  /** Stops timers and retries. */
  stop(): void {
    clearInterval(this.#sweeper);
    this.#loader.stop();
    this.#batcher.stop();
  }

  #hasQueued(): boolean {
    for (const e of this.#entries.values()) if (e.queue.length > 0) return true;
    return false;
  }

  #intake(cluster: string, raw: WorkspaceStatus): void {
    this.#o.probe?.received?.(raw);
    const checked = this.#o.validate(raw);
    if (!checked.ok) {
      this.#o.metrics.invalidStatusUpdatesTotal.inc({ workspace_cluster: cluster, reason: checked.reason });
      this.#onceLog.warn(`${raw.id}:${checked.reason}`, { cluster, instanceId: raw.id }, checked.message);
      this.#o.probe?.skipped?.(raw);
      return;
    }
    const status = checked.status;
    const type = workspaceTypeOf(status.spec.type);
    this.#o.metrics.updateStartedTotal.inc({ workspace_cluster: cluster, workspace_instance_type: type });
    const queued: Queued = { status, observedAt: this.#now().toISOString(), receivedAt: performance.now() };
    let entry = this.#entries.get(status.id);
    if (entry?.state === 'absent' && entry.absentUntil <= Date.now()) {
      this.#entries.delete(status.id);
      entry = undefined;
    }
    if (!entry) {
      entry = newEntry(cluster);
      this.#entries.set(status.id, entry);
      this.#loader.request(status.id);
    }
    entry.touchedAt = Date.now();
    if (entry.state === 'loading') {
      enqueue(entry, queued);
    } else if (entry.state === 'absent') {
      this.#unknown(entry.cluster, status.id);
      this.#o.probe?.skipped?.(status);
    } else {
      this.#apply(status.id, entry, queued);
    }
  }

  #unknown(cluster: string, id: string): void {
    this.#o.metrics.statusUpdatesTotal.inc({ workspace_cluster: cluster, known_instance: 'false' });
    this.#onceLog.debug(
      `unknown:${id}`,
      { cluster, instanceId: id },
      'status for an instance not in the database',
    );
  }

  #apply(id: string, entry: Entry, q: Queued): void {
    const record = entry.record as InstanceRecord;
    const cluster = entry.cluster;
    this.#o.metrics.statusUpdatesTotal.inc({ workspace_cluster: cluster, known_instance: 'true' });
    let reduction;
    try {
      reduction = this.#o.reduce(record, q.status, q.observedAt);
    } catch (error: unknown) {
      this.#outcome(cluster, record, 'error', q.receivedAt);
      this.#o.probe?.skipped?.(q.status);
      this.#onceLog.error(
        `reduce:${id}`,
        { cluster, instanceId: id, error: errorMessage(error) },
        'cannot apply status',
      );
      return;
    }
    reportEvents(
      this.#o,
      { cluster, instanceId: id, workspaceId: record.row.workspaceId },
      record,
      reduction.events,
    );
    if (reduction.kind === 'skip') {
      if (reduction.reason === 'stale') this.#o.metrics.staleStatusUpdatesTotal.inc();
      if (reduction.statusVersion > record.row.statusVersion) {
        entry.record = { ...record, row: { ...record.row, statusVersion: reduction.statusVersion } };
      }
      this.#outcome(cluster, record, 'skipped', q.receivedAt);
      this.#o.probe?.skipped?.(q.status);
      return;
    }
    entry.record = { ...record, row: reduction.row, metrics: reduction.metrics ?? record.metrics };
    const notify = {
      ownerID: q.status.metadata.owner || record.ownerId,
      instanceID: id,
      workspaceID: reduction.row.workspaceId,
    };
    this.#batcher.submit({
      write: { row: reduction.row, metrics: reduction.metrics, adopt: entry.adopt, notify },
      notify,
      receivedAt: [q.receivedAt],
    });
  }

  #outcome(
    cluster: string,
    record: InstanceRecord,
    outcome: 'success' | 'skipped' | 'error',
    receivedAt: number,
  ): void {
    this.#o.metrics.updateCompletedSeconds.observe(
      { workspace_cluster: cluster, workspace_instance_type: record.workspaceType, outcome },
      (performance.now() - receivedAt) / 1000,
    );
  }

  #onLoaded(results: Map<string, InstanceRecord | undefined>): void {
    for (const [id, record] of results) {
      const entry = this.#entries.get(id);
      if (!entry || entry.state !== 'loading') continue;
      const queue = entry.queue;
      entry.queue = [];
      if (record) {
        entry.state = 'ready';
        entry.record = record;
      } else if (this.#o.adoptUnknown && firstStatus(queue)) {
        const first = firstStatus(queue) as Queued;
        const adopted = adoptedRecord(first.status, entry.cluster, first.observedAt);
        entry.state = 'ready';
        entry.record = adopted.record;
        entry.adopt = { workspace: adopted.workspace };
      } else {
        entry.state = 'absent';
        entry.absentUntil = Date.now() + (this.#o.absentTtlMs ?? 30_000);
        for (const item of queue) {
          if ('stop' in item) continue;
          this.#unknown(entry.cluster, id);
          this.#o.probe?.skipped?.(item.status);
        }
        continue;
      }
      for (const item of queue) {
        if ('stop' in item) this.#stop(id, entry, item);
        else this.#apply(id, entry, item);
      }
    }
  }

  #stop(id: string, entry: Entry, command: StopCommand): boolean {
    const record = entry.record as InstanceRecord;
    const row = markStopped(record.row, command.observedAt, command.stop);
    if (!row) return false;
    this.#o.metrics.instancesMarkedStoppedTotal.inc({ previous_phase: record.row.phase });
    this.#o.logger.info(
      { cluster: entry.cluster, instanceId: id, previousPhase: record.row.phase, reason: command.stop },
      'marking instance stopped',
    );
    entry.record = { ...record, row };
    const notify = { ownerID: record.ownerId, instanceID: id, workspaceID: row.workspaceId };
    this.#batcher.submit({ write: { row, adopt: entry.adopt, notify }, notify, receivedAt: [] });
    return true;
  }

  #onCommitted(applied: PendingWrite[]): void {
    const notifications: InstanceNotification[] = [];
    const ids: string[] = [];
    for (const p of applied) {
      const id = p.write.row.id;
      const entry = this.#entries.get(id);
      if (entry && p.write.adopt) entry.adopt = undefined;
      const cluster = entry?.cluster ?? p.write.row.clusterName;
      const type = entry?.record?.workspaceType ?? 'regular';
      for (const at of p.receivedAt) {
        this.#o.metrics.updateCompletedSeconds.observe(
          { workspace_cluster: cluster, workspace_instance_type: type, outcome: 'success' },
          (performance.now() - at) / 1000,
        );
      }
      notifications.push(p.notify);
      ids.push(id);
      // Invariant 7: a stopped, fully written instance leaves memory; a late status reads it again.
      if (entry?.record?.row.phase === 'stopped' && entry.record.row === p.write.row)
        this.#entries.delete(id);
    }
    this.#applied += applied.length;
    this.#o.notify(notifications);
    this.#o.probe?.committed?.(ids);
  }

  #onConflicted(ids: string[]): void {
    for (const id of ids) {
      const entry = this.#entries.get(id);
      if (!entry) continue;
      // The database holds a newer row (another writer won): forget ours and read it again.
      entry.state = 'loading';
      entry.record = undefined;
      this.#loader.request(id);
    }
  }

  #onRejected(id: string, error: unknown): void {
    this.#onceLog.error(
      `write:${id}`,
      { instanceId: id, error: errorMessage(error) },
      'database refused an instance write; dropped',
    );
    this.#entries.delete(id);
  }

  /**
   * Forgets instances known to be absent once that knowledge expires, and instances that went quiet
   * with nothing left to write (a workspace deleted without a STOPPED status): both are read again
   * on their next status, so memory follows the live instances, not every instance ever seen.
   */
  #sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.#entries) {
      if (entry.state === 'absent' && entry.absentUntil <= now) this.#entries.delete(id);
      else if (
        entry.state === 'ready' &&
        entry.touchedAt < now - QUIET_EVICT_MS &&
        !this.#batcher.holds(id)
      ) {
        this.#entries.delete(id);
      }
    }
  }
}
