/**
 * The sync engine: one logical mailbox per instance. Statuses are validated, then reduced on arrival
 * against the instance's cached row (read once, in batches, when first seen); the resulting complete
 * row goes to the write batcher, and committed changes are handed to the notifier. Per instance,
 * order is arrival order; a status that waits for its row waits alone, other instances go on. Stops
 * the bridge decides (controllers, forced deregistration) go through the same mailboxes.
 */
import type { WorkspaceStatus } from '../generated/wsman/core.js';
import { WorkspaceType } from '../generated/wsman/core.js';
import type { BackoffOptions } from '../lifecycle/backoff.js';
import { errorMessage, untilAborted } from '../lifecycle/abort.js';
import type { Service, ServiceState } from '../lifecycle/service.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { disabledTracing, TurnSpan, type Tracing } from '../observability/tracing.js';
import type { BatchOptions, InstanceNotification, OutboxMessage, Store } from '../store/ports.js';
import type { InstanceRecord } from '../store/types.js';
import type { StatusSink } from '../wsman/cluster-subscriber.js';
import { adoptedRecord, workspaceTypeOf } from './adopt.js';
import { InstanceLoader } from './instance-loader.js';
import { statusChange, stopChange, type InstanceChange } from './instance-writes.js';
import {
  enqueue,
  firstStatus,
  forgetOldest,
  loadingEntry,
  QUIET_EVICT_MS,
  readyEntry,
  type Entry,
  type Queued,
  type ReadyEntry,
  type StopCommand,
} from './mailbox.js';
import { markStopped } from './mark-stopped.js';
import { boundedKey, OnceLog } from '../observability/once-log.js';
import type { PrebuildMapperOptions } from './prebuild-mapper.js';
import { reducePrebuild, type PrebuildReduction } from './prebuild-reducer.js';
import { reportEvents } from './reduction-events.js';
import type { Reduction, StatusReducer, ValidationResult } from './reduction.js';
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

/** What one commit tells the notifier, in order: messages before the instance notifications. */
export interface CommittedChanges {
  messages: OutboxMessage[];
  instances: InstanceNotification[];
  /** The revision the commit gave their outbox rows; undefined without the outbox. */
  revision: bigint | undefined;
}

/** A stop the bridge decided for one instance. */
export interface StopRequest {
  /** The instance as the decision saw it (read from the database). */
  record: InstanceRecord;
  /** Why, for the log line. */
  reason: string;
  /**
   * Skip the stop when the instance moved past the version the decision saw (a newer status arrived
   * since): the decision is stale and the next one will see the new state. @default false
   */
  guard?: boolean;
}

export interface SyncEngineOptions {
  store: Pick<Store, 'loadInstances' | 'writeBatch' | 'ping' | 'capabilities' | 'isTransientError'>;
  /** Receives committed changes (the notifier). */
  notify: (committed: CommittedChanges) => void;
  validate: (status: WorkspaceStatus) => ValidationResult;
  reduce: StatusReducer;
  logger: Logger;
  metrics: Metrics;
  /** Create rows for instances the database does not know. @default false */
  adoptUnknown?: boolean;
  /** Record notifications in the outbox (durable publisher). @default false */
  outbox?: boolean;
  /** This replica: the writer recorded on outbox rows. @default '' */
  replica?: string;
  /**
   * The fencing tokens of the leases this replica holds, read for each batch; undefined when this
   * process is the only writer (SQLite). @default no fencing
   */
  fence?: () => BatchOptions['fence'];
  /** How prebuild states are decided. @default { stoppedPrebuildStatuses: false } */
  prebuilds?: PrebuildMapperOptions;
  backoff: BackoffOptions;
  /** How long "not in the database" is believed before the row is read again. @default 30000 */
  absentTtlMs?: number;
  probe?: SyncProbe;
  /** Wall clock for observation timestamps. @default () => new Date() */
  now?: () => Date;
  /** Spans for reductions and commits. @default off */
  tracing?: Tracing;
  /**
   * Backlog (writes queued or in flight, and rows being read) at which the streams are held back
   * until it has fallen to half. Writes fold per instance, so without a limit the backlog is
   * bounded by the instances held, and a database slower than the streams keeps up by writing each
   * instance's latest row once; a limit below that bounds memory instead and gives up some of the
   * folding (decision 51). @default no limit
   */
  maxBacklog?: number;
  /**
   * Instances held in memory. Beyond it, those with nothing being written are forgotten, oldest
   * first, down to nine tenths of it, and read again on their next status; while the rest cannot be
   * forgotten (their rows are being read or written), the streams are held back. @default no limit
   */
  maxInstances?: number;
}

/** Applies ws-manager statuses to the store. Implements StatusSink for cluster subscribers. */
export class SyncEngine implements StatusSink, Service {
  readonly #o: SyncEngineOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #loader: InstanceLoader;
  readonly #batcher: WriteBatcher;
  readonly #onceLog: OnceLog;
  readonly #now: () => Date;
  readonly #prebuilds: PrebuildMapperOptions;
  #sweeper: NodeJS.Timeout | undefined;
  #state: ServiceState = 'idle';
  #applied = 0;
  #isoAt = 0;
  #iso = '';
  readonly #reduceSpan: TurnSpan;
  readonly #maxBacklog: number;
  readonly #maxInstances: number;
  #reliefWaiters: (() => void)[] = [];

  constructor(options: SyncEngineOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#prebuilds = options.prebuilds ?? { stoppedPrebuildStatuses: false };
    this.#maxBacklog = options.maxBacklog ?? Infinity;
    this.#maxInstances = options.maxInstances ?? Infinity;
    this.#onceLog = new OnceLog(options.logger);
    this.#reduceSpan = new TurnSpan(
      options.tracing ?? disabledTracing(),
      'bridge.reduce',
      {},
      'bridge.statuses',
    );
    this.#loader = new InstanceLoader({
      store: options.store,
      logger: options.logger,
      backoff: options.backoff,
      onLoaded: (results) => {
        this.#onLoaded(results);
        this.#relieve();
      },
      onError: () => options.metrics.dbLoadErrorsTotal.inc(),
    });
    this.#batcher = new WriteBatcher({
      store: options.store,
      logger: options.logger,
      metrics: options.metrics,
      batchOptions: () => ({
        outbox: options.outbox ?? false,
        replica: options.replica ?? '',
        fence: options.fence?.(),
      }),
      maxBatchSize: options.store.capabilities.maxBatchSize,
      backoff: options.backoff,
      tracing: options.tracing,
      onCommitted: (applied, revision) => this.#onCommitted(applied, revision),
      onConflicted: (writes) => this.#onConflicted(writes),
      onFenced: (writes) => this.#onFenced(writes),
      onRejected: (write, error) => this.#onRejected(write, error),
      onProgress: () => this.#relieve(),
    });
  }

  /** idle until `start()`, running, stopped after `stop()` or `drain()`. Statuses are taken in any state. */
  get state(): ServiceState {
    return this.#state;
  }

  /** Starts the sweep that evicts instances gone quiet or known absent. */
  start(): Promise<void> {
    if (this.#state === 'idle') {
      this.#sweeper = setInterval(() => this.#sweep(), 10_000).unref();
      this.#state = 'running';
    }
    return Promise.resolve();
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

  /**
   * Work taken in but not through: instances with a write queued or in flight, and rows waiting to
   * be read.
   */
  get backlog(): number {
    return this.#batcher.dirty + this.#loader.queued;
  }

  /**
   * Flow control for the streams, asked after each status: undefined while the backlog is under
   * `maxBacklog` and the instances held fit `maxInstances`; beyond either, a promise that resolves
   * once the backlog has fallen to half its limit and the instances fit again (or the engine
   * stopped). A stream takes nothing more until then, so a database slower than its clusters leaves
   * their statuses in the sockets (HTTP/2 flow control) instead of on the heap.
   */
  backpressure(): Promise<void> | undefined {
    if (this.#state === 'stopped' || (this.backlog < this.#maxBacklog && !this.#overfull())) return undefined;
    return new Promise((resolve) => this.#reliefWaiters.push(resolve));
  }

  /** Releases the streams held back once the backlog is down to half its limit and the instances fit. */
  #relieve(): void {
    if (this.#reliefWaiters.length === 0) return;
    if (this.#state !== 'stopped' && (this.backlog > this.#maxBacklog / 2 || this.#overfull())) return;
    const waiters = this.#reliefWaiters;
    this.#reliefWaiters = [];
    for (const release of waiters) release();
  }

  /** True when more instances are held than `maxInstances`, even after forgetting what can be. */
  #overfull(): boolean {
    if (this.#entries.size <= this.#maxInstances) return false;
    this.#trim();
    return this.#entries.size > this.#maxInstances;
  }

  /**
   * Forgets instances down to nine tenths of `maxInstances`, the longest held first: known-absent
   * ones, and rows with nothing queued or being written (the database holds their latest state, and
   * their next status reads it again). Rows being read and writes not yet committed stay.
   */
  #trim(): void {
    const target = Math.floor(this.#maxInstances * 0.9);
    const inUse = (id: string, entry: ReadyEntry): boolean =>
      entry.adopt !== undefined || this.#batcher.holds(id);
    const forgotten = forgetOldest(this.#entries, target, inUse);
    if (forgotten > 0) this.#o.metrics.instancesForgottenTotal.inc({ reason: 'limit' }, forgotten);
  }

  /** Phase of every tracked instance (progress display). */
  phaseCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.#entries.values()) {
      if (e.state !== 'ready') continue;
      counts.set(e.record.row.phase, (counts.get(e.record.row.phase) ?? 0) + 1);
    }
    return counts;
  }

  snapshot(cluster: string, statuses: readonly WorkspaceStatus[]): void {
    this.#o.metrics.clusterMessagesTally.add(cluster, 'snapshot', statuses.length);
    for (const status of statuses) this.#intake(cluster, status);
  }

  status(cluster: string, status: WorkspaceStatus): void {
    this.#o.metrics.clusterMessagesTally.add(cluster, 'stream');
    this.#intake(cluster, status);
  }

  /**
   * Marks instances stopped through their mailboxes (nothing writes instances around the engine) and
   * resolves once these stops are committed, whatever else is being written. Returns how many were
   * marked and written. When `signal` fires, stops waiting (the stops still go through) and rejects
   * with an AbortError.
   */
  async stopInstances(requests: readonly StopRequest[], signal?: AbortSignal): Promise<number> {
    const observedAt = this.#now().toISOString();
    const settled = requests.map(
      (request) =>
        new Promise<boolean>((settle) => {
          const decidedAtVersion = request.guard ? request.record.row.statusVersion : undefined;
          this.#command(request.record, { stop: request.reason, observedAt, decidedAtVersion, settle });
        }),
    );
    const marked = await untilAborted(Promise.all(settled), signal);
    return marked.filter(Boolean).length;
  }

  /**
   * Resolves once the writes of a cluster's instances that are queued or in flight now have
   * settled (committed or not), however busy other clusters keep the engine. At most `graceMs`.
   */
  async whenClusterWritten(cluster: string, graceMs: number): Promise<boolean> {
    const ids = [...this.#entries].filter(([, e]) => e.cluster === cluster).map(([id]) => id);
    const timeout = AbortSignal.timeout(graceMs);
    try {
      await untilAborted(this.#batcher.whenSettled(ids), timeout);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Forgets everything held for a cluster whose lease this replica no longer holds: cached rows,
   * statuses waiting for their rows, and queued writes (they could only be fenced). Stops waiting in
   * those mailboxes are settled as not written.
   */
  releaseCluster(cluster: string): void {
    const ids: string[] = [];
    for (const [id, entry] of this.#entries) {
      if (entry.cluster !== cluster) continue;
      ids.push(id);
      if (entry.state === 'loading') for (const item of entry.queue) if ('stop' in item) item.settle(false);
      this.#entries.delete(id);
    }
    this.#batcher.discard(ids);
    this.#relieve();
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
    await this.stop();
    return done;
  }

  /** Stops timers and retries; stops still waiting for their rows or writes are settled as not written. */
  stop(): Promise<void> {
    this.#state = 'stopped';
    clearInterval(this.#sweeper);
    this.#loader.stop();
    this.#batcher.stop();
    for (const entry of this.#entries.values()) {
      if (entry.state !== 'loading') continue;
      for (const item of entry.queue) if ('stop' in item) item.settle(false);
      entry.queue = entry.queue.filter((item) => !('stop' in item));
    }
    this.#relieve();
    return Promise.resolve();
  }

  #hasQueued(): boolean {
    for (const e of this.#entries.values()) if (e.state === 'loading' && e.queue.length > 0) return true;
    return false;
  }

  #intake(cluster: string, raw: WorkspaceStatus): void {
    this.#o.probe?.received?.(raw);
    const checked = this.#o.validate(raw);
    if (!checked.ok) {
      this.#o.metrics.invalidStatusUpdatesTotal.inc({ workspace_cluster: cluster, reason: checked.reason });
      // A refused id may be hostile and huge: the line names it cut like the key.
      const instanceId = boundedKey(raw.id);
      this.#onceLog.warn(`${raw.id}:${checked.reason}`, { cluster, instanceId }, checked.message);
      this.#o.probe?.skipped?.(raw);
      return;
    }
    const status = checked.status;
    const type = workspaceTypeOf(status.spec.type);
    this.#o.metrics.updateStartedTally.add(cluster, type);
    const now = Date.now();
    const queued: Queued = { status, observedAt: this.#observedAt(now), receivedAt: performance.now() };
    let entry = this.#entries.get(status.id);
    if (!entry || (entry.state === 'absent' && entry.absentUntil <= now)) {
      entry = loadingEntry(cluster, now);
      this.#entries.set(status.id, entry);
      this.#loader.request(status.id);
    }
    entry.touchedAt = now;
    if (entry.state === 'loading') {
      enqueue(entry, queued);
    } else if (entry.state === 'absent') {
      this.#unknown(entry.cluster, status.id);
      this.#o.probe?.skipped?.(status);
    } else {
      this.#apply(entry, queued);
    }
  }

  /** The observation time of a status arriving at `now` (Date.now()): one string per millisecond. */
  #observedAt(now: number): string {
    if (this.#o.now) return this.#o.now().toISOString();
    if (now !== this.#isoAt) {
      this.#isoAt = now;
      this.#iso = new Date(now).toISOString();
    }
    return this.#iso;
  }

  #unknown(cluster: string, id: string): void {
    this.#o.metrics.statusUpdatesTally.add(cluster, 'false');
    this.#onceLog.debug(
      `unknown:${id}`,
      { cluster, instanceId: id },
      'status for an instance not in the database',
    );
  }

  #apply(entry: ReadyEntry, q: Queued): void {
    const record = entry.record;
    const id = record.row.id;
    const cluster = entry.cluster;
    this.#o.metrics.statusUpdatesTally.add(cluster, 'true');
    this.#reduceSpan.add();
    let reduction: Reduction;
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
    if (reduction.events.length > 0) {
      const context = { cluster, instanceId: id, workspaceId: record.row.workspaceId };
      reportEvents(this.#o, context, record, reduction.events);
    }
    const prebuild = this.#reducePrebuild(entry, q, reduction);
    const owner = q.status.metadata.owner;
    if (reduction.kind === 'apply') {
      const started = reduction.events.some((e) => e.type === 'started');
      const { row, metrics } = reduction;
      const change = { row, metrics, started, prebuild, owner, receivedAt: q.receivedAt, lease: cluster };
      this.#submit(entry, statusChange(record, change, entry.adopt));
      return;
    }
    if (reduction.reason === 'stale') this.#o.metrics.staleStatusUpdatesTotal.inc();
    if (reduction.statusVersion > record.row.statusVersion) {
      entry.record = { ...record, row: { ...record.row, statusVersion: reduction.statusVersion } };
    }
    if (prebuild?.kind === 'apply') {
      // The row does not change but its prebuild does: the row goes along, so both share one commit.
      const row = entry.record.row;
      const change = {
        row,
        metrics: undefined,
        started: false,
        prebuild,
        owner,
        receivedAt: q.receivedAt,
        lease: cluster,
      };
      this.#submit(entry, statusChange(entry.record, change, entry.adopt));
      return;
    }
    this.#outcome(cluster, record, 'skipped', q.receivedAt);
    this.#o.probe?.skipped?.(q.status);
  }

  /** The prebuild's reduction for a status of a prebuild workspace; undefined for any other status. */
  #reducePrebuild(entry: ReadyEntry, q: Queued, reduction: Reduction): PrebuildReduction | undefined {
    if (q.status.spec.type !== WorkspaceType.PREBUILD) return undefined;
    // A status the instance already saw is not newer for its prebuild either.
    if (reduction.kind === 'skip' && reduction.reason === 'stale') return undefined;
    const { record, cluster } = entry;
    if (record.prebuild === null) {
      this.#onceLog.warn(
        `no-prebuild:${record.row.id}`,
        { cluster, instanceId: record.row.id, workspaceId: record.row.workspaceId },
        'prebuild workspace without a prebuild row; its prebuild state is not tracked',
      );
      return undefined;
    }
    const result = reducePrebuild(record.prebuild, q.status, this.#prebuilds);
    if (result.kind === 'skip' && result.reason === 'stale') this.#o.metrics.stalePrebuildEventsTotal.inc();
    return result;
  }

  #submit(entry: ReadyEntry, change: InstanceChange): void {
    entry.record = change.record;
    this.#batcher.submit(change.pending);
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
      if (entry?.state !== 'loading') continue;
      const { cluster, touchedAt, queue } = entry;
      let ready: ReadyEntry;
      const first = firstStatus(queue);
      if (record) {
        ready = readyEntry(cluster, touchedAt, record);
      } else if (this.#o.adoptUnknown && first) {
        const adopted = adoptedRecord(first.status, cluster, first.observedAt);
        ready = readyEntry(cluster, touchedAt, adopted.record, {
          workspace: adopted.workspace,
          prebuild: adopted.prebuild,
        });
      } else {
        const absentUntil = Date.now() + (this.#o.absentTtlMs ?? 30_000);
        this.#entries.set(id, { state: 'absent', cluster, touchedAt, absentUntil });
        for (const item of queue) {
          if ('stop' in item) {
            item.settle(false);
            continue;
          }
          this.#unknown(cluster, id);
          this.#o.probe?.skipped?.(item.status);
        }
        continue;
      }
      this.#entries.set(id, ready);
      for (const item of queue) {
        if ('stop' in item) this.#stop(ready, item);
        else this.#apply(ready, item);
      }
    }
  }

  /** Delivers a stop to the instance's mailbox; a record read by the caller makes an unknown instance known. */
  #command(record: InstanceRecord, command: StopCommand): void {
    const id = record.row.id;
    const now = Date.now();
    let entry = this.#entries.get(id);
    if (!entry || entry.state === 'absent') {
      entry = readyEntry(record.row.clusterName, now, record);
      this.#entries.set(id, entry);
    }
    entry.touchedAt = now;
    if (entry.state === 'loading') entry.queue.push(command);
    else this.#stop(entry, command);
  }

  #stop(entry: ReadyEntry, command: StopCommand): void {
    const record = entry.record;
    const id = record.row.id;
    const context = { cluster: entry.cluster, instanceId: id, previousPhase: record.row.phase };
    if (command.decidedAtVersion !== undefined && record.row.statusVersion > command.decidedAtVersion) {
      this.#o.logger.debug({ ...context, reason: command.stop }, 'not stopping: the instance moved on');
      command.settle(false);
      return;
    }
    const row = markStopped(record.row, command.observedAt);
    if (!row) {
      command.settle(false);
      return;
    }
    this.#o.metrics.instancesMarkedStoppedTotal.inc({ previous_phase: record.row.phase });
    this.#o.logger.info({ ...context, reason: command.stop }, 'marking instance stopped');
    const write = { adopt: entry.adopt, lease: entry.cluster };
    this.#submit(entry, stopChange(record, row, write, command.settle));
  }

  #onCommitted(applied: PendingWrite[], revision: bigint | undefined): void {
    const committed: CommittedChanges = { messages: [], instances: [], revision };
    const ids: string[] = [];
    for (const p of applied) {
      const id = p.write.row.id;
      const entry = this.#entries.get(id);
      const ready = entry?.state === 'ready' ? entry : undefined;
      if (ready && p.write.adopt) ready.adopt = undefined;
      const cluster = entry?.cluster ?? p.write.row.clusterName;
      const type = ready?.record.workspaceType ?? 'regular';
      for (const at of p.receivedAt) {
        this.#o.metrics.updateCompletedSeconds.observe(
          { workspace_cluster: cluster, workspace_instance_type: type, outcome: 'success' },
          (performance.now() - at) / 1000,
        );
      }
      if (p.prebuildCompleted) this.#o.metrics.prebuildsCompletedTotal.inc({ state: p.prebuildCompleted });
      if (p.write.messages) committed.messages.push(...p.write.messages);
      committed.instances.push(p.write.notify);
      ids.push(id);
      // A stopped, fully written instance leaves memory; a late status reads it again.
      if (ready?.record.row === p.write.row && p.write.row.phase === 'stopped') this.#entries.delete(id);
    }
    this.#applied += applied.length;
    this.#o.notify(committed);
    this.#o.probe?.committed?.(ids);
  }

  #onConflicted(writes: PendingWrite[]): void {
    for (const { write } of writes) {
      const id = write.row.id;
      const entry = this.#entries.get(id);
      if (!entry) continue;
      // The database holds a newer row (another writer won): forget ours and read it again.
      this.#entries.set(id, loadingEntry(entry.cluster, entry.touchedAt));
      this.#loader.request(id);
    }
  }

  #onFenced(writes: PendingWrite[]): void {
    for (const { write } of writes) {
      this.#onceLog.warn(
        `fenced:${write.lease ?? ''}`,
        { cluster: write.lease, instanceId: write.row.id },
        'write not committed: this replica no longer holds the cluster lease',
      );
      this.#entries.delete(write.row.id);
    }
  }

  #onRejected(write: PendingWrite, error: unknown): void {
    const id = write.write.row.id;
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
    let quiet = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.state === 'absent' && entry.absentUntil <= now) this.#entries.delete(id);
      else if (
        entry.state === 'ready' &&
        entry.touchedAt < now - QUIET_EVICT_MS &&
        !this.#batcher.holds(id)
      ) {
        this.#entries.delete(id);
        quiet++;
      }
    }
    if (quiet > 0) this.#o.metrics.instancesForgottenTotal.inc({ reason: 'quiet' }, quiet);
    // Statuses of a snapshot do not ask for flow control: what they brought in beyond the limit goes here.
    if (this.#entries.size > this.#maxInstances) this.#trim();
    this.#relieve();
  }
}
