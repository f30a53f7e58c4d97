/** Validation of a WorkspaceStatus from ws-manager before anything else looks at it. */
import type { WorkspaceStatus } from '../generated/wsman/core.js';
import { WorkspacePhase, WorkspaceType } from '../generated/wsman/core.js';
import type { InvalidStatusReason, ValidationResult } from './reduction.js';

const KNOWN_PHASES: ReadonlySet<number> = new Set(
  Object.values(WorkspacePhase).filter((value) => value !== WorkspacePhase.UNRECOGNIZED),
);
const KNOWN_TYPES: ReadonlySet<number> = new Set(
  Object.values(WorkspaceType).filter((value) => value !== WorkspaceType.UNRECOGNIZED),
);

/** Largest status_version the database can hold (int64). */
const MAX_STATUS_VERSION = 2n ** 63n - 1n;

/** Ids are echoed into logs; a hostile or broken peer must not be able to flood them. */
const MAX_ID_IN_MESSAGE = 64;

function invalid(status: WorkspaceStatus, reason: InvalidStatusReason, problem: string): ValidationResult {
  const id = status.id.length > MAX_ID_IN_MESSAGE ? `${status.id.slice(0, MAX_ID_IN_MESSAGE)}…` : status.id;
  const message = id === '' ? `invalid status: ${problem}` : `invalid status for instance ${id}: ${problem}`;
  return { ok: false, reason, message };
}

/**
 * Checks that `status` can be reduced: a non-empty id; metadata, spec, conditions and auth present;
 * phase and workspace type known enum values; status_version within int64. Never throws; the
 * message names the problem and the instance id, never the owner token.
 */
export function validateStatus(status: WorkspaceStatus): ValidationResult {
  const { metadata, spec, conditions, auth } = status;
  if (status.id === '') return invalid(status, 'missing-id', 'empty instance id');
  if (!metadata) return invalid(status, 'missing-metadata', 'metadata is missing');
  if (!spec) return invalid(status, 'missing-spec', 'spec is missing');
  if (!conditions) return invalid(status, 'missing-conditions', 'conditions are missing');
  if (!auth) return invalid(status, 'missing-auth', 'auth is missing');
  if (!KNOWN_PHASES.has(status.phase)) {
    return invalid(status, 'unknown-phase', `unknown phase ${status.phase}`);
  }
  if (!KNOWN_TYPES.has(spec.type)) {
    return invalid(status, 'unknown-type', `unknown workspace type ${spec.type}`);
  }
  if (status.statusVersion < 0n || status.statusVersion > MAX_STATUS_VERSION) {
    return invalid(status, 'version-out-of-range', `status_version ${status.statusVersion} exceeds int64`);
  }
  return { ok: true, status: { ...status, metadata, spec, conditions, auth } };
}
