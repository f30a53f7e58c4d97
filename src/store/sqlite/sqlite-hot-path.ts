/**
 * The SQLite statements the sync engine and the outbox run all the time, over cached statements and
 * synchronously: instance reads, batch writes, outbox revisions and acknowledgements. For a database
 * file the adapter runs them on the writer thread (`sqlite-writer.ts`), whose connection is then the
 * only one that writes the hot tables and so keeps its page cache, but the instance reads, which it
 * runs on its own connection; for ':memory:' everything runs in the caller's thread.
 */
import type { Selectable } from 'kysely';
import { byRevision } from '../outbox-queries.js';
import {
  instanceRecordFromColumns,
  notificationFromColumns,
  type InstanceRecordColumns,
} from '../instance-columns.js';
import type { InstanceNotification, InstanceWrite, OutboxMessage, Revised } from '../ports.js';
import type { OutboxTable } from '../schema.js';
import type { InstanceRecord } from '../types.js';
import { writeSqliteBatch, type OutboxStamp } from './sqlite-batch.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { prepareSqliteStatements, type ColumnStatement, type SqliteStatements } from './sqlite-statements.js';

/** The hot path over one connection. Throws when the schema is missing (migrate first). */
export class SqliteHotPath {
  readonly #db: SqliteDatabase;
  readonly #s: SqliteStatements;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#s = prepareSqliteStatements(db);
  }

  /** The highest revision of any outbox row (0 when there is none). */
  latestRevision(): bigint {
    const [latest] = this.#s.latestRevision.all({}) as { revision: bigint }[];
    return latest?.revision ?? 0n;
  }

  loadInstances(ids: readonly string[]): Map<string, InstanceRecord> {
    const rows = this.#s.selectRecords.all({ ids: JSON.stringify(ids) }) as InstanceRecordColumns[];
    return new Map(rows.map((row) => [row.id, instanceRecordFromColumns(row)]));
  }

  /** See `writeSqliteBatch`: the ids of the applied writes. */
  writeBatch(writes: readonly InstanceWrite[], stamp: OutboxStamp | undefined): string[] {
    return writeSqliteBatch(this.#db, this.#s, writes, stamp);
  }

  notificationRevisions(
    instanceIds: readonly string[],
    replica: string,
  ): Map<string, Revised<InstanceNotification>> {
    type Row = Selectable<OutboxTable> & { revision: bigint };
    return revisedRows(this.#s.selectNotificationRevisions, instanceIds, replica, (row: Row) => [
      row.instance_id,
      notificationFromColumns(row),
    ]);
  }

  ackNotifications(
    instanceIds: readonly string[],
    replica: string,
    revisions: ReadonlyMap<string, bigint> | undefined,
  ): void {
    this.#deleteAll(
      instanceIds,
      replica,
      revisions,
      this.#s.deleteNotification,
      this.#s.deleteNotificationsAt,
    );
  }

  messageRevisions(keys: readonly string[], replica: string): Map<string, Revised<OutboxMessage>> {
    type Row = OutboxMessage & { revision: bigint };
    return revisedRows(this.#s.selectMessageRevisions, keys, replica, ({ key, channel, payload }: Row) => [
      key,
      { key, channel, payload },
    ]);
  }

  ackMessages(
    keys: readonly string[],
    replica: string,
    revisions: ReadonlyMap<string, bigint> | undefined,
  ): void {
    this.#deleteAll(keys, replica, revisions, this.#s.deleteMessage, this.#s.deleteMessagesAt);
  }

  /**
   * One transaction: without `revisions` one DELETE per key, with them one DELETE per revision for
   * all its keys (a batch's rows share one), and keys without a revision are left alone.
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
}

/** A replica's outbox rows of these keys, each as its key and value with the row's revision. */
function revisedRows<R extends { revision: bigint }, V>(
  statement: ColumnStatement<{ ids: string; replica: string }>,
  keys: readonly string[],
  replica: string,
  entry: (row: R) => [string, V],
): Map<string, Revised<V>> {
  const rows = statement.all({ ids: JSON.stringify(keys), replica }) as R[];
  const found = new Map<string, Revised<V>>();
  for (const row of rows) {
    const [key, value] = entry(row);
    found.set(key, { value, revision: row.revision });
  }
  return found;
}

/** A call of one hot-path method, as it crosses to the writer thread. */
export type HotPathMethod = keyof SqliteHotPath;

/** Runs `method` with `args` on `hot` (the writer thread's dispatch, and the in-thread one). */
export function callHotPath<M extends HotPathMethod>(
  hot: SqliteHotPath,
  method: M,
  args: Parameters<SqliteHotPath[M]>,
): ReturnType<SqliteHotPath[M]> {
  const run = hot[method] as (...a: Parameters<SqliteHotPath[M]>) => ReturnType<SqliteHotPath[M]>;
  return run.apply(hot, args);
}
