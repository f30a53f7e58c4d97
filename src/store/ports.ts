/**
 * Ports the sync engine, controllers and cluster API use. Adapters (`sqlite/`, `postgres/`) implement
 * them; callers never import an adapter. One contract suite (test/contract) runs against every adapter.
 */
import { CodedError } from '../lifecycle/coded-error.js';
import type {
  ClusterRow,
  InstanceMetrics,
  InstancePhase,
  InstanceRecord,
  InstanceRow,
  InstanceState,
  PrebuildRow,
  PrebuildState,
  WorkspaceRow,
} from './types.js';

/**
 * One instance write inside a batch. Everything it carries is written in the batch's transaction and,
 * except an adopted workspace row, only if the instance row itself is written (not refused for a
 * newer version).
 */
export interface InstanceWrite {
  /** The complete next row. Only the bridge-owned columns are written for an existing row. */
  row: InstanceRow;
  /**
   * The phase of the row this write follows (the writer's previous row), when it knows one. A hint,
   * never trusted: with the same phase as `row`, SQLite first tries an update that leaves the phase
   * column alone, which applies only where the stored row still has that phase, and otherwise runs
   * the full update. A wrong or missing hint costs at most one statement.
   */
  previousPhase?: InstancePhase;
  /** The complete, already merged metrics value to store, or undefined to leave the metrics row alone. */
  metrics?: InstanceMetrics;
  /**
   * Set when the bridge adopts an instance unknown to the database: the workspace (and, for a
   * prebuild workspace, its prebuild row) are inserted if absent, and the instance row too.
   */
  adopt?: { workspace: WorkspaceRow; prebuild?: PrebuildRow };
  /** Notification to record in the outbox with the write (only when the batch asks for an outbox). */
  notify?: InstanceNotification;
  /**
   * The next state of the instance's prebuild: only state, snapshot, error and status_version are
   * written, and only unless the stored prebuild's `status_version` is newer.
   */
  prebuild?: PrebuildRow;
  /** Further messages to record in the message outbox (only when the batch asks for an outbox). */
  messages?: readonly OutboxMessage[];
  /**
   * Deletes the user's `user_tokens` rows whose name starts with `namePrefix` (literally, no
   * wildcards). An empty prefix matches every token of the user: callers pass `<instanceId>-`.
   */
  revokeTokens?: { userId: string; namePrefix: string };
  /**
   * The lease the write is made under: the cluster whose stream or controller produced it. Required
   * when the batch is fenced (`BatchOptions.fence`).
   */
  lease?: string;
}

/**
 * A message other than an instance notification (prebuild, headless and lifecycle channels), kept in
 * the message outbox until delivered. Coalesced by `key`: a newer message with the same key replaces
 * an undelivered older one.
 */
export interface OutboxMessage {
  key: string;
  channel: string;
  /** The exact payload text, published verbatim. */
  payload: string;
}

/** An outbox row's content and its revision, which every write of the row changes. */
export interface Revised<T> {
  value: T;
  revision: bigint;
}

/** What other services are told about an instance change (`chan:workspace-instances`). */
export interface InstanceNotification {
  ownerID: string;
  instanceID: string;
  workspaceID: string;
}

export interface BatchOptions {
  /**
   * Record each write's `notify` and `messages` in the outbox in the same transaction (durable
   * publishers only).
   */
  outbox: boolean;
  /** The replica recorded as the writer of outbox rows (it delivers and acknowledges them). */
  replica: string;
  /**
   * Commit each write only while `holder` holds the write's lease (`InstanceWrite.lease`) with the
   * given epoch, checked inside the transaction with the lease row locked against a takeover. Writes
   * whose lease is absent from `epochs` (or that have none), expired or taken are not written at all
   * and come back as fenced. Undefined: no fencing. A store without leases (SQLite, one writer)
   * ignores it and writes as without a fence.
   */
  fence?: { holder: string; epochs: ReadonlyMap<string, bigint> };
}

/** Outcome of one batch. Every write's id is in exactly one of the three lists. */
export interface BatchResult {
  /** Ids whose row was written. */
  applied: string[];
  /**
   * Ids not written because the stored row has a newer `status_version` (another writer won) or the
   * row no longer exists. The caller drops its cached copy and re-reads.
   */
  conflicted: string[];
  /** Ids not written because this replica does not hold their lease (any more). */
  fenced: string[];
  /**
   * The revision the batch gave the outbox rows it wrote (all of them share it), when it was written
   * with `outbox` and applied a write; the notifier acknowledges their delivery at it, so it need not
   * read the revisions back.
   */
  revision?: bigint;
}

/** What a store can do, so that callers pick strategies without knowing the backend. */
export interface StoreCapabilities {
  /** Several processes may write concurrently (PostgreSQL) or only this one (SQLite file). */
  readonly concurrentWriters: boolean;
  /** A good upper bound for the number of writes in one batch. */
  readonly maxBatchSize: number;
}

/** How many instances of one cluster are in one phase. */
export interface ActiveInstanceCount {
  clusterName: string;
  phase: InstancePhase;
  count: number;
}

export interface InstanceStore {
  /** Loads the given instances with owner, workspace type, organization, metrics and prebuild. Unknown ids are absent. */
  loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>>;
  /**
   * Writes a batch in one transaction. Each row is written only if the stored `status_version` is not
   * newer than the row's. Throws only when the transaction as a whole fails (nothing written).
   */
  writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult>;
  /** Number of instances per phase (progress display, operators). */
  countInstancesByPhase(): Promise<Map<InstancePhase, number>>;
  /**
   * Number of instances per cluster and phase, stopped ones left out (the status page): one
   * aggregate query, whatever the number of instances.
   */
  countActiveInstances(): Promise<ActiveInstanceCount[]>;
  /**
   * Lists whole records matching the filter, all in one read (the benchmarks and tests inspect the
   * database with it; the bridge itself reads many instances in pages, see `record-pages.ts`).
   */
  listInstances(filter: {
    clusterName?: string;
    phases?: readonly InstancePhase[];
  }): Promise<InstanceRecord[]>;
  /**
   * The first `limit` ids (by id) of a cluster's instances of regular workspaces in the given phases,
   * and how many there are in all (deregistration's refusal names a few and counts them all).
   */
  listRegularInstanceIds(filter: {
    clusterName: string;
    phases: readonly InstancePhase[];
    limit: number;
  }): Promise<{ total: number; ids: string[] }>;
  /**
   * The columns the controller's rules read of a cluster's instances in one phase, by id: at most
   * `limit`, after the id `after` when given. A caller pages through a large cluster with it
   * (`statePages`), holding a few dozen bytes per instance instead of its whole record.
   */
  listInstanceStates(filter: {
    clusterName: string;
    phase: InstancePhase;
    after?: string;
    limit: number;
  }): Promise<InstanceState[]>;
}

/**
 * The outbox: notifications and messages committed with their writes and not yet delivered. Each row
 * names the replica that wrote it; that replica delivers and acknowledges it, and rows of replicas
 * that are gone are claimed by a live one.
 */
export interface OutboxStore {
  /**
   * A revision above that of every outbox row written before the call and not above that of any row
   * written after it: what a process reads back as left over from before its start is below it.
   */
  outboxHorizon(): Promise<bigint>;
  /** The replica's notifications not yet acknowledged, oldest first; with `below`, only rows under that revision. */
  pendingNotifications(limit: number, replica: string, below?: bigint): Promise<InstanceNotification[]>;
  /**
   * The rows of these instances the replica owns, with their revisions (by instance id; ids without
   * a row are absent). Every write of a row gives it a new revision.
   */
  notificationRevisions(
    instanceIds: readonly string[],
    replica: string,
  ): Promise<Map<string, Revised<InstanceNotification>>>;
  /**
   * Removes delivered notifications the replica still owns (a row another replica rewrote stays).
   * With `revisions` (instance id → the revision the delivery covered), a row rewritten since stays
   * too, and ids without a revision are left alone.
   */
  ackNotifications(
    instanceIds: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void>;
  /** The replica's messages not yet acknowledged, oldest first (then by key); `below` as in `pendingNotifications`. */
  pendingMessages(limit: number, replica: string, below?: bigint): Promise<OutboxMessage[]>;
  /** As `notificationRevisions`, for messages by key. */
  messageRevisions(keys: readonly string[], replica: string): Promise<Map<string, Revised<OutboxMessage>>>;
  /** Removes delivered messages by key, where the replica still owns them; `revisions` as in `ackNotifications`. */
  ackMessages(
    keys: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void>;
  /**
   * Hands rows written by replicas not in `live` over to `replica` (up to `limit` per table, oldest
   * first) and returns them, oldest first: they are this replica's to deliver from now on. Its own
   * rows are never claimed, named in `live` or not. Replicas claiming at once never get the same row.
   */
  claimOrphans(
    replica: string,
    live: readonly string[],
    limit: number,
  ): Promise<{ notifications: InstanceNotification[]; messages: OutboxMessage[] }>;
}

/** A row of `cluster_leases`: who streams and controls a cluster (or the installation's instances). */
export interface LeaseRow {
  name: string;
  holder: string;
  /** Incremented on every take; the fencing token. */
  epoch: bigint;
  /** ISO time, by the database clock. */
  expiresAt: string;
  /** True once `expiresAt` has passed, by the database clock: free for anyone to take. */
  expired: boolean;
  /** A replica that asked the holder to hand the lease over (forced deregistration), or null. */
  wantedBy: string | null;
}

/**
 * Leases and replica heartbeats in a database several replicas share. Every time is the database's
 * clock, so replicas never compare their own clocks with each other.
 */
export interface LeaseStore {
  /** Records that the replica is alive for `ttlMs` from now. */
  heartbeat(replica: string, ttlMs: number): Promise<void>;
  /** Removes the replica's heartbeat (orderly stop). */
  leave(replica: string): Promise<void>;
  /** Replicas whose heartbeat has not expired, sorted. */
  liveReplicas(): Promise<string[]>;
  /** Every lease row, sorted by name. */
  listLeases(): Promise<LeaseRow[]>;
  /**
   * Takes the lease `name` for `holder` when it does not exist, has expired, or is held by `holder`
   * (a restarted process of the same replica id), unless another replica asked for it (`want`) within
   * the last two lease durations. A take increments the epoch and clears the request. Returns the new
   * epoch, or undefined when the lease is held by someone else.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<bigint | undefined>;
  /**
   * Extends the holder's leases that still carry these epochs and have not expired. Returns the names
   * renewed and, among them, those another replica asked for.
   */
  renew(
    holder: string,
    leases: readonly { name: string; epoch: bigint }[],
    ttlMs: number,
  ): Promise<{ renewed: string[]; wanted: string[] }>;
  /** Ends the holder's leases now (`expires_at = now`), so another replica can take them at once. */
  release(holder: string, names: readonly string[]): Promise<void>;
  /** Asks the holder of `name` to hand it to `replica` (it releases it at its next renewal). */
  want(name: string, replica: string): Promise<void>;
  /** Deletes the lease row of a cluster that no longer exists, if `holder` holds it. */
  forget(name: string, holder: string): Promise<void>;
  /**
   * Calls `listener` with the cluster name whenever a row of `workspace_clusters` is inserted, updated
   * or deleted by any replica (PostgreSQL LISTEN/NOTIFY). Resolves once listening (or after a failed
   * first attempt). Reconnects by itself; changes made while it reconnects are not replayed. The
   * result stops it; `close()` stops it too.
   */
  onClusterChange(listener: (name: string) => void): Promise<() => Promise<void>>;
}

export interface PrebuildStore {
  /** Number of prebuilds per state (progress display); states without prebuilds are absent. */
  countPrebuildsByState(): Promise<Map<PrebuildState, number>>;
}

/** Columns of a cluster a caller may change; absent keys are left alone. */
export type ClusterPatch = Partial<Omit<ClusterRow, 'name' | 'createdAt' | 'updatedAt'>>;

export interface ClusterStore {
  listClusters(): Promise<ClusterRow[]>;
  getCluster(name: string): Promise<ClusterRow | undefined>;
  /**
   * Inserts a new cluster. Throws `ClusterExistsError` when the name or the URL is taken (`field`
   * says which; the name when both are), also when two inserts race.
   */
  insertCluster(row: ClusterRow): Promise<void>;
  /**
   * Changes only the given columns (and `updated_at`). Returns false when there is no such cluster.
   * Throws `ClusterExistsError('url', …)` when the patch sets the URL of another cluster.
   */
  updateCluster(name: string, patch: ClusterPatch): Promise<boolean>;
  /** Deletes a cluster. Returns false when there was none. */
  deleteCluster(name: string): Promise<boolean>;
}

/**
 * Rows the platform creates (workspaces, instances). The bridge uses it to adopt unknown instances
 * (`--adopt-unknown`); tests and the demo use it to seed what the platform would have written.
 */
export interface PlatformStore {
  /** Inserts workspaces; rows whose id exists are left as they are. */
  createWorkspaces(rows: readonly WorkspaceRow[]): Promise<void>;
  /** Inserts instances (and empty metrics); rows whose id exists are left as they are. */
  createInstances(rows: readonly InstanceRow[]): Promise<void>;
  /** Inserts prebuilds; rows whose id exists are left as they are. */
  createPrebuilds(rows: readonly PrebuildRow[]): Promise<void>;
}

/** The whole store: one object per process, opened by `openStore`. */
export interface Store extends InstanceStore, OutboxStore, PrebuildStore, ClusterStore, PlatformStore {
  readonly capabilities: StoreCapabilities;
  /** Leases for replicas sharing the database; undefined where only one process may write (SQLite). */
  readonly leases: LeaseStore | undefined;
  /**
   * Claims the database for this process where only one may write (SQLite file): throws
   * `StoreInUseError` naming the running holder when another process has it; a claim left by a dead
   * process of this host is taken over. Released by `close()`. A no-op where several processes may
   * write (PostgreSQL) or nobody else can (SQLite ':memory:').
   */
  claimSoleWriter(holder: string): Promise<void>;
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  /** A trivial query, for readiness. */
  ping(): Promise<void>;
  /**
   * Opens the connections and prepares the statements the write path runs, so that the first
   * statuses do not wait for them. Call after `migrate()`; an error only means they are made on
   * first use instead.
   */
  warm(): Promise<void>;
  /**
   * True when an error of this store means the database cannot serve now (unreachable, busy, shutting
   * down) and the same request may succeed later; false when the request itself was refused.
   */
  isTransientError(error: unknown): boolean;
  close(): Promise<void>;
}

/** Thrown by `insertCluster` when a cluster of that name, or with that URL, exists. */
export class ClusterExistsError extends CodedError<'CLUSTER_EXISTS'> {
  /** Which unique column is taken. */
  readonly field: 'name' | 'url';
  constructor(field: 'name' | 'url', value: string) {
    super('CLUSTER_EXISTS', `a workspace cluster with ${field} "${value}" already exists`);
    this.field = field;
  }
}

/** Thrown by `claimSoleWriter` when another process writes the database. */
export class StoreInUseError extends CodedError<'STORE_IN_USE'> {
  /** The other process, as it described itself, e.g. `bridge-a (pid 42 on host h1 since <ISO time>)`. */
  readonly holder: string;
  constructor(what: string, holder: string) {
    super(
      'STORE_IN_USE',
      `${what} is in use by another ws-manager-bridge (${holder}); SQLite allows one bridge per file, use PostgreSQL for replicas`,
    );
    this.holder = holder;
  }
}
