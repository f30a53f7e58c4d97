/**
 * The next state of a prebuild row for one status of its workspace, and for a stop the bridge decides
 * itself. Pure: the mapping of phases and conditions is `mapPrebuildStatus`; this adds the stale check
 * on the prebuild's own version and the rule that a finished prebuild stays finished.
 */
import type { HeadlessEventType } from '../pubsub/payloads.js';
import type { PrebuildRow, PrebuildState } from '../store/types.js';
import { isPrebuildDone, mapPrebuildStatus, type PrebuildMapperOptions } from './prebuild-mapper.js';
import type { ValidStatus } from './reduction.js';

/** What a status means for its prebuild row. */
export type PrebuildReduction =
  /**
   * Nothing to write. `stale`: the status is not newer than the prebuild's version; `done`: the
   * prebuild is finished already; `unchanged`: the status maps to no change of the row.
   */
  | { kind: 'skip'; reason: 'stale' | 'done' | 'unchanged' }
  | {
      kind: 'apply';
      row: PrebuildRow;
      /** The `chan:headless` event type. */
      headless: HeadlessEventType;
      /** The final state the prebuild entered with this status, if it did. */
      completed: PrebuildState | undefined;
    };

/** Stored text columns use null for "none"; the mapper's "" clears a value. */
function text(next: string | undefined, current: string | null): string | null {
  if (next === undefined) return current;
  return next === '' ? null : next;
}

/**
 * Reduces a status of the prebuild's workspace onto the prebuild. A version of 0 on either side
 * disables the stale check, as for instances.
 */
export function reducePrebuild(
  current: PrebuildRow,
  status: ValidStatus,
  options: PrebuildMapperOptions,
): PrebuildReduction {
  const stored = current.statusVersion;
  const incoming = status.statusVersion;
  if (stored > 0n && stored >= incoming) return { kind: 'skip', reason: 'stale' };
  // Unlike the original, nothing moves a finished prebuild again (a late status, a forced stop).
  if (isPrebuildDone(current.state)) return { kind: 'skip', reason: 'done' };
  const mapping = mapPrebuildStatus(status, options);
  if (mapping === undefined) return { kind: 'skip', reason: 'unchanged' };
  const row: PrebuildRow = {
    ...current,
    state: mapping.update.state,
    snapshot: text(mapping.update.snapshot, current.snapshot),
    error: text(mapping.update.error, current.error),
    statusVersion: incoming > stored ? incoming : stored,
  };
  if (row.state === current.state && row.snapshot === current.snapshot && row.error === current.error) {
    return { kind: 'skip', reason: 'unchanged' };
  }
  const completed = isPrebuildDone(row.state) ? row.state : undefined;
  return { kind: 'apply', row, headless: mapping.type, completed };
}

/**
 * The prebuild row after the bridge stopped its workspace's instance: `aborted`, unless it is
 * finished already (then undefined: a finished prebuild stays finished). The version stays.
 */
export function abortPrebuild(current: PrebuildRow): PrebuildRow | undefined {
  if (isPrebuildDone(current.state)) return undefined;
  return { ...current, state: 'aborted' };
}
