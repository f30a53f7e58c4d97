/**
 * The PostgreSQL batch write: one statement, so one round trip and one implicit transaction for the
 * whole batch, whatever its size. The batch arrives as a single JSON parameter (`encodeBatch`) and is
 * expanded with jsonb_to_recordset (about 40 % faster here than json_to_recordset, which re-scans the
 * text for every column); data-modifying CTEs then write each table.
 *
 * All CTEs see the same snapshot: `adopted` only inserts ids `updated` could not see, so an id lands
 * in at most one of them. Under READ COMMITTED a row changed by a concurrent writer is re-checked
 * against `status_version` before the update, so the version condition holds across replicas.
 * Everything after `applied` joins it: a refused instance write writes nothing else.
 *
 * Prebuilds: `prebuild_updates` keeps the newest update per prebuild id. `updated_prebuilds` cannot
 * see a row `new_prebuilds` inserts (same snapshot), so an adopted prebuild is inserted with that
 * update already applied when the update is not older; an existing one gets the ordinary update.
 *
 * Outbox rows get the writing transaction's id as their revision: every rewrite changes it and no
 * two writes share one, so an acknowledgement that names the revision it delivered never removes a
 * row rewritten since (not even one deleted and written again meanwhile). Each applied row comes
 * back with it (`revision`), so the notifier knows what its delivery covers without reading it.
 *
 * Fencing (`FENCED_WRITE_BATCH_SQL`): `held` reads the lease rows this replica still holds with the
 * epochs it was given and locks them FOR SHARE; `input` keeps only the writes under those leases, so
 * a fenced write reaches no CTE at all (not even `new_workspaces`). The lock conflicts with the row
 * lock of a takeover (`UPDATE … epoch = epoch + 1`, or acquire's upsert): a takeover that comes after
 * waits for this commit, and one in flight is waited for, after which READ COMMITTED re-checks the
 * newest version of the lease row, so a takeover committed before the lock fences the write even
 * though the statement's snapshot is older. Rows are locked in name order, as renew and release lock
 * them, so a renewal and a batch never deadlock.
 */

/** Names under which pg prepares the statements once per connection. */
export const WRITE_BATCH_STATEMENT = 'wsb_write_batch';
export const FENCED_WRITE_BATCH_STATEMENT = 'wsb_write_batch_fenced';

// The columns of one write in the JSON batch (see postgres-batch-encoding.ts).
const COLUMNS = `
    id text, workspace_id text, cluster_name text, phase text, status_version bigint,
    creation_time timestamptz, deployed_time timestamptz, started_time timestamptz,
    stopping_time timestamptz, stopped_time timestamptz, ide_url text, status jsonb, updated_at timestamptz,
    metrics jsonb,
    ws_id text, ws_owner_id text, ws_type text, ws_project_id text, ws_organization_id text, ws_created_at timestamptz,
    ap_id text, ap_build_workspace_id text, ap_project_id text, ap_state text, ap_snapshot text, ap_error text,
    ap_status_version bigint,
    pb_id text, pb_state text, pb_snapshot text, pb_error text, pb_status_version bigint,
    rt_user_id text, rt_name_prefix text,
    n_instance_id text, n_owner_id text, n_workspace_id text,
    messages jsonb`;

// Everything after `input`, the same in both statements. `$2` is the replica outbox rows name.
const WRITES = `
new_workspaces AS (
  INSERT INTO workspaces (id, owner_id, type, project_id, organization_id, created_at)
  SELECT DISTINCT ON (ws_id) ws_id, ws_owner_id, ws_type, ws_project_id, ws_organization_id, ws_created_at
  FROM input WHERE ws_id IS NOT NULL
  ON CONFLICT (id) DO NOTHING
),
updated AS (
  UPDATE workspace_instances w SET
    phase = i.phase, status_version = i.status_version, deployed_time = i.deployed_time,
    started_time = i.started_time, stopping_time = i.stopping_time, stopped_time = i.stopped_time,
    ide_url = i.ide_url, status = i.status, updated_at = i.updated_at
  FROM input i
  WHERE w.id = i.id AND w.status_version <= i.status_version
  RETURNING w.id
),
adopted AS (
  INSERT INTO workspace_instances (id, workspace_id, cluster_name, phase, status_version, creation_time,
    deployed_time, started_time, stopping_time, stopped_time, ide_url, status, updated_at)
  SELECT id, workspace_id, cluster_name, phase, status_version, creation_time,
    deployed_time, started_time, stopping_time, stopped_time, ide_url, status, updated_at
  FROM input i
  WHERE i.ws_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workspace_instances w WHERE w.id = i.id)
  ON CONFLICT (id) DO NOTHING
  RETURNING id
),
applied AS (SELECT id FROM updated UNION ALL SELECT id FROM adopted),
new_metrics AS (
  INSERT INTO workspace_instance_metrics (instance_id, metrics)
  SELECT i.id, i.metrics FROM input i JOIN applied a ON a.id = i.id WHERE i.metrics IS NOT NULL
  ON CONFLICT (instance_id) DO UPDATE SET metrics = excluded.metrics
),
prebuild_updates AS (
  SELECT DISTINCT ON (i.pb_id) i.pb_id AS id, i.pb_state AS state, i.pb_snapshot AS snapshot,
    i.pb_error AS error, i.pb_status_version AS status_version
  FROM input i JOIN applied a ON a.id = i.id WHERE i.pb_id IS NOT NULL
  ORDER BY i.pb_id, i.pb_status_version DESC
),
new_prebuilds AS (
  INSERT INTO prebuilt_workspaces (id, build_workspace_id, project_id, state, snapshot, error, status_version)
  SELECT DISTINCT ON (i.ap_id) i.ap_id, i.ap_build_workspace_id, i.ap_project_id,
    CASE WHEN u.id IS NULL THEN i.ap_state ELSE u.state END,
    CASE WHEN u.id IS NULL THEN i.ap_snapshot ELSE u.snapshot END,
    CASE WHEN u.id IS NULL THEN i.ap_error ELSE u.error END,
    CASE WHEN u.id IS NULL THEN i.ap_status_version ELSE u.status_version END
  FROM input i JOIN applied a ON a.id = i.id
  LEFT JOIN prebuild_updates u ON u.id = i.ap_id AND u.status_version >= i.ap_status_version
  WHERE i.ap_id IS NOT NULL
  ON CONFLICT (id) DO NOTHING
),
updated_prebuilds AS (
  UPDATE prebuilt_workspaces p SET
    state = u.state, snapshot = u.snapshot, error = u.error, status_version = u.status_version
  FROM prebuild_updates u
  WHERE p.id = u.id AND p.status_version <= u.status_version
),
revoked_tokens AS (
  DELETE FROM user_tokens t USING input i JOIN applied a ON a.id = i.id
  WHERE t.user_id = i.rt_user_id AND starts_with(t.name, i.rt_name_prefix)
),
new_outbox AS (
  INSERT INTO bridge_outbox (instance_id, owner_id, workspace_id, created_at, replica, revision)
  SELECT i.n_instance_id, i.n_owner_id, i.n_workspace_id, now(), $2::text, pg_current_xact_id()::text::bigint
  FROM input i JOIN applied a ON a.id = i.id WHERE i.n_instance_id IS NOT NULL
  ON CONFLICT (instance_id) DO UPDATE SET owner_id = excluded.owner_id, workspace_id = excluded.workspace_id,
    replica = excluded.replica, revision = excluded.revision
),
new_messages AS (
  INSERT INTO bridge_outbox_messages (key, channel, payload, created_at, replica, revision)
  SELECT DISTINCT ON (m.key) m.key, m.channel, m.payload, now(), $2::text, pg_current_xact_id()::text::bigint
  FROM input i JOIN applied a ON a.id = i.id
  CROSS JOIN LATERAL jsonb_to_recordset(i.messages) AS m(key text, channel text, payload text, seq integer)
  WHERE i.messages IS NOT NULL
  ORDER BY m.key, m.seq DESC
  ON CONFLICT (key) DO UPDATE SET channel = excluded.channel, payload = excluded.payload,
    replica = excluded.replica, revision = excluded.revision
)`;

// The transaction's id, as outbox rows record it.
const REVISION = 'pg_current_xact_id()::text::bigint';

/**
 * `$1`: the JSON array from `encodeBatch`; `$2`: the replica. Returns one row (`id`, `revision`) per
 * applied write.
 */
export const WRITE_BATCH_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${COLUMNS})
),${WRITES}
SELECT id, ${REVISION} AS revision FROM applied`;

/**
 * As `WRITE_BATCH_SQL`, each write only under a lease `$3` (the holder) holds: `$4` lease names
 * and `$5` their epochs (parallel arrays). `$1` is the JSON object from `encodeFencedBatch`: the
 * writes grouped by lease. Returns one row per applied write (`id`, `held` false, `revision`) and one
 * per lease still held (`id` = its name, `held` true).
 *
 * `input` reads only the groups of held leases, by key. A filter on the writes' recordset would
 * shrink the planner's estimate of `input` to one row and turn the joins with `applied` into nested
 * loops (measured: 3x slower per 1,000 rows with the outbox); the lateral join keeps it at 100 rows
 * per held lease, so the plan below `input` is the plain statement's.
 */
export const FENCED_WRITE_BATCH_SQL = `
WITH held AS MATERIALIZED (
  SELECT l.cluster_name FROM cluster_leases l
  JOIN unnest($4::text[], $5::bigint[]) AS e(name, epoch) ON e.name = l.cluster_name AND e.epoch = l.epoch
  WHERE l.holder = $3 AND l.expires_at > now()
  ORDER BY l.cluster_name
  FOR SHARE OF l
),
input AS (
  SELECT x.* FROM held h
  CROSS JOIN LATERAL jsonb_to_recordset($1::jsonb -> h.cluster_name) AS x(${COLUMNS})
),${WRITES}
SELECT id, false AS held, ${REVISION} AS revision FROM applied
UNION ALL SELECT cluster_name, true, NULL FROM held`;
