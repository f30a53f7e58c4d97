/** The prepared statements of the SQLite hot path (prepared once per connection, after migration). */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './sqlite-database.js';

/** Hot-path statements; parameters are positional, in the order of each SQL text. */
export interface SqliteStatements {
  /** Bridge-owned columns, only when the stored version is not newer. */
  updateInstance: Statement;
  insertWorkspace: Statement;
  insertInstance: Statement;
  upsertMetrics: Statement;
  upsertOutbox: Statement;
  /** An adopted instance's prebuild, inserted if absent. */
  insertPrebuild: Statement;
  /** Bridge-owned prebuild columns, only when the stored version is not newer. */
  updatePrebuild: Statement;
  upsertMessage: Statement;
  /** A user's tokens whose name starts with a prefix; the prefix is bound twice. */
  deleteTokens: Statement;
  /** Instance records for a JSON array of ids. */
  selectRecords: Statement;
  /** A replica's notification rows, with revisions, for a JSON array of instance ids. */
  selectNotificationRevisions: Statement;
  /** A replica's message rows, with revisions, for a JSON array of keys. */
  selectMessageRevisions: Statement;
  /** A replica's notification row of one instance; `deleteNotificationAt` only at one revision. */
  deleteNotification: Statement;
  deleteNotificationAt: Statement;
  /** A replica's message row of one key; `deleteMessageAt` only at one revision. */
  deleteMessage: Statement;
  deleteMessageAt: Statement;
}

/** Prepares the hot-path statements. Throws when the schema is missing (call `migrate()` first). */
export function prepareSqliteStatements(db: SqliteDatabase): SqliteStatements {
  return {
    updateInstance: db.prepare(
      `UPDATE workspace_instances SET phase = ?, status_version = ?, deployed_time = ?, started_time = ?,
        stopping_time = ?, stopped_time = ?, ide_url = ?, status = ?, updated_at = ?
      WHERE id = ? AND status_version <= ?`,
    ),
    insertWorkspace: db.prepare(
      `INSERT INTO workspaces (id, owner_id, type, project_id, organization_id, created_at)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    insertInstance: db.prepare(
      `INSERT INTO workspace_instances (id, workspace_id, cluster_name, phase, status_version, creation_time,
        deployed_time, started_time, stopping_time, stopped_time, ide_url, status, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    upsertMetrics: db.prepare(
      `INSERT INTO workspace_instance_metrics (instance_id, metrics) VALUES (?, ?)
      ON CONFLICT (instance_id) DO UPDATE SET metrics = excluded.metrics`,
    ),
    // Coalesced per instance: created_at keeps the oldest pending time so that delivery stays fair;
    // the last writer delivers. Each rewrite is a new revision, so an acknowledgement of the older
    // delivery leaves the row (one process writes the file, so a counter per row is unique enough).
    upsertOutbox: db.prepare(
      `INSERT INTO bridge_outbox (instance_id, owner_id, workspace_id, created_at, replica) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (instance_id) DO UPDATE SET owner_id = excluded.owner_id, workspace_id = excluded.workspace_id,
        replica = excluded.replica, revision = bridge_outbox.revision + 1`,
    ),
    insertPrebuild: db.prepare(
      `INSERT INTO prebuilt_workspaces (id, build_workspace_id, project_id, state, snapshot, error, status_version)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    updatePrebuild: db.prepare(
      `UPDATE prebuilt_workspaces SET state = ?, snapshot = ?, error = ?, status_version = ?
      WHERE id = ? AND status_version <= ?`,
    ),
    // Coalesced per key like upsertOutbox: the newest payload, the oldest pending time, the last
    // writer, a new revision.
    upsertMessage: db.prepare(
      `INSERT INTO bridge_outbox_messages (key, channel, payload, created_at, replica) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET channel = excluded.channel, payload = excluded.payload,
        replica = excluded.replica, revision = bridge_outbox_messages.revision + 1`,
    ),
    // A literal prefix test: LIKE would treat '_' and '%' in the prefix as wildcards.
    deleteTokens: db.prepare(`DELETE FROM user_tokens WHERE user_id = ? AND substr(name, 1, length(?)) = ?`),
    // json_each takes all ids as one parameter, so no variable limit applies and one statement serves
    // any number of ids.
    selectRecords: db.prepare(
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
      WHERE i.id IN (SELECT value FROM json_each(?))`,
    ),
    // '+replica' keeps the planner on the primary key: the replica index would scan every pending row.
    selectNotificationRevisions: db.prepare(
      `SELECT instance_id, owner_id, workspace_id, revision FROM bridge_outbox
      WHERE instance_id IN (SELECT value FROM json_each(@ids)) AND +replica = @replica`,
    ),
    selectMessageRevisions: db.prepare(
      `SELECT key, channel, payload, revision FROM bridge_outbox_messages
      WHERE key IN (SELECT value FROM json_each(@ids)) AND +replica = @replica`,
    ),
    deleteNotification: db.prepare(`DELETE FROM bridge_outbox WHERE instance_id = ? AND replica = ?`),
    deleteNotificationAt: db.prepare(
      `DELETE FROM bridge_outbox WHERE instance_id = ? AND replica = ? AND revision = ?`,
    ),
    deleteMessage: db.prepare(`DELETE FROM bridge_outbox_messages WHERE key = ? AND replica = ?`),
    deleteMessageAt: db.prepare(
      `DELETE FROM bridge_outbox_messages WHERE key = ? AND replica = ? AND revision = ?`,
    ),
  };
}
