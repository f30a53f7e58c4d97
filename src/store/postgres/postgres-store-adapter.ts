/** The PostgreSQL `StoreAdapter`: the one-statement batch write, the instance load, outbox claims. */
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { splitResult } from '../batch-rules.js';
import { instanceRecordFromColumns, type InstanceRecordColumns } from '../instance-columns.js';
import { readBigint } from '../column-values.js';
import { instancesByIdArraySql } from '../instance-queries.js';
import * as outbox from '../outbox-queries.js';
import type {
  BatchOptions,
  BatchResult,
  InstanceNotification,
  InstanceWrite,
  OutboxMessage,
  Revised,
  StoreCapabilities,
} from '../ports.js';
import type { StoreSchema } from '../schema.js';
import type { StoreAdapter } from '../store-adapter.js';
import { isTransientPostgresError } from '../transient-errors.js';
import type { InstanceRecord } from '../types.js';
import { encodeBatch, encodeFencedBatch } from './postgres-batch-encoding.js';
import {
  FENCED_WRITE_BATCH_SQL,
  FENCED_WRITE_BATCH_STATEMENT,
  WRITE_BATCH_SQL,
  WRITE_BATCH_STATEMENT,
} from './postgres-batch-sql.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

type Fence = NonNullable<BatchOptions['fence']>;

/** Name under which pg prepares the instance load once per connection. */
const LOAD_INSTANCES_STATEMENT = 'wsb_load_instances';

/** Prepares the load and both batch statements on one connection: no ids, no writes, no leases. */
async function warmConnection(client: pg.PoolClient, loadSql: string): Promise<void> {
  await client.query({ name: LOAD_INSTANCES_STATEMENT, text: loadSql, values: [[]] });
  await client.query({
    name: WRITE_BATCH_STATEMENT,
    text: WRITE_BATCH_SQL,
    values: [encodeBatch([], true), ''],
  });
  await client.query({
    name: FENCED_WRITE_BATCH_STATEMENT,
    text: FENCED_WRITE_BATCH_SQL,
    values: [encodeFencedBatch([], true), '', '', [], []],
  });
}

/** The PostgreSQL part of a store: what `KyselyStore` does not run through Kysely. */
export class PostgresStoreAdapter implements StoreAdapter {
  /** Row versions make concurrent writers (replicas, controllers) safe. */
  readonly capabilities: StoreCapabilities = { concurrentWriters: true, maxBatchSize: 1000 };
  readonly isTransientError = isTransientPostgresError;
  readonly migrations = POSTGRES_MIGRATIONS;
  readonly #pool: pg.Pool;
  readonly #kysely: Kysely<StoreSchema>;
  readonly #loadSql: string;

  constructor(pool: pg.Pool, kysely: Kysely<StoreSchema>) {
    this.#pool = pool;
    this.#kysely = kysely;
    this.#loadSql = instancesByIdArraySql(kysely);
  }

  /**
   * Opens every connection of the pool and runs the instance load and both batch statements once on
   * each, with nothing to read or write. A new backend loads its catalog caches and plans on its
   * first statements: the first batches on cold connections took 20–80 ms against 2–5 ms warm, and
   * every status behind them waited (bench/README.md, "Results after the third round").
   */
  async warm(): Promise<void> {
    const connections = Array.from({ length: this.#pool.options.max }, () => this.#pool.connect());
    const clients = await Promise.allSettled(connections);
    try {
      const opened = clients.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
      await Promise.all(opened.map((client) => warmConnection(client, this.#loadSql)));
      const failed = clients.find((c) => c.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      for (const c of clients) if (c.status === 'fulfilled') c.value.release();
    }
  }

  async loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>> {
    const result = await this.#pool.query<InstanceRecordColumns>({
      name: LOAD_INSTANCES_STATEMENT,
      text: this.#loadSql,
      values: [ids],
    });
    return new Map(result.rows.map((row) => [row.id, instanceRecordFromColumns(row)]));
  }

  async writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult> {
    if (options.fence) return this.#writeFenced(writes, options, options.fence);
    const result = await this.#pool.query<{ id: string; revision: bigint }>({
      name: WRITE_BATCH_STATEMENT,
      text: WRITE_BATCH_SQL,
      values: [encodeBatch(writes, options.outbox), options.replica],
    });
    const split = splitResult(writes, new Set(result.rows.map((r) => r.id)));
    return withRevision(split, result.rows[0]?.revision, options);
  }

  /** Replicas claim at the same time: each skips the rows another is claiming. */
  async claimOrphans(
    replica: string,
    live: readonly string[],
    limit: number,
  ): Promise<{ notifications: InstanceNotification[]; messages: OutboxMessage[] }> {
    return outbox.claimOrphans(this.#kysely, replica, live, limit, { skipLocked: true });
  }

  /**
   * Revisions are transaction ids: the snapshot's xmax is the first one not yet assigned, so every
   * committed row is below it and every transaction that starts later writes at or above it.
   */
  async outboxHorizon(): Promise<bigint> {
    const result = await this.#pool.query<{ horizon: bigint }>(
      'SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS horizon',
    );
    return readBigint(result.rows[0]?.horizon);
  }

  async notificationRevisions(
    instanceIds: readonly string[],
    replica: string,
  ): Promise<Map<string, Revised<InstanceNotification>>> {
    return outbox.notificationRevisions(this.#kysely, instanceIds, replica);
  }

  async ackNotifications(
    instanceIds: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    return outbox.ackNotifications(this.#kysely, instanceIds, replica, revisions);
  }

  async messageRevisions(
    keys: readonly string[],
    replica: string,
  ): Promise<Map<string, Revised<OutboxMessage>>> {
    return outbox.messageRevisions(this.#kysely, keys, replica);
  }

  async ackMessages(
    keys: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    return outbox.ackMessages(this.#kysely, keys, replica, revisions);
  }

  async #writeFenced(
    writes: readonly InstanceWrite[],
    options: BatchOptions,
    fence: Fence,
  ): Promise<BatchResult> {
    // A write whose lease the caller holds no epoch for cannot commit: fenced without a round trip.
    const epochs = new Map<string, bigint>();
    const candidates = writes.filter((w) => {
      const epoch = w.lease === undefined ? undefined : fence.epochs.get(w.lease);
      if (w.lease !== undefined && epoch !== undefined) epochs.set(w.lease, epoch);
      return epoch !== undefined;
    });
    const applied = new Set<string>();
    const held = new Set<string>();
    let revision: bigint | null | undefined;
    if (candidates.length > 0) {
      const result = await this.#pool.query<{ id: string; held: boolean; revision: bigint | null }>({
        name: FENCED_WRITE_BATCH_STATEMENT,
        text: FENCED_WRITE_BATCH_SQL,
        values: [
          encodeFencedBatch(candidates, options.outbox),
          options.replica,
          fence.holder,
          [...epochs.keys()],
          [...epochs.values()].map(String),
        ],
      });
      for (const row of result.rows) (row.held ? held : applied).add(row.id);
      revision = result.rows.find((row) => !row.held)?.revision;
    }
    const fenced = writes.filter((w) => w.lease === undefined || !held.has(w.lease)).map((w) => w.row.id);
    return withRevision(splitResult(writes, applied, new Set(fenced)), revision, options);
  }
}

/**
 * The result with the revision the batch's outbox rows took: that of any applied row (every one
 * carries the transaction's); undefined or null when none was applied.
 */
function withRevision(
  result: BatchResult,
  revision: bigint | null | undefined,
  options: BatchOptions,
): BatchResult {
  if (options.outbox && revision !== undefined && revision !== null) result.revision = readBigint(revision);
  return result;
}
