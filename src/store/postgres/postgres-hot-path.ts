/** The PostgreSQL adapter's hot path: the one-statement batch write and the instance load. */
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { splitResult } from '../batch-rules.js';
import { loadInstancesByIds } from '../instance-queries.js';
import type { BatchOptions, BatchResult, InstanceWrite, StoreCapabilities } from '../ports.js';
import type { StoreSchema } from '../schema.js';
import type { StoreAdapter } from '../store-adapter.js';
import { isTransientPostgresError } from '../transient-errors.js';
import type { InstanceRecord } from '../types.js';
import { encodeBatch } from './postgres-batch-encoding.js';
import { WRITE_BATCH_SQL, WRITE_BATCH_STATEMENT } from './postgres-batch-sql.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

/** The PostgreSQL part of a store. */
export class PostgresHotPath implements StoreAdapter {
  /** Row versions make concurrent writers (replicas, controllers) safe. */
  readonly capabilities: StoreCapabilities = { concurrentWriters: true, maxBatchSize: 1000 };
  readonly isTransientError = isTransientPostgresError;
  readonly migrations = POSTGRES_MIGRATIONS;
  readonly #pool: pg.Pool;
  readonly #kysely: Kysely<StoreSchema>;

  constructor(pool: pg.Pool, kysely: Kysely<StoreSchema>) {
    this.#pool = pool;
    this.#kysely = kysely;
  }

  async loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>> {
    return loadInstancesByIds(this.#kysely, ids);
  }

  async writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult> {
    const result = await this.#pool.query<{ id: string }>({
      name: WRITE_BATCH_STATEMENT,
      text: WRITE_BATCH_SQL,
      values: [encodeBatch(writes, options.outbox)],
    });
    return splitResult(writes, new Set(result.rows.map((r) => r.id)));
  }
}
