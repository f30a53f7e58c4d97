/** Phase and lifecycle timestamps of an instance after one ws-manager phase (the original bridge's table, with `stopped` terminal except for RUNNING). */
import type { WorkspacePhase } from '../generated/wsman/core.js';
import type { InstancePhase, InstanceRow } from '../store/types.js';
import type { ReductionEvent } from './reduction.js';
import { mapPhase } from './status-mapping.js';

/** The part of a row a phase change moves. */
export type Lifecycle = Pick<InstanceRow, 'phase' | 'startedTime' | 'stoppingTime' | 'stoppedTime'>;

/** Either the next lifecycle with what happened on the way, or "ignore this status" for a stopped instance. */
export type PhaseTransition =
  | { kind: 'apply'; lifecycle: Lifecycle; events: ReductionEvent[] }
  | { kind: 'ignore'; incomingPhase: InstancePhase | 'unknown' };

function secondsBetween(fromIso: string, toIso: string): number {
  return (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
}

function toRunning(row: InstanceRow, observedAt: string): PhaseTransition {
  const events: ReductionEvent[] = [];
  // A RUNNING after a stop is a revival (for example ws-manager outlived a controller's forced stop).
  if (row.stoppingTime !== null || row.stoppedTime !== null) {
    events.push({ type: 'resurrected', previousPhase: row.phase });
  }
  const startedTime = row.startedTime ?? observedAt;
  if (row.startedTime === null) {
    events.push({ type: 'started', startupSeconds: secondsBetween(row.creationTime, startedTime) });
  }
  return {
    kind: 'apply',
    lifecycle: { phase: 'running', startedTime, stoppingTime: null, stoppedTime: null },
    events,
  };
}

function apply(lifecycle: Lifecycle): PhaseTransition {
  return { kind: 'apply', lifecycle, events: [] };
}

function fromStopped(row: InstanceRow, next: InstancePhase | undefined, observedAt: string): PhaseTransition {
  if (next === 'running') return toRunning(row, observedAt);
  if (next !== 'stopped') return { kind: 'ignore', incomingPhase: next ?? 'unknown' };
  // Repeated STOPPED statuses (every resync lists them) must not move the stop times.
  return apply({
    phase: 'stopped',
    startedTime: row.startedTime,
    stoppingTime: row.stoppingTime ?? observedAt,
    stoppedTime: row.stoppedTime ?? observedAt,
  });
}

/**
 * The lifecycle after `incoming`, observed at `observedAt`. UNKNOWN keeps the phase; startedTime and
 * stoppingTime are set once; `stopped` is terminal except for RUNNING, which revives the instance.
 */
export function transitionPhase(
  row: InstanceRow,
  incoming: WorkspacePhase,
  observedAt: string,
): PhaseTransition {
  const next = mapPhase(incoming);
  if (row.phase === 'stopped') return fromStopped(row, next, observedAt);
  const current: Lifecycle = {
    phase: row.phase,
    startedTime: row.startedTime,
    stoppingTime: row.stoppingTime,
    stoppedTime: row.stoppedTime,
  };
  switch (next) {
    case undefined:
      return apply(current);
    case 'running':
      return toRunning(row, observedAt);
    case 'stopping':
      // Set once, so the time spent stopping is not counted as running time.
      return apply({ ...current, phase: 'stopping', stoppingTime: row.stoppingTime ?? observedAt });
    case 'stopped':
      // ws-manager may skip STOPPING; the stop still needs a start time.
      return apply({
        ...current,
        phase: 'stopped',
        stoppingTime: row.stoppingTime ?? observedAt,
        stoppedTime: observedAt,
      });
    default:
      return apply({ ...current, phase: next });
  }
}
