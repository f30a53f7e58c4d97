/**
 * Kysely's view of the tables, the platform's and the bridge's own, shared by both adapters. Selected
 * types are the union of what better-sqlite3 (safe integers, TEXT) and pg (int8 as bigint, jsonb,
 * timestamptz) return; the `*-columns.ts` mappers turn them into the shapes of `types.ts`. Inserted
 * values are what both drivers accept: JSON as text, timestamps as ISO strings, booleans as 0/1.
 */
import type { ColumnType } from 'kysely';

/** A JSON column: parsed object (pg jsonb) or text (SQLite) when read, JSON text when written. */
type JsonColumn = ColumnType<unknown, string, string>;
/** A timestamp column: Date (pg timestamptz) or ISO text (SQLite) when read, ISO text when written. */
type TimeColumn = ColumnType<Date | string, string, string>;
type NullableTimeColumn = ColumnType<Date | string | null, string | null, string | null>;
/** A 32-bit integer: bigint from SQLite with safe integers, number from pg. */
type IntColumn = ColumnType<number | bigint, number, number>;
/** int64 everywhere; always a JS bigint so that versions above 2^53 survive. */
type BigintColumn = ColumnType<bigint, bigint, bigint>;
type BoolColumn = ColumnType<boolean | number | bigint, number, number>;

/** `workspace_clusters`. */
export interface ClusterTable {
  name: string;
  url: string;
  tls_ca: string | null;
  tls_crt: string | null;
  tls_key: string | null;
  state: string;
  score: IntColumn;
  max_score: IntColumn;
  govern: BoolColumn;
  region: string;
  admission_constraints: JsonColumn;
  available_workspace_classes: JsonColumn;
  preferred_workspace_class: string | null;
  created_at: TimeColumn;
  updated_at: TimeColumn;
}

/** `workspaces`. */
export interface WorkspaceTable {
  id: string;
  owner_id: string;
  type: string;
  project_id: string | null;
  organization_id: string | null;
  created_at: TimeColumn;
}

/** `workspace_instances`. */
export interface InstanceTable {
  id: string;
  workspace_id: string;
  cluster_name: string;
  phase: string;
  status_version: BigintColumn;
  creation_time: TimeColumn;
  deployed_time: NullableTimeColumn;
  started_time: NullableTimeColumn;
  stopping_time: NullableTimeColumn;
  stopped_time: NullableTimeColumn;
  ide_url: string;
  status: JsonColumn;
  updated_at: TimeColumn;
}

/** `workspace_instance_metrics`. */
export interface InstanceMetricsTable {
  instance_id: string;
  metrics: JsonColumn;
}

/** `prebuilt_workspaces`. */
export interface PrebuildTable {
  id: string;
  build_workspace_id: string;
  project_id: string | null;
  state: string;
  snapshot: string | null;
  error: string | null;
  status_version: BigintColumn;
}

/** `bridge_outbox`: one pending notification per instance, coalesced. */
export interface OutboxTable {
  instance_id: string;
  owner_id: string;
  workspace_id: string;
  created_at: TimeColumn;
  /** The replica that delivers it: the last writer, or the one that claimed it as an orphan. */
  replica: string;
  /**
   * Changes with every write of the row (each batch writes its own); an acknowledgement removes the
   * row only at the revision it saw.
   */
  revision: ColumnType<bigint, never, never>;
}

/** `bridge_outbox_messages`: pending messages other than instance notifications, coalesced by key. */
export interface OutboxMessageTable {
  key: string;
  channel: string;
  /** The payload text exactly as it is published. */
  payload: string;
  /** When the first still-pending message of this key was recorded. */
  created_at: TimeColumn;
  /** The replica that delivers it, as in `bridge_outbox`. */
  replica: string;
  /** As in `bridge_outbox`. */
  revision: ColumnType<bigint, never, never>;
}

/** `user_tokens`: written by the platform; the bridge only deletes an instance's tokens. */
export interface UserTokenTable {
  token_hash: string;
  user_id: string;
  name: string;
  scopes: JsonColumn;
  created_at: TimeColumn;
}

/** `cluster_leases` (PostgreSQL only): who streams and controls each cluster. */
export interface LeaseTable {
  cluster_name: string;
  holder: string;
  epoch: BigintColumn;
  expires_at: TimeColumn;
  acquired_at: TimeColumn;
  renewed_at: TimeColumn;
  wanted_by: string | null;
  wanted_at: NullableTimeColumn;
}

/** `bridge_replicas` (PostgreSQL only): the replicas' heartbeats. */
export interface ReplicaTable {
  replica_id: string;
  started_at: TimeColumn;
  heartbeat_at: TimeColumn;
  expires_at: TimeColumn;
}

/** Every table the store touches, keyed by its SQL name. */
export interface StoreSchema {
  workspace_clusters: ClusterTable;
  workspaces: WorkspaceTable;
  workspace_instances: InstanceTable;
  workspace_instance_metrics: InstanceMetricsTable;
  prebuilt_workspaces: PrebuildTable;
  bridge_outbox: OutboxTable;
  bridge_outbox_messages: OutboxMessageTable;
  user_tokens: UserTokenTable;
  cluster_leases: LeaseTable;
  bridge_replicas: ReplicaTable;
}
