/**
 * Builders of realistic ws-manager statuses and stored instance records for tests. Defaults describe
 * one regular workspace instance `inst-1` of workspace `ws-1`, owned by `user-1`, on cluster `eu-1`.
 */
import type { DeepPartial } from '../../src/generated/wsman/core.js';
import {
  WorkspaceConditionBool,
  WorkspacePhase,
  WorkspaceStatus,
  WorkspaceType,
} from '../../src/generated/wsman/core.js';
import type { ValidStatus } from '../../src/sync/reduction.js';
import { validateStatus } from '../../src/sync/validate-status.js';
import type {
  InstanceMetrics,
  InstanceRecord,
  InstanceRow,
  PrebuildRow,
  WorkspaceType as PlatformType,
} from '../../src/store/types.js';
import { instanceRow } from '../contract/store-fixtures.js';

/** When the default instance was created by the platform. */
export const CREATED_AT = '2024-05-01T09:59:00.000Z';
/** A bridge observation time, one minute after `CREATED_AT`. */
export const OBSERVED_AT = '2024-05-01T10:00:00.000Z';
/** The default owner token (a secret: tests assert it never leaks). */
export const OWNER_TOKEN = 'owner-token-s3cr3t';

const DEFAULT_STATUS: DeepPartial<WorkspaceStatus> = {
  id: 'inst-1',
  statusVersion: 100n,
  metadata: { owner: 'user-1', metaId: 'ws-1', annotations: {} },
  spec: {
    workspaceImage: 'eu.gcr.io/gitpod/workspace-full:latest',
    url: 'https://ws-1.eu-1.ws.example.test',
    type: WorkspaceType.REGULAR,
    timeout: '30m0s',
    exposedPorts: [],
    class: 'g1-standard',
  },
  phase: WorkspacePhase.PENDING,
  conditions: {
    pullingImages: WorkspaceConditionBool.FALSE,
    deployed: WorkspaceConditionBool.FALSE,
    stoppedByRequest: WorkspaceConditionBool.FALSE,
  },
  message: '',
  auth: { ownerToken: OWNER_TOKEN },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function mergePartial(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergePartial(base[key], value);
  return merged;
}

/**
 * A decoded WorkspaceStatus: the defaults deep-merged with `overrides` (arrays replace; an explicit
 * `undefined` removes a message, e.g. `{ auth: undefined }`).
 */
export function wireStatus(overrides: DeepPartial<WorkspaceStatus> = {}): WorkspaceStatus {
  return WorkspaceStatus.fromPartial(mergePartial(DEFAULT_STATUS, overrides) as DeepPartial<WorkspaceStatus>);
}

/** Like `wireStatus`, validated; throws when the overrides make it invalid. */
export function validStatus(overrides: DeepPartial<WorkspaceStatus> = {}): ValidStatus {
  const result = validateStatus(wireStatus(overrides));
  if (!result.ok) throw new Error(result.message);
  return result.status;
}

/** Overrides of `instanceRecord`: row fields replace the defaults shallowly (`status` as a whole). */
export interface InstanceRecordOverrides {
  row?: Partial<InstanceRow>;
  ownerId?: string;
  workspaceType?: PlatformType;
  organizationId?: string | null;
  metrics?: InstanceMetrics | null;
  prebuild?: PrebuildRow | null;
}

/** A stored instance as the platform creates it (phase `pending`, no version yet), with overrides. */
export function instanceRecord(overrides: InstanceRecordOverrides = {}): InstanceRecord {
  const row: InstanceRow = instanceRow('inst-1', {
    workspaceId: 'ws-1',
    creationTime: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides.row,
  });
  return {
    row,
    ownerId: overrides.ownerId ?? 'user-1',
    workspaceType: overrides.workspaceType ?? 'regular',
    organizationId: overrides.organizationId ?? null,
    metrics: overrides.metrics ?? null,
    prebuild: overrides.prebuild ?? null,
  };
}
