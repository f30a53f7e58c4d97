/** Row builders for the store contract suite: valid rows with small, readable overrides. */
import type { UserToken } from '../helpers/sql.js';
import type { BatchOptions, InstanceWrite, OutboxMessage } from '../../src/store/ports.js';
import type {
  ClusterRow,
  InstanceRecord,
  InstanceRow,
  PrebuildRow,
  WorkspaceRow,
} from '../../src/store/types.js';

export const T0 = '2026-01-02T03:04:05.678Z';
export const T1 = '2026-01-02T03:05:00.001Z';

export function workspaceRow(id: string, overrides: Partial<WorkspaceRow> = {}): WorkspaceRow {
  return {
    id,
    ownerId: `owner-of-${id}`,
    type: 'regular',
    projectId: null,
    organizationId: 'org-1',
    createdAt: T0,
    ...overrides,
  };
}

export function instanceRow(id: string, overrides: Partial<InstanceRow> = {}): InstanceRow {
  return {
    id,
    workspaceId: `ws-${id}`,
    clusterName: 'eu-1',
    phase: 'pending',
    statusVersion: 0n,
    creationTime: T0,
    deployedTime: null,
    startedTime: null,
    stoppingTime: null,
    stoppedTime: null,
    ideUrl: '',
    status: { conditions: {} },
    updatedAt: T0,
    ...overrides,
  };
}

/** The next row of an instance as the sync engine would write it. */
export function runningRow(
  id: string,
  statusVersion: bigint,
  overrides: Partial<InstanceRow> = {},
): InstanceRow {
  return instanceRow(id, {
    phase: 'running',
    statusVersion,
    deployedTime: T1,
    startedTime: T1,
    ideUrl: `https://${id}.ws.example.org`,
    status: { conditions: { deployed: true }, nodeName: 'node-1', podName: `ws-${id}` },
    updatedAt: T1,
    ...overrides,
  });
}

/** The record of an instance seeded by `platformRows`: empty metrics, no prebuild. */
export function instanceRecord(row: InstanceRow, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    row,
    ownerId: `owner-of-${row.workspaceId}`,
    workspaceType: 'regular',
    organizationId: 'org-1',
    metrics: {},
    prebuild: null,
    ...overrides,
  };
}

/** A write with a notification for the instance's owner. */
export function write(row: InstanceRow, extra: Partial<InstanceWrite> = {}): InstanceWrite {
  return {
    row,
    notify: { instanceID: row.id, ownerID: `owner-of-${row.workspaceId}`, workspaceID: row.workspaceId },
    ...extra,
  };
}

export function clusterRow(name: string, overrides: Partial<ClusterRow> = {}): ClusterRow {
  return {
    name,
    url: `dns:///${name}.clusters.example.org:8080`,
    tls: { ca: 'Y2E=', crt: 'Y3J0', key: 'a2V5' },
    state: 'available',
    score: 50,
    maxScore: 100,
    govern: true,
    region: 'europe',
    admissionConstraints: [{ type: 'has-feature-preview' }, { type: 'has-permission', permission: 'admin' }],
    availableWorkspaceClasses: [
      { id: 'g1-standard', displayName: 'Standard', description: '4 cores', creditsPerMinute: 0.17 },
    ],
    preferredWorkspaceClass: 'g1-standard',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function prebuildRow(id: string, overrides: Partial<PrebuildRow> = {}): PrebuildRow {
  return {
    id,
    buildWorkspaceId: `ws-${id}`,
    projectId: 'project-1',
    state: 'queued',
    snapshot: null,
    error: null,
    statusVersion: 0n,
    ...overrides,
  };
}

/** A `user_tokens` row as the platform writes it. */
export function userToken(userId: string, name: string): UserToken {
  return { tokenHash: `hash-of-${userId}-${name}`, userId, name };
}

/** A message for the message outbox. */
export function outboxMessage(
  key: string,
  payload: string,
  channel = 'chan:prebuild-updates',
): OutboxMessage {
  return { key, channel, payload };
}

/** Workspaces and instances for the given instance ids, as the platform would have created them. */
export function platformRows(ids: readonly string[], overrides: Partial<InstanceRow> = {}) {
  const instances = ids.map((id) => instanceRow(id, overrides));
  const workspaces = instances.map((row) => workspaceRow(row.workspaceId));
  return { workspaces, instances };
}

/** The replica the suite writes as, unless a test is about several. */
export const REPLICA = 'replica-1';

/** Batch options of a single, unfenced bridge, without and with the outbox. */
export const OUTBOX_OFF: BatchOptions = { outbox: false, replica: REPLICA };
export const OUTBOX_ON: BatchOptions = { outbox: true, replica: REPLICA };
