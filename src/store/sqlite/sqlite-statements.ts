/** The prepared statements of the SQLite adapter (prepared once per connection, after migration). */
import type { RunResult, Statement } from 'better-sqlite3';
import type { Insertable } from 'kysely';
import type { InstanceMetricsTable, InstanceTable, PrebuildTable, WorkspaceTable } from '../schema.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * A statement whose SQL names each parameter after the column it fills (`@status_version`), run
 * with the object the shared column mapping makes of a row (`instanceToColumns`,
 * `workspaceToColumns`, `prebuildToColumns`, … in `instance-columns.ts` and `prebuild-columns.ts`):
 * the same mapping the Kysely queries insert, not a copy of it in parameter order. A name may appear
 * more than once. better-sqlite3 can bind names itself, but it looks each one up anew on every run
 * (about 70 ns a parameter, a tenth of a row's write); the names are resolved to positions here, once.
 */
export class ColumnStatement<T extends object> {
  readonly #statement: Statement;
  readonly #names: readonly (keyof T)[];
  /** Reused by every call: better-sqlite3 reads the values before `run` returns. */
  readonly #values: unknown[];

  constructor(db: SqliteDatabase, sql: string) {
    this.#names = Array.from(sql.matchAll(/@(\w+)/g), (m) => m[1] as keyof T);
    this.#values = new Array<unknown>(this.#names.length);
    this.#statement = db.prepare(sql.replace(/@\w+/g, '?'));
  }

  run(columns: T): RunResult {
    return this.#statement.run(...this.#bind(columns));
  }

  all(columns: T): unknown[] {
    return this.#statement.all(...this.#bind(columns));
  }

  #bind(columns: T): unknown[] {
    const values = this.#values;
    const names = this.#names;
    for (let i = 0; i < names.length; i++) values[i] = columns[names[i] as keyof T];
    return values;
  }
}

/** The ids (or keys) a lookup takes, as one JSON array, and the replica whose rows it reads. */
interface KeysOfReplica {
  ids: string;
  replica: string;
}

/** A batch's outbox rows: a JSON array of one array of values per row, and the columns all rows share. */
interface OutboxRows {
  rows: string;
  created_at: string;
  replica: string;
  revision: bigint;
}

/** One outbox row to remove: its key (instance id or message key) and its replica. */
interface OutboxKey {
  key: string;
  replica: string;
}

/** Outbox rows to remove at one revision: their keys as one JSON array, their replica, the revision. */
interface OutboxKeysAt extends KeysOfReplica {
  revision: bigint;
}

/** The adapter's statements. */
export interface SqliteStatements {
  /** Bridge-owned columns, only when the stored version is not newer. */
  updateInstance: ColumnStatement<Insertable<InstanceTable>>;
  /** The same but the phase, only where the stored row already has the row's phase. */
  updateInstanceSamePhase: ColumnStatement<Insertable<InstanceTable>>;
  insertWorkspace: ColumnStatement<Insertable<WorkspaceTable>>;
  insertInstance: ColumnStatement<Insertable<InstanceTable>>;
  upsertMetrics: ColumnStatement<Insertable<InstanceMetricsTable>>;
  /** A batch's notification rows (see `OutboxRows`). */
  upsertOutbox: ColumnStatement<OutboxRows>;
  /** An adopted instance's prebuild, inserted if absent. */
  insertPrebuild: ColumnStatement<Insertable<PrebuildTable>>;
  /** Bridge-owned prebuild columns, only when the stored version is not newer. */
  updatePrebuild: ColumnStatement<Insertable<PrebuildTable>>;
  /** A batch's message rows (see `OutboxRows`). */
  upsertMessages: ColumnStatement<OutboxRows>;
  /** A user's tokens whose name starts with a prefix. */
  deleteTokens: ColumnStatement<{ user_id: string; name_prefix: string }>;
  /** Instance records for a JSON array of ids. */
  selectRecords: ColumnStatement<{ ids: string }>;
  /** A replica's notification rows, with revisions, for a JSON array of instance ids. */
  selectNotificationRevisions: ColumnStatement<KeysOfReplica>;
  /** A replica's message rows, with revisions, for a JSON array of keys. */
  selectMessageRevisions: ColumnStatement<KeysOfReplica>;
  /** A replica's notification row of one instance. */
  deleteNotification: ColumnStatement<OutboxKey>;
  /** A replica's notification rows of a JSON array of instance ids, each only at one revision. */
  deleteNotificationsAt: ColumnStatement<OutboxKeysAt>;
  /** A replica's message row of one key. */
  deleteMessage: ColumnStatement<OutboxKey>;
  /** A replica's message rows of a JSON array of keys, each only at one revision. */
  deleteMessagesAt: ColumnStatement<OutboxKeysAt>;
  /** The highest revision of any outbox row (0 when there is none). */
  latestRevision: ColumnStatement<Record<string, never>>;
}

/** The bridge-owned instance columns an update sets, but the phase (both instance updates share them). */
const INSTANCE_COLUMNS_BUT_PHASE = `status_version = @status_version, deployed_time = @deployed_time,
  started_time = @started_time, stopping_time = @stopping_time, stopped_time = @stopped_time,
  ide_url = @ide_url, status = @status, updated_at = @updated_at`;

/** Prepares the statements. Throws when the schema is missing (call `migrate()` first). */
export function prepareSqliteStatements(db: SqliteDatabase): SqliteStatements {
  const prepare = <T extends object>(sql: string): ColumnStatement<T> => new ColumnStatement<T>(db, sql);
  return {
    updateInstance: prepare(
      `UPDATE workspace_instances SET phase = @phase, ${INSTANCE_COLUMNS_BUT_PHASE}
      WHERE id = @id AND status_version <= @status_version`,
    ),
    // Naming `phase` in SET makes SQLite rewrite the row's entry in the (cluster_name, phase) index
    // and evaluate the column's CHECK on every update, whether or not the value changes.
    updateInstanceSamePhase: prepare(
      `UPDATE workspace_instances SET ${INSTANCE_COLUMNS_BUT_PHASE}
      WHERE id = @id AND status_version <= @status_version AND phase = @phase`,
    ),
    insertWorkspace: prepare(
      `INSERT INTO workspaces (id, owner_id, type, project_id, organization_id, created_at)
      VALUES (@id, @owner_id, @type, @project_id, @organization_id, @created_at) ON CONFLICT (id) DO NOTHING`,
    ),
    insertInstance: prepare(
      `INSERT INTO workspace_instances (id, workspace_id, cluster_name, phase, status_version, creation_time,
        deployed_time, started_time, stopping_time, stopped_time, ide_url, status, updated_at)
      VALUES (@id, @workspace_id, @cluster_name, @phase, @status_version, @creation_time, @deployed_time,
        @started_time, @stopping_time, @stopped_time, @ide_url, @status, @updated_at)
      ON CONFLICT (id) DO NOTHING`,
    ),
    upsertMetrics: prepare(
      `INSERT INTO workspace_instance_metrics (instance_id, metrics) VALUES (@instance_id, @metrics)
      ON CONFLICT (instance_id) DO UPDATE SET metrics = excluded.metrics`,
    ),
    // All notifications of a batch in one statement (`rows`: [instance id, owner id, workspace id]
    // arrays): a statement per row cost several times its row's own work. Coalesced per instance:
    // created_at keeps the oldest pending time so that delivery stays fair; the last writer delivers.
    // Each rewrite takes its batch's revision (see `SqliteStoreAdapter`), so an acknowledgement of the
    // older delivery leaves the row. `WHERE true` keeps ON CONFLICT from parsing as a join constraint.
    upsertOutbox: prepare(
      `INSERT INTO bridge_outbox (instance_id, owner_id, workspace_id, created_at, replica, revision)
      SELECT value ->> 0, value ->> 1, value ->> 2, @created_at, @replica, @revision FROM json_each(@rows) WHERE true
      ON CONFLICT (instance_id) DO UPDATE SET owner_id = excluded.owner_id, workspace_id = excluded.workspace_id,
        replica = excluded.replica, revision = excluded.revision`,
    ),
    insertPrebuild: prepare(
      `INSERT INTO prebuilt_workspaces (id, build_workspace_id, project_id, state, snapshot, error, status_version)
      VALUES (@id, @build_workspace_id, @project_id, @state, @snapshot, @error, @status_version)
      ON CONFLICT (id) DO NOTHING`,
    ),
    updatePrebuild: prepare(
      `UPDATE prebuilt_workspaces SET state = @state, snapshot = @snapshot, error = @error,
        status_version = @status_version
      WHERE id = @id AND status_version <= @status_version`,
    ),
    // All messages of a batch like upsertOutbox (`rows`: [key, channel, payload] arrays, in order),
    // coalesced per key: a key repeated in the batch keeps its last message (rows are inserted in
    // array order), the oldest pending time, the last writer and the batch's revision.
    upsertMessages: prepare(
      `INSERT INTO bridge_outbox_messages (key, channel, payload, created_at, replica, revision)
      SELECT value ->> 0, value ->> 1, value ->> 2, @created_at, @replica, @revision FROM json_each(@rows) WHERE true
      ON CONFLICT (key) DO UPDATE SET channel = excluded.channel, payload = excluded.payload,
        replica = excluded.replica, revision = excluded.revision`,
    ),
    // A literal prefix test: LIKE would treat '_' and '%' in the prefix as wildcards.
    deleteTokens: prepare(
      `DELETE FROM user_tokens WHERE user_id = @user_id AND substr(name, 1, length(@name_prefix)) = @name_prefix`,
    ),
    // json_each takes all ids as one parameter, so no variable limit applies and one statement serves
    // any number of ids.
    selectRecords: prepare(
      `SELECT i.id, i.workspace_id, i.cluster_name, i.phase, i.status_version, i.creation_time, i.deployed_time,
        i.started_time, i.stopping_time, i.stopped_time, i.ide_url, i.status, i.updated_at,
        w.owner_id, w.type AS workspace_type, w.organization_id, m.metrics,
        p.id AS pb_id, p.build_workspace_id AS pb_build_workspace_id, p.project_id AS pb_project_id,
        p.state AS pb_state, p.snapshot AS pb_snapshot, p.error AS pb_error, p.status_version AS pb_status_version
      FROM workspace_instances i
      JOIN workspaces w ON w.id = i.workspace_id
      LEFT JOIN workspace_instance_metrics m ON m.instance_id = i.id
      LEFT JOIN prebuilt_workspaces p ON p.build_workspace_id = i.workspace_id
        AND p.id = (SELECT min(f.id) FROM prebuilt_workspaces f WHERE f.build_workspace_id = i.workspace_id)
      WHERE i.id IN (SELECT value FROM json_each(@ids))`,
    ),
    // '+replica' keeps the planner on the primary key: the replica index would scan every pending row.
    selectNotificationRevisions: prepare(
      `SELECT instance_id, owner_id, workspace_id, revision FROM bridge_outbox
      WHERE instance_id IN (SELECT value FROM json_each(@ids)) AND +replica = @replica`,
    ),
    selectMessageRevisions: prepare(
      `SELECT key, channel, payload, revision FROM bridge_outbox_messages
      WHERE key IN (SELECT value FROM json_each(@ids)) AND +replica = @replica`,
    ),
    deleteNotification: prepare(`DELETE FROM bridge_outbox WHERE instance_id = @key AND replica = @replica`),
    // As in the revision reads: '+replica' keeps the planner on the primary key.
    deleteNotificationsAt: prepare(
      `DELETE FROM bridge_outbox
      WHERE instance_id IN (SELECT value FROM json_each(@ids)) AND +replica = @replica AND revision = @revision`,
    ),
    deleteMessage: prepare(`DELETE FROM bridge_outbox_messages WHERE key = @key AND replica = @replica`),
    deleteMessagesAt: prepare(
      `DELETE FROM bridge_outbox_messages
      WHERE key IN (SELECT value FROM json_each(@ids)) AND +replica = @replica AND revision = @revision`,
    ),
    latestRevision: prepare(
      `SELECT max(coalesce((SELECT max(revision) FROM bridge_outbox), 0),
        coalesce((SELECT max(revision) FROM bridge_outbox_messages), 0)) AS revision`,
    ),
  };
}
