/** Maps a prebuild workspace's status onto its prebuild state (the original bridge's mapping, with stopped_by_request EMPTY not counted as aborted). */
import type { WorkspaceConditions } from '../generated/wsman/core.js';
import { WorkspaceConditionBool, WorkspacePhase } from '../generated/wsman/core.js';
import { HEADLESS_EVENT_TYPES, type HeadlessEventType } from '../pubsub/payloads.js';
import type { PrebuildState } from '../store/types.js';
import type { ValidStatus } from './reduction.js';

/** Fields of the prebuild row to overwrite; absent ones keep their stored values. */
export interface PrebuildUpdate {
  state: PrebuildState;
  snapshot?: string;
  error?: string;
}

/** What a status means for its prebuild: the headless event to publish and the row update. */
export interface PrebuildMapping {
  type: HeadlessEventType;
  update: PrebuildUpdate;
}

/** Options of `mapPrebuildStatus`. */
export interface PrebuildMapperOptions {
  /**
   * Decide the final state at STOPPED instead of STOPPING (the original's
   * `ws_manager_bridge_stopped_prebuild_statuses` flag). @default false
   */
  stoppedPrebuildStatuses: boolean;
}

const DONE_STATES: ReadonlySet<PrebuildState> = new Set(['available', 'timeout', 'aborted', 'failed']);

/** True for the final prebuild states: available, timeout, aborted, failed. */
export function isPrebuildDone(state: PrebuildState): boolean {
  return DONE_STATES.has(state);
}

function started(state: 'queued' | 'building'): PrebuildMapping {
  return { type: HEADLESS_EVENT_TYPES.started, update: { state } };
}

function finalState(conditions: WorkspaceConditions): PrebuildMapping | undefined {
  const { timeout, failed, headlessTaskFailed, snapshot } = conditions;
  if (timeout !== '') {
    return { type: HEADLESS_EVENT_TYPES.abortedTimedOut, update: { state: 'timeout', error: timeout } };
  }
  if (failed !== '') return { type: HEADLESS_EVENT_TYPES.failed, update: { state: 'failed', error: failed } };
  // Only an explicit TRUE is a cancellation; the original also took EMPTY for one (its defect 16).
  if (conditions.stoppedByRequest === WorkspaceConditionBool.TRUE) {
    return { type: HEADLESS_EVENT_TYPES.aborted, update: { state: 'aborted', error: 'Cancelled' } };
  }
  if (headlessTaskFailed !== '') {
    const update: PrebuildUpdate = { state: 'available', snapshot, error: headlessTaskFailed };
    return { type: HEADLESS_EVENT_TYPES.finishedButFailed, update };
  }
  if (snapshot !== '') {
    return {
      type: HEADLESS_EVENT_TYPES.finishedSuccessfully,
      update: { state: 'available', snapshot, error: '' },
    };
  }
  // Stopping without a snapshot yet is an intermediate state; the next status decides.
  return undefined;
}

/**
 * The prebuild state a status of the prebuild's workspace leads to, or undefined for "no change".
 * Before the workspace runs the prebuild is `queued` (INTERRUPTED too, as in the original); while it
 * runs it is `building`; the final state is read from the conditions at STOPPING, or at STOPPED with
 * `stoppedPrebuildStatuses`. The caller checks that the workspace is a prebuild.
 */
export function mapPrebuildStatus(
  status: ValidStatus,
  options: PrebuildMapperOptions,
): PrebuildMapping | undefined {
  const decideAtStopped = options.stoppedPrebuildStatuses;
  switch (status.phase) {
    case WorkspacePhase.UNKNOWN:
    case WorkspacePhase.PENDING:
    case WorkspacePhase.CREATING:
    case WorkspacePhase.INITIALIZING:
    case WorkspacePhase.INTERRUPTED:
      return started('queued');
    case WorkspacePhase.RUNNING:
      return started('building');
    case WorkspacePhase.STOPPING:
      return decideAtStopped ? started('building') : finalState(status.conditions);
    case WorkspacePhase.STOPPED:
      return decideAtStopped ? finalState(status.conditions) : undefined;
    default:
      return undefined;
  }
}
