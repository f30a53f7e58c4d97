/**
 * When the bridge stops an instance itself (the original bridge's rules, with their strict and inclusive comparisons). Pure: a function of the
 * instance's row, whether its ws-manager lists it, the time and the configured timeouts.
 */
import type { PhaseTimeouts } from '../config/config.js';
import type { InstanceState } from '../store/types.js';

/** Which rule stopped an instance (log context and tests). */
export type StopRule =
  | 'unlisted-running'
  | 'unlisted-pending-timeout'
  | 'unlisted-stopping-timeout'
  | 'preparing-timeout'
  | 'building-timeout'
  | 'unknown-timeout';

/** The decision for one instance. */
export type InstanceDecision = { stop: false } | { stop: true; rule: StopRule; reason: string };

const KEEP: InstanceDecision = { stop: false };

function since(iso: string, nowMs: number): number {
  return nowMs - Date.parse(iso);
}

function stop(rule: StopRule, reason: string): InstanceDecision {
  return { stop: true, rule, reason };
}

/**
 * Decides whether to mark an instance stopped.
 *
 * - Whatever ws-manager says: `preparing`, `building` and `unknown` instances whose creation is at
 *   least their phase's timeout ago (these phases are set by the platform before a cluster takes the
 *   instance over).
 * - Only when ws-manager answered and does not list the instance (`listed === false`): `running` at
 *   once; `pending` longer than its timeout since creation; `stopping` longer than its timeout since
 *   its stopping time. `creating`, `initializing`, `interrupted`, a `stopping` without a stopping time
 *   and young `pending`/`stopping` instances are left alone: they were seen to come back (creating)
 *   or to take long for good reasons (a large backup while stopping).
 *
 * `listed` is undefined when there is no answer: the manager is unreachable, or the instance belongs
 * to the installation itself. Strict and non-strict comparisons follow the original.
 */
export function decideInstance(
  row: InstanceState,
  listed: boolean | undefined,
  nowMs: number,
  timeouts: PhaseTimeouts,
): InstanceDecision {
  const age = since(row.creationTime, nowMs);
  const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
  switch (row.phase) {
    case 'preparing':
      return age >= timeouts.preparingMs
        ? stop('preparing-timeout', `preparing for more than ${seconds(timeouts.preparingMs)}`)
        : KEEP;
    case 'building':
      return age >= timeouts.buildingMs
        ? stop('building-timeout', `building for more than ${seconds(timeouts.buildingMs)}`)
        : KEEP;
    case 'unknown':
      return age >= timeouts.unknownMs
        ? stop('unknown-timeout', `in phase unknown for more than ${seconds(timeouts.unknownMs)}`)
        : KEEP;
    default:
      break;
  }
  if (listed !== false) return KEEP;
  const unlisted = 'ws-manager does not know the instance';
  switch (row.phase) {
    case 'running':
      return stop('unlisted-running', `${unlisted} while it is running`);
    case 'pending':
      return age > timeouts.pendingMs
        ? stop(
            'unlisted-pending-timeout',
            `${unlisted}, pending for more than ${seconds(timeouts.pendingMs)}`,
          )
        : KEEP;
    case 'stopping':
      return row.stoppingTime !== null && since(row.stoppingTime, nowMs) > timeouts.stoppingMs
        ? stop(
            'unlisted-stopping-timeout',
            `${unlisted}, stopping for more than ${seconds(timeouts.stoppingMs)}`,
          )
        : KEEP;
    default:
      return KEEP;
  }
}
