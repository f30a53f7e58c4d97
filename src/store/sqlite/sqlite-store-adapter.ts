/**
 * The SQLite `StoreAdapter`: cached better-sqlite3 statements run synchronously inside one
 * transaction per batch. It holds Kysely's single connection while it runs, so it never lands inside
 * a transaction Kysely has open on the same connection.
 *
 * A SQLite file has one writer (`claimSoleWriter`) and no leases, so `BatchOptions.fence` is ignored:
 * a fenced batch is written as an unfenced one and nothing comes back as fenced.
 */
import type { Statement } from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import { splitResult } from '../batch-rules.js';
import {
  instanceRecordFromColumns,
  notificationFromColumns,
  type InstanceRecordColumns,
} from '../instance-columns.js';
import { claimOrphans } from '../outbox-queries.js';
import type {
  BatchOptions,
  BatchResult,
  InstanceNotification,
  InstanceWrite,
  OutboxMessage,
  Revised,
  StoreCapabilities,
} from '../ports.js';
import type { OutboxTable, StoreSchema } from '../schema.js';
import type { StoreAdapter } from '../store-adapter.js';
import { isTransientSqliteError } from '../transient-errors.js';
import type { InstanceRecord, InstanceRow } from '../types.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { prepareSqliteStatements, type SqliteStatements } from './sqlite-statements.js';

/** The SQLite part of a store: what `KyselyStore` does not run through Kysely. */
export class SqliteStoreAdapter implements StoreAdapter {
  /** One writer per file; 1,000 rows keep a transaction around 15 ms on this project's machines. */
  readonly capabilities: StoreCapabilities = { concurrentWriters: false, maxBatchSize: 1000 };
  readonly isTransientError = isTransientSqliteError;
  readonly migrations = SQLITE_MIGRATIONS;
  readonly #db: SqliteDatabase;
  readonly #kysely: Kysely<StoreSchema>;
  #statements: SqliteStatements | undefined;

  constructor(db: SqliteDatabase, kysely: Kysely<StoreSchema>) {
    this.#db = db;
    this.#kysely = kysely;
  }

  async loadInstances(ids: readonly string[]): Promise<Map<string, InstanceRecord>> {
    return this.#exclusive(() => {
      const rows = this.#prepared().selectRecords.all(JSON.stringify(ids)) as InstanceRecordColumns[];
      return new Map(rows.map((row) => [row.id, instanceRecordFromColumns(row)]));
    });
  }

  async writeBatch(writes: readonly InstanceWrite[], options: BatchOptions): Promise<BatchResult> {
    return this.#exclusive(() => {
      const statements = this.#prepared();
      const now = new Date().toISOString();
      const applied = new Set<string>();
      // IMMEDIATE takes the write lock up front, so the transaction cannot fail halfway on a busy upgrade.
      this.#db
        .transaction(() => {
          for (const write of writes) {
            if (applyWrite(statements, write, options, now)) applied.add(write.row.id);
          }
        })
        .immediate();
      return splitResult(writes, applied);
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
      this.#deleteAll(instanceIds, replica, revisions, s.deleteNotification, s.deleteNotificationAt);
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
      this.#deleteAll(keys, replica, revisions, s.deleteMessage, s.deleteMessageAt);
    });
  }

  /**
   * One DELETE per key in one transaction (a cached statement each, no SQL built per call). With
   * `revisions`, only at the revision given, and keys without one are left alone.
   */
  #deleteAll(
    keys: readonly string[],
    replica: string,
    revisions: ReadonlyMap<string, bigint> | undefined,
    any: Statement,
    at: Statement,
  ): void {
    this.#db
      .transaction(() => {
        for (const key of keys) {
          if (revisions === undefined) {
            any.run(key, replica);
            continue;
          }
          const revision = revisions.get(key);
          if (revision !== undefined) at.run(key, replica, revision);
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

  #prepared(): SqliteStatements {
    this.#statements ??= prepareSqliteStatements(this.#db);
    return this.#statements;
  }

  async #exclusive<T>(work: () => T): Promise<T> {
    return this.#kysely.connection().execute(() => Promise.resolve().then(work));
  }
}

// Writes one instance and, only if its row was applied, everything else the write carries; tells
// whether it was applied. Adoption inserts the workspace and instance only where absent; an existing
// instance gets the versioned update.
function applyWrite(s: SqliteStatements, write: InstanceWrite, options: BatchOptions, now: string): boolean {
  const { row, adopt } = write;
  const status = JSON.stringify(row.status);
  if (adopt) {
    const ws = adopt.workspace;
    s.insertWorkspace.run(ws.id, ws.ownerId, ws.type, ws.projectId, ws.organizationId, ws.createdAt);
  }
  // An adopted instance is most likely absent: try the insert first, then the versioned update.
  const applied = adopt
    ? insertInstance(s, row, status) || updateInstance(s, row, status)
    : updateInstance(s, row, status);
  if (!applied) return false;
  applyDependents(s, write, options, now);
  return true;
}

// The adopted prebuild goes in before the prebuild update, so that the update applies to it too.
function applyDependents(
  s: SqliteStatements,
  write: InstanceWrite,
  options: BatchOptions,
  now: string,
): void {
  const { row, metrics, adopt, prebuild, revokeTokens, notify, messages } = write;
  if (metrics !== undefined) s.upsertMetrics.run(row.id, JSON.stringify(metrics));
  if (adopt?.prebuild) {
    const p = adopt.prebuild;
    s.insertPrebuild.run(
      p.id,
      p.buildWorkspaceId,
      p.projectId,
      p.state,
      p.snapshot,
      p.error,
      p.statusVersion,
    );
  }
  if (prebuild) {
    const { id, state, snapshot, error, statusVersion } = prebuild;
    s.updatePrebuild.run(state, snapshot, error, statusVersion, id, statusVersion);
  }
  if (revokeTokens) {
    const { userId, namePrefix } = revokeTokens;
    s.deleteTokens.run(userId, namePrefix, namePrefix);
  }
  if (!options.outbox) return;
  const { replica } = options;
  if (notify) s.upsertOutbox.run(notify.instanceID, notify.ownerID, notify.workspaceID, now, replica);
  for (const m of messages ?? []) s.upsertMessage.run(m.key, m.channel, m.payload, now, replica);
}

function updateInstance(s: SqliteStatements, r: InstanceRow, status: string): boolean {
  const { changes } = s.updateInstance.run(
    r.phase,
    r.statusVersion,
    r.deployedTime,
    r.startedTime,
    r.stoppingTime,
    r.stoppedTime,
    r.ideUrl,
    status,
    r.updatedAt,
    r.id,
    r.statusVersion,
  );
  return changes === 1;
}

function insertInstance(s: SqliteStatements, r: InstanceRow, status: string): boolean {
  const { changes } = s.insertInstance.run(
    r.id,
    r.workspaceId,
    r.clusterName,
    r.phase,
    r.statusVersion,
    r.creationTime,
    r.deployedTime,
    r.startedTime,
    r.stoppingTime,
    r.stoppedTime,
    r.ideUrl,
    status,
    r.updatedAt,
  );
  return changes === 1;
}
