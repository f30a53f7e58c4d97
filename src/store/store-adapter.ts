/**
 * What a database adapter supplies to `KyselyStore`: its migrations, the hot-path calls it implements
 * natively, and how processes share its database. Everything else runs as shared Kysely queries.
 */
import type { Migration } from 'kysely';
import type {
  BatchOptions,
  BatchResult,
  InstanceWrite,
  LeaseStore,
  OutboxStore,
  StoreCapabilities,
} from './ports.js';
import type { InstanceRecord } from './types.js';

/** The adapter-specific part of a store. */
export interface StoreAdapter {
  readonly capabilities: StoreCapabilities;
  /** See `Store.isTransientError`. */
  isTransientError(error: unknown): boolean;
  /** In-code migrations, applied in name order. */
  readonly migrations: Readonly<Record<string, Migration>>;
  /** See `InstanceStore.loadInstances`. Ids are unique and non-empty. */
  loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>>;
  /** See `InstanceStore.writeBatch`. Writes are non-empty with unique ids. */
  writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult>;
  /** See `OutboxStore.claimOrphans`. */
  claimOrphans: OutboxStore['claimOrphans'];
  /** See `OutboxStore.outboxHorizon`. */
  outboxHorizon: OutboxStore['outboxHorizon'];
  /** See `OutboxStore.notificationRevisions`: read before every publish. Ids are non-empty. */
  notificationRevisions: OutboxStore['notificationRevisions'];
  /** See `OutboxStore.ackNotifications`. Ids are non-empty. */
  ackNotifications: OutboxStore['ackNotifications'];
  /** See `OutboxStore.messageRevisions`: read before every publish of messages. Keys are non-empty. */
  messageRevisions: OutboxStore['messageRevisions'];
  /** See `OutboxStore.ackMessages`. Keys are non-empty. */
  ackMessages: OutboxStore['ackMessages'];
  /** See `Store.warm`. Absent: nothing to prepare ahead. */
  warm?(): Promise<void>;
  /** Ends what the adapter runs besides its connections (a worker thread). Called once by `Store.close()`. */
  close?(): Promise<void>;
}

/** How processes share an adapter's database: a lock file (SQLite) or leases (PostgreSQL). */
export interface StoreCoordination {
  /** See `Store.leases`. */
  readonly leases: LeaseStore | undefined;
  /** See `Store.claimSoleWriter`. */
  claimSoleWriter(holder: string): Promise<void>;
  /**
   * Lets go of what the coordination holds besides connections (the lock file, cluster-change
   * listeners). Called once by `Store.close()`, before the connections end; never throws.
   */
  release(): Promise<void>;
}
