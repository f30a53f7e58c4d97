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
  /** Instance records for a JSON array of ids. */
  selectRecords: Statement;
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
    // Coalesced per instance: created_at keeps the oldest pending time so that delivery stays fair.
    upsertOutbox: db.prepare(
      `INSERT INTO bridge_outbox (instance_id, owner_id, workspace_id, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (instance_id) DO UPDATE SET owner_id = excluded.owner_id, workspace_id = excluded.workspace_id`,
    ),
    // json_each takes all ids as one parameter, so no variable limit applies and one statement serves
    // any number of ids.
    selectRecords: db.prepare(
      `SELECT i.id, i.workspace_id, i.cluster_name, i.phase, i.status_version, i.creation_time, i.deployed_time,
        i.started_time, i.stopping_time, i.stopped_time, i.ide_url, i.status, i.updated_at,
        w.owner_id, w.type AS workspace_type, m.metrics
      FROM workspace_instances i
      JOIN workspaces w ON w.id = i.workspace_id
      LEFT JOIN workspace_instance_metrics m ON m.instance_id = i.id
      WHERE i.id IN (SELECT value FROM json_each(?))`,
    ),
  };
}
