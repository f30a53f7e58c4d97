/**
 * The batch as the one JSON parameter of `WRITE_BATCH_SQL`: one object per write, keyed by the column
 * names of its `jsonb_to_recordset` list. Optional parts are left out when absent (a missing key reads
 * as NULL), so a plain status write stays as small as it was before they existed. The fenced
 * statement takes the same objects grouped by lease.
 */
import type { InstanceNotification, InstanceWrite, OutboxMessage } from '../ports.js';
import { workspaceToColumns } from '../instance-columns.js';
import { prebuildToColumns } from '../prebuild-columns.js';
import type { InstanceRow, PrebuildRow, WorkspaceRow } from '../types.js';

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

function encodeWrite(write: InstanceWrite, seq: number, outbox: boolean): Columns {
  const { row, metrics, adopt, notify, prebuild, messages, revokeTokens } = write;
  return {
    ...instanceColumns(row),
    ...(metrics && { metrics }),
    ...(adopt && workspaceColumns(adopt.workspace)),
    ...(adopt?.prebuild && adoptedPrebuildColumns(adopt.prebuild)),
    ...(prebuild && prebuildUpdateColumns(prebuild)),
    ...(revokeTokens && { rt_user_id: revokeTokens.userId, rt_name_prefix: revokeTokens.namePrefix }),
    ...(outbox && notify && notificationColumns(notify)),
    ...(outbox && messages?.length && { messages: messages.map((m) => messageColumns(m, seq)) }),
  };
}

function instanceColumns(row: InstanceRow): Columns {
  return {
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
  };
}

/** The columns of a table with a prefix that keeps them apart in the one recordset. */
function prefixed(prefix: string, columns: Columns): Columns {
  return Object.fromEntries(Object.entries(columns).map(([name, value]) => [prefix + name, value]));
}

function workspaceColumns(ws: WorkspaceRow): Columns {
  return prefixed('ws_', workspaceToColumns(ws));
}

function adoptedPrebuildColumns(p: PrebuildRow): Columns {
  return prefixed('ap_', { ...prebuildToColumns(p), status_version: p.statusVersion.toString() });
}

function prebuildUpdateColumns(p: PrebuildRow): Columns {
  return {
    pb_id: p.id,
    pb_state: p.state,
    pb_snapshot: p.snapshot,
    pb_error: p.error,
    pb_status_version: p.statusVersion.toString(),
  };
}

function notificationColumns(n: InstanceNotification): Columns {
  return { n_instance_id: n.instanceID, n_owner_id: n.ownerID, n_workspace_id: n.workspaceID };
}

// `seq` (the write's place in the batch) lets the SQL keep the last of repeated keys, as SQLite does.
function messageColumns(m: OutboxMessage, seq: number): Columns {
  return { key: m.key, channel: m.channel, payload: m.payload, seq };
}
