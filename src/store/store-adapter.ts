/**
 * What a database adapter supplies to `KyselyStore`: its migrations and the two hot-path calls it
 * implements natively. Everything else runs as shared Kysely queries.
 */
import type { Migration } from 'kysely';
import type { BatchOptions, BatchResult, InstanceWrite, StoreCapabilities } from './ports.js';
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
}
