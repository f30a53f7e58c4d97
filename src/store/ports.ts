/**
 * Ports the sync engine, controllers and cluster API use. Adapters (`sqlite/`, `postgres/`) implement
 * them; callers never import an adapter. One contract suite (test/contract) runs against every adapter.
 */
import type {
  ClusterRow,
  InstanceMetrics,
  InstancePhase,
  InstanceRecord,
  InstanceRow,
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
}

/** Outcome of one batch. Every write's id is in exactly one of the two lists. */
export interface BatchResult {
  /** Ids whose row was written. */
  applied: string[];
  /**
   * Ids not written because the stored row has a newer `status_version` (another writer won) or the
   * row no longer exists. The caller drops its cached copy and re-reads.
   */
  conflicted: string[];
}

/** What a store can do, so that callers pick strategies without knowing the backend. */
export interface StoreCapabilities {
  /** Several processes may write concurrently (PostgreSQL) or only this one (SQLite file). */
  readonly concurrentWriters: boolean;
  /** A good upper bound for the number of writes in one batch. */
  readonly maxBatchSize: number;
}

export interface InstanceStore {
  /** Loads the given instances with owner, workspace type, organization, metrics and prebuild. Unknown ids are absent. */
  loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>>;
  /** Loads every instance of a cluster whose phase is not `stopped` (cache warm-up at connect). */
  loadActiveInstances(clusterName: string): Promise<InstanceRecord[]>;
  /**
   * Writes a batch in one transaction. Each row is written only if the stored `status_version` is not
   * newer than the row's. Throws only when the transaction as a whole fails (nothing written).
   */
  writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult>;
  /** Number of instances per phase (progress display, operators). */
  countInstancesByPhase(): Promise<Map<InstancePhase, number>>;
  /** Lists instances of a cluster in the given phases (for controllers and deregistration). */
  listInstances(filter: {
    clusterName?: string;
    phases?: readonly InstancePhase[];
  }): Promise<InstanceRecord[]>;
}

export interface OutboxStore {
  /** Notifications recorded by committed batches and not yet acknowledged, oldest first. */
  pendingNotifications(limit: number): Promise<InstanceNotification[]>;
  /** Removes delivered notifications. */
  ackNotifications(instanceIds: readonly string[]): Promise<void>;
  /** Messages recorded by committed batches and not yet acknowledged, oldest first (then by key). */
  pendingMessages(limit: number): Promise<OutboxMessage[]>;
  /** Removes delivered messages by key. */
  ackMessages(keys: readonly string[]): Promise<void>;
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
  /** Inserts a new cluster. Throws `ClusterExistsError` when the name is taken. */
  insertCluster(row: ClusterRow): Promise<void>;
  /** Changes only the given columns (and `updated_at`). Returns false when there is no such cluster. */
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
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  /** A trivial query, for readiness. */
  ping(): Promise<void>;
  /**
   * True when an error of this store means the database cannot serve now (unreachable, busy, shutting
   * down) and the same request may succeed later; false when the request itself was refused.
   */
  isTransientError(error: unknown): boolean;
  close(): Promise<void>;
}

/** Thrown by `insertCluster` when a cluster of that name exists. */
export class ClusterExistsError extends Error {
  readonly code = 'CLUSTER_EXISTS';
  constructor(name: string) {
    super(`a workspace cluster named "${name}" already exists`);
    this.name = 'ClusterExistsError';
  }
}
