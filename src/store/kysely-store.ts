/** The `Store` both adapters share: Kysely for ordinary queries, the adapter for the hot path. */
import { sql, type Kysely } from 'kysely';
import type { Logger } from '../observability/logger.js';
import { assertUniqueIds } from './batch-rules.js';
import * as clusters from './cluster-queries.js';
import { StoreClosedError } from './errors.js';
import * as instances from './instance-queries.js';
import * as outbox from './outbox-queries.js';
import * as platform from './platform-queries.js';
import type {
  ActiveInstanceCount,
  BatchOptions,
  BatchResult,
  ClusterPatch,
  InstanceNotification,
  InstanceWrite,
  LeaseStore,
  OutboxMessage,
  Revised,
  Store,
  StoreCapabilities,
} from './ports.js';
import * as prebuilds from './prebuild-queries.js';
import { runMigrations } from './run-migrations.js';
import type { StoreSchema } from './schema.js';
import type { StoreAdapter, StoreCoordination } from './store-adapter.js';
import type {
  ClusterRow,
  InstancePhase,
  InstanceRecord,
  InstanceRow,
  InstanceState,
  PrebuildRow,
  PrebuildState,
  WorkspaceRow,
} from './types.js';

/** What `KyselyStore` is built from. */
export interface KyselyStoreOptions {
  /** Owns the connection(s): destroyed by `close()`. */
  db: Kysely<StoreSchema>;
  adapter: StoreAdapter;
  /** Lock file or leases; released by `close()` before the connections end. */
  coordination: StoreCoordination;
  logger: Logger;
}

/** A `Store` over a Kysely instance and an adapter. Every method throws `StoreClosedError` after `close()`. */
export class KyselyStore implements Store {
  readonly capabilities: StoreCapabilities;
  readonly #db: Kysely<StoreSchema>;
  readonly #adapter: StoreAdapter;
  readonly #coordination: StoreCoordination;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  constructor(options: KyselyStoreOptions) {
    this.#db = options.db;
    this.#adapter = options.adapter;
    this.#coordination = options.coordination;
    this.#logger = options.logger;
    this.capabilities = options.adapter.capabilities;
  }

  get leases(): LeaseStore | undefined {
    return this.#coordination.leases;
  }

  async claimSoleWriter(holder: string): Promise<void> {
    this.#open();
    return this.#coordination.claimSoleWriter(holder);
  }

  async migrate(): Promise<void> {
    return runMigrations(this.#open() as Kysely<unknown>, this.#adapter.migrations, this.#logger);
  }

  isTransientError(error: unknown): boolean {
    return this.#adapter.isTransientError(error);
  }

  async warm(): Promise<void> {
    await this.#adapter.warm?.();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#open());
  }

  /** Idempotent: a second call returns the first call's promise. Releases the lock file or listeners first. */
  close(): Promise<void> {
    this.#closing ??= this.#coordination
      .release()
      .then(() => this.#adapter.close?.())
      .finally(() => this.#db.destroy());
    return this.#closing;
  }

  async loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>> {
    this.#open();
    const unique = [...new Set(ids)];
    return unique.length === 0 ? new Map() : this.#adapter.loadInstances(unique);
  }

  /** Throws `DuplicateWriteError` (writing nothing) when an instance id appears twice: callers coalesce. */
  async writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult> {
    this.#open();
    assertUniqueIds(writes);
    if (writes.length === 0) return { applied: [], conflicted: [], fenced: [] };
    return this.#adapter.writeBatch(writes, options);
  }

  async countInstancesByPhase(): Promise<Map<InstancePhase, number>> {
    return instances.countInstancesByPhase(this.#open());
  }

  async countActiveInstances(): Promise<ActiveInstanceCount[]> {
    return instances.countActiveInstances(this.#open());
  }

  async listInstances(filter: {
    clusterName?: string;
    phases?: readonly InstancePhase[];
  }): Promise<InstanceRecord[]> {
    return instances.listInstances(this.#open(), filter);
  }

  async listRegularInstanceIds(filter: {
    clusterName: string;
    phases: readonly InstancePhase[];
    limit: number;
  }): Promise<{ total: number; ids: string[] }> {
    return instances.listRegularInstanceIds(this.#open(), filter);
  }

  async listInstanceStates(filter: {
    clusterName: string;
    phase: InstancePhase;
    after?: string;
    limit: number;
  }): Promise<InstanceState[]> {
    return instances.listInstanceStates(this.#open(), filter);
  }

  async outboxHorizon(): Promise<bigint> {
    this.#open();
    return this.#adapter.outboxHorizon();
  }

  async pendingNotifications(
    limit: number,
    replica: string,
    below?: bigint,
  ): Promise<InstanceNotification[]> {
    return outbox.pendingNotifications(this.#open(), limit, replica, below);
  }

  async notificationRevisions(
    instanceIds: readonly string[],
    replica: string,
  ): Promise<Map<string, Revised<InstanceNotification>>> {
    this.#open();
    return instanceIds.length === 0 ? new Map() : this.#adapter.notificationRevisions(instanceIds, replica);
  }

  async ackNotifications(
    instanceIds: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    this.#open();
    if (instanceIds.length > 0) await this.#adapter.ackNotifications(instanceIds, replica, revisions);
  }

  async pendingMessages(limit: number, replica: string, below?: bigint): Promise<OutboxMessage[]> {
    return outbox.pendingMessages(this.#open(), limit, replica, below);
  }

  async messageRevisions(
    keys: readonly string[],
    replica: string,
  ): Promise<Map<string, Revised<OutboxMessage>>> {
    this.#open();
    return keys.length === 0 ? new Map() : this.#adapter.messageRevisions(keys, replica);
  }

  async ackMessages(
    keys: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    this.#open();
    if (keys.length > 0) await this.#adapter.ackMessages(keys, replica, revisions);
  }

  async claimOrphans(
    replica: string,
    live: readonly string[],
    limit: number,
  ): Promise<{ notifications: InstanceNotification[]; messages: OutboxMessage[] }> {
    this.#open();
    return this.#adapter.claimOrphans(replica, live, limit);
  }

  async countPrebuildsByState(): Promise<Map<PrebuildState, number>> {
    return prebuilds.countPrebuildsByState(this.#open());
  }

  async listClusters(): Promise<ClusterRow[]> {
    return clusters.listClusters(this.#open());
  }

  async getCluster(name: string): Promise<ClusterRow | undefined> {
    return clusters.getCluster(this.#open(), name);
  }

  async insertCluster(row: ClusterRow): Promise<void> {
    return clusters.insertCluster(this.#open(), row);
  }

  async updateCluster(name: string, patch: ClusterPatch): Promise<boolean> {
    return clusters.updateCluster(this.#open(), name, patch);
  }

  async deleteCluster(name: string): Promise<boolean> {
    return clusters.deleteCluster(this.#open(), name);
  }

  async createWorkspaces(rows: readonly WorkspaceRow[]): Promise<void> {
    return platform.createWorkspaces(this.#open(), rows);
  }

  async createInstances(rows: readonly InstanceRow[]): Promise<void> {
    return platform.createInstances(this.#open(), rows);
  }

  async createPrebuilds(rows: readonly PrebuildRow[]): Promise<void> {
    return platform.createPrebuilds(this.#open(), rows);
  }

  #open(): Kysely<StoreSchema> {
    if (this.#closing) throw new StoreClosedError();
    return this.#db;
  }
}
