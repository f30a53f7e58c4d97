/**
 * The pure status reducer: the next instance row and metrics for one ws-manager status. No I/O, no
 * clock (`observedAt` is passed in), never mutates its inputs.
 */
import type { InstanceConditions, InstanceMetrics, InstanceRow, InstanceStatus } from '../store/types.js';
import { mergeMetrics } from './metrics-merge.js';
import { incomingImageMetrics, metricsFromStatus } from './metrics-update.js';
import { transitionPhase } from './phase-transition.js';
import type { Reduction, ReductionEvent, StatusReducer, ValidStatus } from './reduction.js';
import { firstImageMetrics, firstNonEmpty, mapConditions, mapExposedPorts } from './status-mapping.js';
import { mergeLeavesUnchanged, structuralEqual } from './structural-equal.js';

function nextStatus(
  current: InstanceStatus,
  status: ValidStatus,
  conditions: InstanceConditions,
): InstanceStatus {
  const image = firstImageMetrics(current.metrics?.image, incomingImageMetrics(status.metadata));
  return {
    conditions,
    message: status.message,
    exposedPorts: mapExposedPorts(status.spec.exposedPorts),
    timeout: status.spec.timeout,
    nodeName: firstNonEmpty(current.nodeName, status.runtime?.nodeName),
    podName: firstNonEmpty(current.podName, status.runtime?.podName),
    nodeIp: firstNonEmpty(current.nodeIp, status.runtime?.nodeIp),
    ownerToken: status.auth.ownerToken,
    metrics: image ? { image } : undefined,
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
  const { conditions, failedKept } = mapConditions(status.conditions, current.row.status.conditions);
  const row: InstanceRow = {
    ...current.row,
    ...transition.lifecycle,
    statusVersion,
    deployedTime: current.row.deployedTime ?? (conditions.deployed === true ? observedAt : null),
    ideUrl: status.spec.url,
    status: nextStatus(current.row.status, status, conditions),
    updatedAt: observedAt,
  };
  const events = [...transition.events];
  const activity = firstUserActivity(current.row, row);
  if (activity) events.push(activity);
  if (failedKept) events.push({ type: 'failed-condition-kept' });
  const metrics = nextMetrics(current.metrics, status);
  if (metrics === undefined && sameContent(row, current.row)) {
    return { kind: 'skip', reason: 'identical', statusVersion, events };
  }
  return { kind: 'apply', row, metrics, events };
};
