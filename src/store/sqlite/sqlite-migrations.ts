/**
 * Schema of the SQLite adapter (the tables of docs/schema.md). STRICT tables so that a wrongly typed value fails
 * instead of being stored with another type; JSON as TEXT, timestamps as ISO-8601 TEXT, int64 as
 * INTEGER. Value lists in CHECKs are spelled out because a migration must not change when types.ts does.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { assertUniqueClusterUrls } from '../migration-checks.js';

const INITIAL_SCHEMA = [
  `CREATE TABLE workspace_clusters (
    name TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    tls_ca TEXT,
    tls_crt TEXT,
    tls_key TEXT,
    state TEXT NOT NULL CHECK (state IN ('available', 'cordoned', 'draining')),
    score INTEGER NOT NULL,
    max_score INTEGER NOT NULL,
    govern INTEGER NOT NULL CHECK (govern IN (0, 1)),
    region TEXT NOT NULL,
    admission_constraints TEXT NOT NULL DEFAULT '[]',
    available_workspace_classes TEXT NOT NULL DEFAULT '[]',
    preferred_workspace_class TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT`,
  `CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('regular', 'prebuild', 'imagebuild')),
    project_id TEXT,
    organization_id TEXT,
    created_at TEXT NOT NULL
  ) STRICT`,
  `CREATE TABLE workspace_instances (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL,
    cluster_name TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('unknown', 'preparing', 'building', 'pending', 'creating',
      'initializing', 'running', 'interrupted', 'stopping', 'stopped')),
    status_version INTEGER NOT NULL DEFAULT 0,
    creation_time TEXT NOT NULL,
    deployed_time TEXT,
    started_time TEXT,
    stopping_time TEXT,
    stopped_time TEXT,
    ide_url TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
  ) STRICT`,
  `CREATE INDEX workspace_instances_cluster_phase ON workspace_instances (cluster_name, phase)`,
  `CREATE INDEX workspace_instances_workspace ON workspace_instances (workspace_id)`,
  `CREATE TABLE workspace_instance_metrics (
    instance_id TEXT PRIMARY KEY NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}'
  ) STRICT`,
  `CREATE TABLE prebuilt_workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    build_workspace_id TEXT NOT NULL,
    project_id TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'building', 'available', 'aborted', 'timeout', 'failed')),
    snapshot TEXT,
    error TEXT,
    status_version INTEGER NOT NULL DEFAULT 0
  ) STRICT`,
  `CREATE INDEX prebuilt_workspaces_build_workspace ON prebuilt_workspaces (build_workspace_id)`,
  `CREATE TABLE bridge_outbox (
    instance_id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT`,
  `CREATE INDEX bridge_outbox_created ON bridge_outbox (created_at)`,
];

// user_tokens is the platform's table (the bridge deletes an instance's tokens when it stops);
// bridge_outbox_messages holds undelivered messages other than instance notifications.
const TOKENS_AND_MESSAGES = [
  `CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
  ) STRICT`,
  `CREATE INDEX user_tokens_user ON user_tokens (user_id)`,
  `CREATE TABLE bridge_outbox_messages (
    key TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT`,
  `CREATE INDEX bridge_outbox_messages_created ON bridge_outbox_messages (created_at)`,
];

// Outbox rows name the replica that delivers them (a SQLite file has one, but rows carry the column
// in both adapters so that the outbox code is the same); one URL belongs to one cluster. Leases are
// PostgreSQL only: a SQLite file has a single writer (the lock file of claimSoleWriter).
const REPLICAS = [
  `ALTER TABLE bridge_outbox ADD COLUMN replica TEXT NOT NULL DEFAULT ''`,
  `CREATE INDEX bridge_outbox_replica ON bridge_outbox (replica, created_at)`,
  `ALTER TABLE bridge_outbox_messages ADD COLUMN replica TEXT NOT NULL DEFAULT ''`,
  `CREATE INDEX bridge_outbox_messages_replica ON bridge_outbox_messages (replica, created_at)`,
  `CREATE UNIQUE INDEX workspace_clusters_url ON workspace_clusters (url)`,
];

// Every write of an outbox row changes its revision, and an acknowledgement removes a row only at the
// revision its delivery covered: a row rewritten while the acknowledgement was on its way stays.
const OUTBOX_REVISIONS = [
  `ALTER TABLE bridge_outbox ADD COLUMN revision INTEGER NOT NULL DEFAULT 0`,
  `ALTER TABLE bridge_outbox_messages ADD COLUMN revision INTEGER NOT NULL DEFAULT 0`,
];

// As in 0001: Kysely's migrator does not wrap SQLite DDL in a transaction.
async function runInTransaction(
  db: Kysely<unknown>,
  statements: readonly string[],
  check: (trx: Kysely<unknown>) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await check(trx);
    for (const statement of statements) await sql.raw(statement).execute(trx);
  });
}

// The controller reads a cluster's instances a page at a time, phase by phase and by id within a
// phase: with the id in the index, each page is a range of it, with no sort of the whole phase.
const INSTANCES_BY_CLUSTER_PHASE_ID = [
  `CREATE INDEX workspace_instances_cluster_phase_id ON workspace_instances (cluster_name, phase, id)`,
  `DROP INDEX workspace_instances_cluster_phase`,
];

/** Migrations of the SQLite adapter, keyed (and ordered) by name. */
export const SQLITE_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial-schema': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Kysely's migrator does not wrap SQLite DDL in a transaction; one here keeps a failed
      // migration from leaving half a schema behind.
      await db.transaction().execute(async (trx) => {
        for (const statement of INITIAL_SCHEMA) await sql.raw(statement).execute(trx);
      });
    },
  },
  '0002-user-tokens-and-outbox-messages': {
    up: (db: Kysely<unknown>) => runInTransaction(db, TOKENS_AND_MESSAGES),
  },
  '0003-replicas': {
    up: (db: Kysely<unknown>) => runInTransaction(db, REPLICAS, assertUniqueClusterUrls),
  },
  '0004-outbox-revisions': {
    up: (db: Kysely<unknown>) => runInTransaction(db, OUTBOX_REVISIONS),
  },
  '0005-instances-by-cluster-phase-id': {
    up: (db: Kysely<unknown>) => runInTransaction(db, INSTANCES_BY_CLUSTER_PHASE_ID),
  },
};
