/**
 * One batch of instance writes as a SQLite transaction: the instance rows with what they carry, then
 * the outbox rows of those that applied. Runs where the writing connection lives: on the writer
 * thread for a database file (`sqlite-writer.ts`), in the caller's thread for ':memory:'.
 */
import type { Insertable } from 'kysely';
import { instanceToColumns, metricsToColumns, workspaceToColumns } from '../instance-columns.js';
import { prebuildToColumns } from '../prebuild-columns.js';
import type { InstanceWrite } from '../ports.js';
import type { InstanceTable } from '../schema.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** What all outbox rows of a batch share: their time, their writer and the batch's revision. */
export interface OutboxStamp {
  createdAt: string;
  replica: string;
  revision: bigint;
}

/**
 * Writes the batch in one IMMEDIATE transaction and returns the ids of the instances whose row
 * applied (the others hold a newer version). With a stamp, the applied writes' notifications and
 * messages go into the outbox under it. Throws (and writes nothing) when a statement fails.
 */
export function writeSqliteBatch(
  db: SqliteDatabase,
  statements: SqliteStatements,
  writes: readonly InstanceWrite[],
  stamp: OutboxStamp | undefined,
): string[] {
  const applied: string[] = [];
  const outbox = stamp && new BatchOutbox(stamp);
  // IMMEDIATE takes the write lock up front, so the transaction cannot fail halfway on a busy upgrade.
  db.transaction(() => {
    for (const write of writes) {
      if (!applyWrite(statements, write)) continue;
      applied.push(write.row.id);
      outbox?.add(write);
    }
    outbox?.write(statements);
  }).immediate();
  return applied;
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
