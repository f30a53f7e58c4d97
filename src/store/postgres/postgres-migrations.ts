/**
 * Schema of the PostgreSQL adapter (the tables of docs/schema.md): jsonb for JSON, bigint for
 * versions, timestamptz for times. Value lists in CHECKs are spelled out because a migration must not
 * change when types.ts does.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { assertUniqueClusterUrls } from '../migration-checks.js';

const INITIAL_SCHEMA = [
  `CREATE TABLE workspace_clusters (
    name text PRIMARY KEY,
    url text NOT NULL,
    tls_ca text,
    tls_crt text,
    tls_key text,
    state text NOT NULL CHECK (state IN ('available', 'cordoned', 'draining')),
    score integer NOT NULL,
    max_score integer NOT NULL,
    govern boolean NOT NULL,
    region text NOT NULL,
    admission_constraints jsonb NOT NULL DEFAULT '[]',
    available_workspace_classes jsonb NOT NULL DEFAULT '[]',
    preferred_workspace_class text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE TABLE workspaces (
    id text PRIMARY KEY,
    owner_id text NOT NULL,
    type text NOT NULL CHECK (type IN ('regular', 'prebuild', 'imagebuild')),
    project_id text,
    organization_id text,
    created_at timestamptz NOT NULL
  )`,
  // Free space in each page lets most status updates (which leave indexed columns alone) be HOT
  // updates that touch no index.
  `CREATE TABLE workspace_instances (
    id text PRIMARY KEY,
    workspace_id text NOT NULL,
    cluster_name text NOT NULL,
    phase text NOT NULL CHECK (phase IN ('unknown', 'preparing', 'building', 'pending', 'creating',
      'initializing', 'running', 'interrupted', 'stopping', 'stopped')),
    status_version bigint NOT NULL DEFAULT 0,
    creation_time timestamptz NOT NULL,
    deployed_time timestamptz,
    started_time timestamptz,
    stopping_time timestamptz,
    stopped_time timestamptz,
    ide_url text NOT NULL DEFAULT '',
    status jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL
  ) WITH (fillfactor = 70)`,
  `CREATE INDEX workspace_instances_cluster_phase ON workspace_instances (cluster_name, phase)`,
  `CREATE INDEX workspace_instances_workspace ON workspace_instances (workspace_id)`,
  `CREATE TABLE workspace_instance_metrics (
    instance_id text PRIMARY KEY,
    metrics jsonb NOT NULL DEFAULT '{}'
  ) WITH (fillfactor = 70)`,
  `CREATE TABLE prebuilt_workspaces (
    id text PRIMARY KEY,
    build_workspace_id text NOT NULL,
    project_id text,
    state text NOT NULL CHECK (state IN ('queued', 'building', 'available', 'aborted', 'timeout', 'failed')),
    snapshot text,
    error text,
    status_version bigint NOT NULL DEFAULT 0
  )`,
  `CREATE INDEX prebuilt_workspaces_build_workspace ON prebuilt_workspaces (build_workspace_id)`,
  `CREATE TABLE bridge_outbox (
    instance_id text PRIMARY KEY,
    owner_id text NOT NULL,
    workspace_id text NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX bridge_outbox_created ON bridge_outbox (created_at)`,
];

// user_tokens is the platform's table (the bridge deletes an instance's tokens when it stops);
// bridge_outbox_messages holds undelivered messages other than instance notifications. The payload
// is text, not jsonb, because it is published byte for byte.
const TOKENS_AND_MESSAGES = [
  `CREATE TABLE user_tokens (
    token_hash text PRIMARY KEY,
    user_id text NOT NULL,
    name text NOT NULL,
    scopes jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX user_tokens_user ON user_tokens (user_id)`,
  `CREATE TABLE bridge_outbox_messages (
    key text PRIMARY KEY,
    channel text NOT NULL,
    payload text NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX bridge_outbox_messages_created ON bridge_outbox_messages (created_at)`,
];

// Several replicas on one database: outbox rows name the replica that delivers them, leases say who
// streams each cluster (the epoch is the fencing token of every write), heartbeats say who is alive,
// and a trigger tells every replica at once that a cluster row changed. The channel name is spelled
// out here and in postgres-cluster-listener.ts, because a migration must not change later.
const REPLICAS = [
  `ALTER TABLE bridge_outbox ADD COLUMN replica text NOT NULL DEFAULT ''`,
  `CREATE INDEX bridge_outbox_replica ON bridge_outbox (replica, created_at)`,
  `ALTER TABLE bridge_outbox_messages ADD COLUMN replica text NOT NULL DEFAULT ''`,
  `CREATE INDEX bridge_outbox_messages_replica ON bridge_outbox_messages (replica, created_at)`,
  `CREATE UNIQUE INDEX workspace_clusters_url ON workspace_clusters (url)`,
  `CREATE TABLE cluster_leases (
    cluster_name text PRIMARY KEY,
    holder text NOT NULL,
    epoch bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at timestamptz NOT NULL,
    wanted_by text NULL,
    wanted_at timestamptz NULL
  )`,
  `CREATE TABLE bridge_replicas (
    replica_id text PRIMARY KEY,
    started_at timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  )`,
  `CREATE FUNCTION ws_manager_bridge_cluster_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.name <> NEW.name) THEN
      PERFORM pg_notify('ws_manager_bridge_clusters', OLD.name);
    END IF;
    IF TG_OP <> 'DELETE' THEN
      PERFORM pg_notify('ws_manager_bridge_clusters', NEW.name);
    END IF;
    RETURN NULL;
  END
  $$`,
  `CREATE TRIGGER workspace_clusters_changed AFTER INSERT OR UPDATE OR DELETE ON workspace_clusters
    FOR EACH ROW EXECUTE FUNCTION ws_manager_bridge_cluster_changed()`,
];

// Every write of an outbox row changes its revision, and an acknowledgement removes a row only at the
// revision its delivery covered: a row rewritten while the acknowledgement was on its way stays.
const OUTBOX_REVISIONS = [
  `ALTER TABLE bridge_outbox ADD COLUMN revision bigint NOT NULL DEFAULT 0`,
  `ALTER TABLE bridge_outbox_messages ADD COLUMN revision bigint NOT NULL DEFAULT 0`,
];

// The controller reads a cluster's instances a page at a time, phase by phase and by id within a
// phase: with the id in the index, each page is a range of it, with no sort of the whole phase.
const INSTANCES_BY_CLUSTER_PHASE_ID = [
  `CREATE INDEX workspace_instances_cluster_phase_id ON workspace_instances (cluster_name, phase, id)`,
  `DROP INDEX workspace_instances_cluster_phase`,
];

async function runAll(db: Kysely<unknown>, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/** Migrations of the PostgreSQL adapter, keyed (and ordered) by name. Each runs in a transaction. */
export const POSTGRES_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial-schema': {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const statement of INITIAL_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  '0002-user-tokens-and-outbox-messages': {
    up: (db: Kysely<unknown>) => runAll(db, TOKENS_AND_MESSAGES),
  },
  '0003-replicas': {
    async up(db: Kysely<unknown>): Promise<void> {
      await assertUniqueClusterUrls(db);
      await runAll(db, REPLICAS);
    },
  },
  '0004-outbox-revisions': {
    up: (db: Kysely<unknown>) => runAll(db, OUTBOX_REVISIONS),
  },
  '0005-instances-by-cluster-phase-id': {
    up: (db: Kysely<unknown>) => runAll(db, INSTANCES_BY_CLUSTER_PHASE_ID),
  },
};
