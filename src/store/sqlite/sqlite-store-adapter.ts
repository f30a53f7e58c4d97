/**
 * The SQLite `StoreAdapter`: cached better-sqlite3 statements run synchronously inside one
 * transaction per batch. It holds Kysely's single connection while it runs, so it never lands inside
 * a transaction Kysely has open on the same connection.
 *
 * A SQLite file has one writer (`claimSoleWriter`) and no leases, so `BatchOptions.fence` is ignored:
 * a fenced batch is written as an unfenced one and nothing comes back as fenced.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import { splitResult } from '../batch-rules.js';
import {
  instanceRecordFromColumns,
  instanceToColumns,
  metricsToColumns,
  notificationFromColumns,
  workspaceToColumns,
  type InstanceRecordColumns,
} from '../instance-columns.js';
import { prebuildToColumns } from '../prebuild-columns.js';
import { byRevision, claimOrphans } from '../outbox-queries.js';
import type {
  BatchOptions,
  BatchResult,
  InstanceNotification,
  InstanceWrite,
  OutboxMessage,
  Revised,
  StoreCapabilities,
} from '../ports.js';
import type { InstanceTable, OutboxTable, StoreSchema } from '../schema.js';
import type { StoreAdapter } from '../store-adapter.js';
import { isTransientSqliteError } from '../transient-errors.js';
import type { InstanceRecord } from '../types.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { prepareSqliteStatements, type ColumnStatement, type SqliteStatements } from './sqlite-statements.js';

/**
 * How often the worker checkpoints. Measured on 2026-12-04 (one run each): at 1,000 statuses/s p99
 * 13.0 / 13.4 / 13.0 ms; at full speed 77.7 / 82.3 µs per status, where 100 ms cost 79 / 94 µs.
 */
const CHECKPOINT_INTERVAL_MS = 250;

/** The SQLite part of a store: what `KyselyStore` does not run through Kysely. */
export class SqliteStoreAdapter implements StoreAdapter {
  /** One writer per file; 1,000 rows keep a transaction around 15 ms on this project's machines. */
  readonly capabilities: StoreCapabilities = { concurrentWriters: false, maxBatchSize: 1000 };
  readonly isTransientError = isTransientSqliteError;
  readonly migrations = SQLITE_MIGRATIONS;
  readonly #db: SqliteDatabase;
  readonly #kysely: Kysely<StoreSchema>;
  #statements: SqliteStatements | undefined;
  /** The file whose log a worker checkpoints once this adapter writes; undefined for ':memory:'. */
  readonly #checkpointPath: string | undefined;
  #checkpointer: SqliteCheckpointer | undefined;
  #closed = false;
  /**
   * The revision of the last batch that wrote outbox rows. Each such batch takes the next one for
   * all its rows, so a rewritten row always has a revision no delivery of its older content covered;
   * one process writes the file (`claimSoleWriter`), so a counter started above the highest stored
   * revision is unique. Read when the statements are prepared.
   */
  #revision = 0n;

  /** `path`: the database file, checkpointed off the event loop (see `SqliteCheckpointer`). */
  constructor(db: SqliteDatabase, kysely: Kysely<StoreSchema>, path?: string) {
    this.#db = db;
    this.#kysely = kysely;
    this.#checkpointPath = path === ':memory:' ? undefined : path;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#checkpointer?.close();
  }

  async loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>> {
    return this.#exclusive(() => {
      const rows = this.#prepared().selectRecords.all({
        ids: JSON.stringify(ids),
      }) as InstanceRecordColumns[];
      return new Map(rows.map((row) => [row.id, instanceRecordFromColumns(row)]));
    });
  }

  async writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult> {
    return this.#exclusive(() => {
      const statements = this.#prepared();
      const stamp = options.outbox
        ? { createdAt: new Date().toISOString(), replica: options.replica, revision: this.#revision + 1n }
        : undefined;
      const applied = new Set<string>();
      const outbox = stamp && new BatchOutbox(stamp);
      // IMMEDIATE takes the write lock up front, so the transaction cannot fail halfway on a busy upgrade.
      this.#db
        .transaction(() => {
          for (const write of writes) {
            if (!applyWrite(statements, write)) continue;
            applied.add(write.row.id);
            outbox?.add(write);
          }
          outbox?.write(statements);
        })
        .immediate();
      const result = splitResult(writes, applied);
      if (stamp && applied.size > 0) {
        this.#revision = stamp.revision;
        result.revision = stamp.revision;
      }
      return result;
    });
  }

  async notificationRevisions(
    instanceIds: readonly string[],
    replica: string,
  ): Promise<Map<string, Revised<InstanceNotification>>> {
    return this.#exclusive(() => {
      const rows = this.#prepared().selectNotificationRevisions.all({
        ids: JSON.stringify(instanceIds),
        replica,
      }) as (Selectable<OutboxTable> & { revision: bigint })[];
      const found = new Map<string, Revised<InstanceNotification>>();
      for (const row of rows) {
        found.set(row.instance_id, { value: notificationFromColumns(row), revision: row.revision });
      }
      return found;
    });
  }

  async ackNotifications(
    instanceIds: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    return this.#exclusive(() => {
      const s = this.#prepared();
      this.#deleteAll(instanceIds, replica, revisions, s.deleteNotification, s.deleteNotificationsAt);
    });
  }

  async messageRevisions(
    keys: readonly string[],
    replica: string,
  ): Promise<Map<string, Revised<OutboxMessage>>> {
    return this.#exclusive(() => {
      const rows = this.#prepared().selectMessageRevisions.all({
        ids: JSON.stringify(keys),
        replica,
      }) as (OutboxMessage & {
        revision: bigint;
      })[];
      const found = new Map<string, Revised<OutboxMessage>>();
      for (const { key, channel, payload, revision } of rows) {
        found.set(key, { value: { key, channel, payload }, revision });
      }
      return found;
    });
  }

  async ackMessages(
    keys: readonly string[],
    replica: string,
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    return this.#exclusive(() => {
      const s = this.#prepared();
      this.#deleteAll(keys, replica, revisions, s.deleteMessage, s.deleteMessagesAt);
    });
  }

  /**
   * One transaction: without `revisions` one DELETE per key, with them one DELETE per revision for
   * all its keys (a batch's rows share one), and keys without a revision are left alone. Cached
   * statements, no SQL built per call.
   */
  #deleteAll(
    keys: readonly string[],
    replica: string,
    revisions: ReadonlyMap<string, bigint> | undefined,
    any: ColumnStatement<{ key: string; replica: string }>,
    at: ColumnStatement<{ ids: string; replica: string; revision: bigint }>,
  ): void {
    this.#db
      .transaction(() => {
        if (revisions === undefined) {
          for (const key of keys) any.run({ key, replica });
          return;
        }
        for (const [revision, group] of byRevision(keys, revisions)) {
          at.run({ ids: JSON.stringify(group), replica, revision });
        }
      })
      .immediate();
  }

  /** One process writes the file, so no row is locked: the transaction alone makes the claim atomic. */
  async claimOrphans(
    replica: string,
    live: readonly string[],
    limit: number,
  ): Promise<{ notifications: InstanceNotification[]; messages: OutboxMessage[] }> {
    return claimOrphans(this.#kysely, replica, live, limit, { skipLocked: false });
  }

  /** The next batch's revision: the counter only grows, and only this process writes the file. */
  outboxHorizon(): Promise<bigint> {
    return this.#exclusive(() => {
      this.#prepared();
      return this.#revision + 1n;
    });
  }

  /** Prepares the cached statements (and starts the checkpoint worker) before the first status. */
  warm(): Promise<void> {
    this.#prepared();
    return Promise.resolve();
  }

  /** The cached statements; the first call prepares them and starts the checkpoint worker. */
  #prepared(): SqliteStatements {
    if (this.#statements === undefined) {
      const statements = prepareSqliteStatements(this.#db);
      const [latest] = statements.latestRevision.all({}) as { revision: bigint }[];
      this.#revision = latest?.revision ?? 0n;
      this.#statements = statements;
      this.#startCheckpointer();
    }
    return this.#statements;
  }

  #startCheckpointer(): void {
    if (this.#checkpointPath === undefined || this.#closed) return;
    // The worker starts the log over where the writer would have checkpointed; the writer's own
    // autocheckpoint moves out of its way, as the fallback.
    const pages = Number(this.#db.pragma('wal_autocheckpoint', { simple: true }));
    this.#checkpointer = new SqliteCheckpointer(this.#checkpointPath, {
      intervalMs: CHECKPOINT_INTERVAL_MS,
      restartPages: pages,
    });
    this.#db.pragma(`wal_autocheckpoint = ${pages * 4}`);
  }

  async #exclusive<T>(work: () => T): Promise<T> {
    return this.#kysely.connection().execute(() => Promise.resolve().then(work));
  }
}

/** What all outbox rows of a batch share: their time, their writer and the batch's revision. */
interface OutboxStamp {
  createdAt: string;
  replica: string;
  revision: bigint;
}

/** The outbox rows of a batch's applied writes, written with one statement per table at its end. */
class BatchOutbox {
  readonly #stamp: OutboxStamp;
  readonly #notifications: [string, string, string][] = [];
  readonly #messages: [string, string, string][] = [];

  constructor(stamp: OutboxStamp) {
    this.#stamp = stamp;
  }

  add(write: InstanceWrite): void {
    const { notify, messages } = write;
    if (notify) this.#notifications.push([notify.instanceID, notify.ownerID, notify.workspaceID]);
    for (const m of messages ?? []) this.#messages.push([m.key, m.channel, m.payload]);
  }

  write(s: SqliteStatements): void {
    const { createdAt: created_at, replica, revision } = this.#stamp;
    if (this.#notifications.length > 0) {
      s.upsertOutbox.run({ rows: JSON.stringify(this.#notifications), created_at, replica, revision });
    }
    if (this.#messages.length > 0) {
      s.upsertMessages.run({ rows: JSON.stringify(this.#messages), created_at, replica, revision });
    }
  }
}

// Writes one instance and, only if its row was applied, everything else the write carries but its
// outbox rows; tells whether it was applied. Adoption inserts the workspace and instance only where
// absent; an existing instance gets the versioned update. Every row binds the columns the shared
// mapping makes of it.
function applyWrite(s: SqliteStatements, write: InstanceWrite): boolean {
  const { adopt } = write;
  const row = instanceToColumns(write.row);
  if (adopt) s.insertWorkspace.run(workspaceToColumns(adopt.workspace));
  // An adopted instance is most likely absent: try the insert first, then the versioned update.
  const applied = adopt
    ? s.insertInstance.run(row).changes === 1 || updateInstance(s, write, row)
    : updateInstance(s, write, row);
  if (!applied) return false;
  applyDependents(s, write);
  return true;
}

// The versioned update of an existing row. Most statuses of a real cluster keep their instance's
// phase, and leaving the phase column out of the update saves 2–3.5 µs of a row's write
// (`bench/store-batch.ts`, bench/README.md's seventh round). That statement applies only where the
// stored phase is the row's, so a stale hint falls through to the full update.
function updateInstance(s: SqliteStatements, write: InstanceWrite, row: Insertable<InstanceTable>): boolean {
  const samePhase = write.previousPhase === write.row.phase;
  if (samePhase && s.updateInstanceSamePhase.run(row).changes === 1) return true;
  return s.updateInstance.run(row).changes === 1;
}

// The adopted prebuild goes in before the prebuild update, so that the update applies to it too.
function applyDependents(s: SqliteStatements, write: InstanceWrite): void {
  const { row, metrics, adopt, prebuild, revokeTokens } = write;
  if (metrics !== undefined) s.upsertMetrics.run(metricsToColumns(row.id, metrics));
  if (adopt?.prebuild) s.insertPrebuild.run(prebuildToColumns(adopt.prebuild));
  if (prebuild) s.updatePrebuild.run(prebuildToColumns(prebuild));
  if (revokeTokens) {
    s.deleteTokens.run({ user_id: revokeTokens.userId, name_prefix: revokeTokens.namePrefix });
  }
}
