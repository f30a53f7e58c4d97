/** The row of an instance the bridge stops itself (controllers, forced deregistration). Pure. */
import type { InstanceRow } from '../store/types.js';

/**
 * Marks a row stopped at `now` with a message saying why; undefined when it is already stopped.
 * The version stays: the write is still refused if ws-manager's newer state reached the database.
 */
export function markStopped(row: InstanceRow, now: string, reason: string): InstanceRow | undefined {
  if (row.phase === 'stopped') return undefined;
  return {
    ...row,
    phase: 'stopped',
    stoppingTime: row.stoppingTime ?? now,
    stoppedTime: now,
    status: {
      ...row.status,
      message: `Stopped by ws-manager-bridge: ${reason}. Previously in phase ${row.phase}.`,
    },
    updatedAt: now,
  };
}
