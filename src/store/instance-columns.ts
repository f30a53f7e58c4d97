/** Mapping between instance, workspace and outbox rows of `types.ts` and their columns. */
import type { Insertable, Selectable } from 'kysely';
import type { InstanceNotification } from './ports.js';
import type { InstanceMetricsTable, InstanceTable, OutboxTable, WorkspaceTable } from './schema.js';
import type {
  InstanceMetrics,
  InstancePhase,
  InstanceRecord,
  InstanceRow,
  InstanceStatus,
  WorkspaceRow,
  WorkspaceType,
} from './types.js';
import { joinedPrebuildFromColumns, type JoinedPrebuildColumns } from './prebuild-columns.js';
import {
  readBigint,
  readJson,
  readNullableJson,
  readNullableTime,
  readTime,
  writeJson,
} from './column-values.js';

/**
 * The columns every instance query selects: the instance plus owner, workspace type and organization,
 * metrics, and the prebuild the workspace builds (`pb_` columns).
 */
export type InstanceRecordColumns = Selectable<InstanceTable> &
  JoinedPrebuildColumns & {
    owner_id: string;
    workspace_type: string;
    organization_id: string | null;
    metrics: unknown;
  };

/** Turns one joined result row into an `InstanceRecord`. */
export function instanceRecordFromColumns(c: InstanceRecordColumns): InstanceRecord {
  // Phase and type are trusted: CHECK constraints keep other values out of the tables.
  const row: InstanceRow = {
    id: c.id,
    workspaceId: c.workspace_id,
    clusterName: c.cluster_name,
    phase: c.phase as InstancePhase,
    statusVersion: readBigint(c.status_version),
    creationTime: readTime(c.creation_time),
    deployedTime: readNullableTime(c.deployed_time),
    startedTime: readNullableTime(c.started_time),
    stoppingTime: readNullableTime(c.stopping_time),
    stoppedTime: readNullableTime(c.stopped_time),
    ideUrl: c.ide_url,
    status: readJson<InstanceStatus>(c.status),
    updatedAt: readTime(c.updated_at),
  };
  return {
    row,
    ownerId: c.owner_id,
    workspaceType: c.workspace_type as WorkspaceType,
    organizationId: c.organization_id,
    metrics: readNullableJson<InstanceMetrics>(c.metrics),
    prebuild: joinedPrebuildFromColumns(c),
  };
}

/** All columns of a new `workspace_instances` row. */
export function instanceToColumns(row: InstanceRow): Insertable<InstanceTable> {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    cluster_name: row.clusterName,
    phase: row.phase,
    status_version: row.statusVersion,
    creation_time: row.creationTime,
    deployed_time: row.deployedTime,
    started_time: row.startedTime,
    stopping_time: row.stoppingTime,
    stopped_time: row.stoppedTime,
    ide_url: row.ideUrl,
    status: writeJson(row.status),
    updated_at: row.updatedAt,
  };
}

/** All columns of a new `workspaces` row. */
export function workspaceToColumns(row: WorkspaceRow): Insertable<WorkspaceTable> {
  return {
    id: row.id,
    owner_id: row.ownerId,
    type: row.type,
    project_id: row.projectId,
    organization_id: row.organizationId,
    created_at: row.createdAt,
  };
}

/** All columns of a `workspace_instance_metrics` row. */
export function metricsToColumns(
  instanceId: string,
  metrics: InstanceMetrics,
): Insertable<InstanceMetricsTable> {
  return { instance_id: instanceId, metrics: writeJson(metrics) };
}

/** Turns an outbox row into the notification it records. */
export function notificationFromColumns(
  c: Pick<Selectable<OutboxTable>, 'instance_id' | 'owner_id' | 'workspace_id'>,
): InstanceNotification {
  return { instanceID: c.instance_id, ownerID: c.owner_id, workspaceID: c.workspace_id };
}
