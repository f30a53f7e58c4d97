/**
 * The batch as the one JSON parameter of `WRITE_BATCH_SQL`: one object per write, keyed by the column
 * names of its `jsonb_to_recordset` list. Optional parts are left out when absent (a missing key reads
 * as NULL), so a plain status write carries only its instance's columns and notification. The fenced
 * statement takes the same objects grouped by lease.
 */
import type { InstanceWrite, OutboxMessage } from '../ports.js';
import { prebuildToColumns } from '../prebuild-columns.js';
import type { PrebuildRow } from '../types.js';

type Columns = Record<string, unknown>;

/**
 * Encodes a batch. Versions go as decimal strings so that values above 2^53 reach the bigint columns
 * exactly; `notify` and `messages` are left out unless `outbox` is set.
 */
export function encodeBatch(writes: readonly InstanceWrite[], outbox: boolean): string {
  return JSON.stringify(writes.map((write, seq) => encodeWrite(write, seq, outbox)));
}

/**
 * Encodes a fenced batch for `FENCED_WRITE_BATCH_SQL`: `{ "<lease>": [write, …], … }`, each write as
 * `encodeBatch` makes it. Every write has a lease (writes without one are fenced before this).
 */
export function encodeFencedBatch(writes: readonly InstanceWrite[], outbox: boolean): string {
  // A Map, then own properties: a lease named "__proto__" must stay a key like any other.
  const byLease = new Map<string, Columns[]>();
  writes.forEach((write, seq) => {
    const lease = write.lease ?? '';
    const group = byLease.get(lease) ?? [];
    if (group.length === 0) byLease.set(lease, group);
    group.push(encodeWrite(write, seq, outbox));
  });
  return JSON.stringify(Object.fromEntries(byLease));
}

// One object of one shape per write: absent parts are `undefined`, which JSON.stringify leaves out
// exactly as if the key were missing, and a single shape keeps the encoding on V8's fast path.
function encodeWrite(write: InstanceWrite, seq: number, outbox: boolean): Columns {
  const { row, metrics, adopt, notify, prebuild, messages, revokeTokens } = write;
  const ws = adopt?.workspace;
  const notified = outbox ? notify : undefined;
  const columns: Columns = {
    id: row.id,
    workspace_id: row.workspaceId,
    cluster_name: row.clusterName,
    phase: row.phase,
    status_version: row.statusVersion.toString(),
    creation_time: row.creationTime,
    deployed_time: row.deployedTime,
    started_time: row.startedTime,
    stopping_time: row.stoppingTime,
    stopped_time: row.stoppedTime,
    ide_url: row.ideUrl,
    status: row.status,
    updated_at: row.updatedAt,
    metrics,
    ws_id: ws?.id,
    ws_owner_id: ws?.ownerId,
    ws_type: ws?.type,
    ws_project_id: ws?.projectId,
    ws_organization_id: ws?.organizationId,
    ws_created_at: ws?.createdAt,
    pb_id: prebuild?.id,
    pb_state: prebuild?.state,
    pb_snapshot: prebuild?.snapshot,
    pb_error: prebuild?.error,
    pb_status_version: prebuild?.statusVersion.toString(),
    rt_user_id: revokeTokens?.userId,
    rt_name_prefix: revokeTokens?.namePrefix,
    n_instance_id: notified?.instanceID,
    n_owner_id: notified?.ownerID,
    n_workspace_id: notified?.workspaceID,
    messages: outbox && messages?.length ? messages.map((m) => messageColumns(m, seq)) : undefined,
  };
  return adopt?.prebuild ? { ...columns, ...adoptedPrebuildColumns(adopt.prebuild) } : columns;
}

/** The columns of a table with a prefix that keeps them apart in the one recordset. */
function prefixed(prefix: string, columns: Columns): Columns {
  return Object.fromEntries(Object.entries(columns).map(([name, value]) => [prefix + name, value]));
}

function adoptedPrebuildColumns(p: PrebuildRow): Columns {
  return prefixed('ap_', { ...prebuildToColumns(p), status_version: p.statusVersion.toString() });
}

// `seq` (the write's place in the batch) lets the SQL keep the last of repeated keys, as SQLite does.
function messageColumns(m: OutboxMessage, seq: number): Columns {
  return { key: m.key, channel: m.channel, payload: m.payload, seq };
}
