/**
 * The pure status reducer: the next instance row and metrics for one ws-manager status. No I/O, no
 * clock (`observedAt` is passed in), never mutates its inputs. Parts of the current row that do not
 * change are reused in the next one, and strings of little variety come from a shared pool: memory
 * only, nothing a caller can observe.
 */
import type {
  ImageMetrics,
  InstanceConditions,
  InstanceMetrics,
  InstanceRow,
  InstanceStatus,
} from '../store/types.js';
import { mergeMetrics } from './metrics-merge.js';
import { incomingImageMetrics, metricsFromStatus } from './metrics-update.js';
import { transitionPhase } from './phase-transition.js';
import type { Reduction, ReductionEvent, StatusReducer, ValidStatus } from './reduction.js';
import {
  firstImageMetrics,
  firstNonEmpty,
  mapConditions,
  mapExposedPorts,
  sameExposedPorts,
  sameImage,
} from './status-mapping.js';
import { sharedStrings } from './string-pool.js';
import { mergeLeavesUnchanged, structuralEqual } from './structural-equal.js';

/**
 * The value to store: the current one when equal, so that a cached record keeps the strings it holds
 * and the status's fresh copies die young; otherwise `next`, shared with other instances if pooled.
 */
function kept(current: string | undefined, next: string, pooled = false): string {
  if (current === next) return current;
  return pooled ? sharedStrings.share(next) : next;
}

/** True when `current` is `{ image }` with these sizes and nothing else. */
function sameMetrics(current: InstanceStatus['metrics'], image: ImageMetrics): boolean {
  return current !== undefined && sameImage(current.image, image) && Object.keys(current).length === 1;
}

function nextStatus(
  current: InstanceStatus,
  status: ValidStatus,
  conditions: InstanceConditions,
): InstanceStatus {
  const image = firstImageMetrics(current.metrics?.image, incomingImageMetrics(status.metadata));
  const runtime = status.runtime;
  return {
    conditions,
    message: kept(current.message, status.message, true),
    exposedPorts: sameExposedPorts(current.exposedPorts, status.spec.exposedPorts)
      ? current.exposedPorts
      : mapExposedPorts(status.spec.exposedPorts),
    timeout: kept(current.timeout, status.spec.timeout, true),
    nodeName: firstNonEmpty(current.nodeName, sharedStrings.share(runtime?.nodeName)),
    podName: firstNonEmpty(current.podName, runtime?.podName),
    nodeIp: firstNonEmpty(current.nodeIp, sharedStrings.share(runtime?.nodeIp)),
    ownerToken: kept(current.ownerToken, status.auth.ownerToken),
    metrics: image && sameMetrics(current.metrics, image) ? current.metrics : image && { image },
  };
}

function nextMetrics(current: InstanceMetrics | null, status: ValidStatus): InstanceMetrics | undefined {
  const update = metricsFromStatus(status);
  if (!update) return undefined;
  // Most statuses repeat figures already stored: tell that without building the merge.
  if (current !== null && mergeLeavesUnchanged(current, update)) return undefined;
  return mergeMetrics(current, update);
}

function firstUserActivity(current: InstanceRow, next: InstanceRow): ReductionEvent | undefined {
  const activity = next.status.conditions.firstUserActivity;
  if (current.status.conditions.firstUserActivity !== undefined || activity === undefined) return undefined;
  if (next.startedTime === null) return undefined;
  // startedTime is when the bridge saw RUNNING; activity reported in that same status may predate it.
  const seconds = (Date.parse(activity) - Date.parse(next.startedTime)) / 1000;
  return { type: 'first-user-activity', secondsSinceStart: Math.max(0, seconds) };
}

/** Rows equal in every column but the version and the write time. */
function sameContent(a: InstanceRow, b: InstanceRow): boolean {
  return (
    a.phase === b.phase &&
    a.deployedTime === b.deployedTime &&
    a.startedTime === b.startedTime &&
    a.stoppingTime === b.stoppingTime &&
    a.stoppedTime === b.stoppedTime &&
    a.ideUrl === b.ideUrl &&
    a.id === b.id &&
    a.workspaceId === b.workspaceId &&
    a.clusterName === b.clusterName &&
    a.creationTime === b.creationTime &&
    structuralEqual(a.status, b.status)
  );
}

/**
 * Reduces one validated status onto the current instance record (see `StatusReducer`). Skips stale
 * versions, statuses that change nothing, and non-RUNNING phases for a stopped instance.
 */
export const reduceStatus: StatusReducer = (current, status, observedAt): Reduction => {
  const stored = current.row.statusVersion;
  const incoming = status.statusVersion;
  if (stored > 0n && incoming > 0n && incoming <= stored) {
    return { kind: 'skip', reason: 'stale', statusVersion: stored, events: [] };
  }
  // Version 0 means "unversioned": processed, but it must not erase the version already seen.
  const statusVersion = incoming > stored ? incoming : stored;
  const transition = transitionPhase(current.row, status.phase, observedAt);
  if (transition.kind === 'ignore') {
    const ignored: ReductionEvent = {
      type: 'ignored-after-stopped',
      incomingPhase: transition.incomingPhase,
    };
    return { kind: 'skip', reason: 'after-stopped', statusVersion, events: [ignored] };
  }
  const before = current.row;
  const { conditions, failedKept } = mapConditions(status.conditions, before.status.conditions);
  const { lifecycle } = transition;
  // Spelled out rather than spread: one allocation of one shape per status.
  const row: InstanceRow = {
    id: before.id,
    workspaceId: before.workspaceId,
    clusterName: before.clusterName,
    phase: lifecycle.phase,
    statusVersion,
    creationTime: before.creationTime,
    deployedTime: before.deployedTime ?? (conditions.deployed === true ? observedAt : null),
    startedTime: lifecycle.startedTime,
    stoppingTime: lifecycle.stoppingTime,
    stoppedTime: lifecycle.stoppedTime,
    ideUrl: kept(before.ideUrl, status.spec.url),
    status: nextStatus(before.status, status, conditions),
    updatedAt: observedAt,
  };
  // The transition's own list, made for this call.
  const events = transition.events;
  const activity = firstUserActivity(current.row, row);
  if (activity) events.push(activity);
  if (failedKept) events.push({ type: 'failed-condition-kept' });
  const metrics = nextMetrics(current.metrics, status);
  if (metrics === undefined && sameContent(row, current.row)) {
    return { kind: 'skip', reason: 'identical', statusVersion, events };
  }
  return { kind: 'apply', row, metrics, events };
};
