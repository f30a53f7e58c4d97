/** Building the rows the bridge creates for an instance it adopts (`--adopt-unknown`). Pure. */
import { WorkspaceType } from '../generated/wsman/core.js';
import type {
  InstanceRecord,
  PrebuildRow,
  WorkspaceRow,
  WorkspaceType as RowWorkspaceType,
} from '../store/types.js';
import type { ValidStatus } from './reduction.js';

/** The platform's workspace type for a ws-manager workspace type. */
export function workspaceTypeOf(type: WorkspaceType): RowWorkspaceType {
  switch (type) {
    case WorkspaceType.PREBUILD:
      return 'prebuild';
    case WorkspaceType.IMAGEBUILD:
      return 'imagebuild';
    default:
      return 'regular';
  }
}

/** The id of the prebuild the bridge creates for an adopted prebuild workspace (stable, so re-adopting finds it). */
export function adoptedPrebuildId(workspaceId: string): string {
  return `prebuild-${workspaceId}`;
}

/**
 * The rows an adopted instance starts from: its workspace, the empty instance record and, for a
 * prebuild workspace, a `queued` prebuild (the platform would have created it before the start). The
 * instance's creation time is ws-manager's `started_at` when given, else the time the bridge first
 * saw it.
 */
export function adoptedRecord(
  status: ValidStatus,
  cluster: string,
  observedAt: string,
): { record: InstanceRecord; workspace: WorkspaceRow; prebuild: PrebuildRow | undefined } {
  const meta = status.metadata;
  const workspace: WorkspaceRow = {
    id: meta.metaId || status.id,
    ownerId: meta.owner,
    type: workspaceTypeOf(status.spec.type),
    projectId: meta.project ?? null,
    organizationId: meta.team ?? null,
    createdAt: observedAt,
  };
  const prebuild: PrebuildRow | undefined =
    workspace.type === 'prebuild'
      ? {
          id: adoptedPrebuildId(workspace.id),
          buildWorkspaceId: workspace.id,
          projectId: workspace.projectId,
          state: 'queued',
          snapshot: null,
          error: null,
          statusVersion: 0n,
        }
      : undefined;
  const record: InstanceRecord = {
    ownerId: meta.owner,
    workspaceType: workspace.type,
    organizationId: workspace.organizationId,
    metrics: null,
    prebuild: prebuild ?? null,
    row: {
      id: status.id,
      workspaceId: workspace.id,
      clusterName: cluster,
      phase: 'unknown',
      statusVersion: 0n,
      creationTime: meta.startedAt ? meta.startedAt.toISOString() : observedAt,
      deployedTime: null,
      startedTime: null,
      stoppingTime: null,
      stoppedTime: null,
      ideUrl: '',
      status: { conditions: {} },
      updatedAt: observedAt,
    },
  };
  return { record, workspace, prebuild };
}
