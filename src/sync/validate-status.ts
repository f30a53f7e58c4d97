/** Validation of a WorkspaceStatus from ws-manager before anything else looks at it. */
import type { WorkspaceStatus } from '../generated/wsman/core.js';
import { WorkspacePhase, WorkspaceType } from '../generated/wsman/core.js';
import type { InvalidStatusReason, ValidationResult, ValidStatus } from './reduction.js';

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

/**
 * Limits on what one status may carry; a status over any of them is refused whole (`too-large`).
 * Real values are far below: ids are UUIDs, ports a handful, texts a few lines. They bound the
 * stored row and the log lines, whatever ws-manager sends.
 */
export const STATUS_LIMITS = {
  /** Characters of the instance id, the workspace id (`metaId`) and the owner id. */
  idLength: 256,
  /** Characters of any text the bridge keeps: messages, URLs, conditions, the owner token, annotations. */
  textLength: 64 * 1024,
  /** Exposed ports, and annotations. */
  entries: 1_000,
} as const;

function tooLong(name: string, text: string | undefined, limit: number = STATUS_LIMITS.textLength) {
  return text !== undefined && text.length > limit
    ? `${name} has ${text.length} characters, more than ${limit}`
    : undefined;
}

function tooMany(name: string, count: number): string | undefined {
  return count > STATUS_LIMITS.entries
    ? `${name} has ${count} entries, more than ${STATUS_LIMITS.entries}`
    : undefined;
}

/** The first id over its limit, named, or undefined. Checked first: ids are echoed in log lines. */
function oversizedId(status: WorkspaceStatus): string | undefined {
  const limit = STATUS_LIMITS.idLength;
  return (
    tooLong('the instance id', status.id, limit) ??
    tooLong('metadata.metaId', status.metadata?.metaId, limit) ??
    tooLong('metadata.owner', status.metadata?.owner, limit)
  );
}

/** The first field the bridge keeps that is over its limit, named, or undefined. */
function oversizedField(status: ValidStatus): string | undefined {
  const { spec, conditions, runtime, metadata } = status;
  const found =
    tooLong('message', status.message) ??
    tooLong('spec.url', spec.url) ??
    tooLong('spec.timeout', spec.timeout) ??
    tooLong('conditions.failed', conditions.failed) ??
    tooLong('conditions.timeout', conditions.timeout) ??
    tooLong('conditions.snapshot', conditions.snapshot) ??
    tooLong('conditions.headlessTaskFailed', conditions.headlessTaskFailed) ??
    tooLong('runtime.nodeName', runtime?.nodeName) ??
    tooLong('runtime.podName', runtime?.podName) ??
    tooLong('runtime.nodeIp', runtime?.nodeIp) ??
    tooLong('auth.ownerToken', status.auth.ownerToken) ??
    tooMany('spec.exposedPorts', spec.exposedPorts.length);
  if (found) return found;
  for (const port of spec.exposedPorts) {
    const url = tooLong(`the url of exposed port ${port.port}`, port.url);
    if (url) return url;
  }
  let annotations = 0;
  for (const [key, value] of Object.entries(metadata.annotations)) {
    annotations += 1;
    const entry = tooLong('an annotation name', key) ?? tooLong(`annotation ${key.slice(0, 64)}`, value);
    if (entry) return entry;
  }
  return tooMany('metadata.annotations', annotations);
}

function invalid(status: WorkspaceStatus, reason: InvalidStatusReason, problem: string): ValidationResult {
  const id = status.id.length > MAX_ID_IN_MESSAGE ? `${status.id.slice(0, MAX_ID_IN_MESSAGE)}…` : status.id;
  const message = id === '' ? `invalid status: ${problem}` : `invalid status for instance ${id}: ${problem}`;
  return { ok: false, reason, message };
}

/**
 * Checks that `status` can be reduced: a non-empty id; metadata, spec, conditions and auth present;
 * phase and workspace type known enum values; status_version within int64; nothing over
 * `STATUS_LIMITS`. Never throws; the message names the problem and the instance id (cut to 64
 * characters), never the owner token or another value.
 */
export function validateStatus(status: WorkspaceStatus): ValidationResult {
  const { metadata, spec, conditions, auth } = status;
  if (status.id === '') return invalid(status, 'missing-id', 'empty instance id');
  const longId = oversizedId(status);
  if (longId) return invalid(status, 'too-large', longId);
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
  const valid: ValidStatus = { ...status, metadata, spec, conditions, auth };
  const tooLarge = oversizedField(valid);
  if (tooLarge) return invalid(status, 'too-large', tooLarge);
  return { ok: true, status: valid };
}
