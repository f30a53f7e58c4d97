/** The row of an instance the bridge stops itself (controllers, forced deregistration). Pure. */
import type { InstanceRow } from '../store/types.js';

/**
 * Marks a row stopped at `now`; undefined when it is already stopped. The status message says who
 * stopped it and from which phase (the original's wording). The version stays: the write is still
 * refused if ws-manager's newer state reached the database, and only a newer status can revive it.
 */
export function markStopped(row: InstanceRow, now: string): InstanceRow | undefined {
  if (row.phase === 'stopped') return undefined;
  return {
    ...row,
    phase: 'stopped',
    stoppingTime: row.stoppingTime ?? now,
    stoppedTime: now,
    status: {
      ...row.status,
      message: `Stopped by ws-manager-bridge. Previously in phase ${row.phase}`,
    },
    updatedAt: now,
  };
}
