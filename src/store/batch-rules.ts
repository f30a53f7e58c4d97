/** Rules every adapter applies to a batch before it touches the database. */
import { DuplicateWriteError } from './errors.js';
import type { BatchResult, InstanceWrite } from './ports.js';

/**
 * Throws `DuplicateWriteError` when an id repeats. The caller coalesces per instance, so a repeat is
 * a bug; rejecting it keeps "every id in exactly one result list" true and the adapters identical
 * (PostgreSQL's multi-row upsert could not apply both writes to one row anyway).
 */
export function assertUniqueIds(writes: readonly InstanceWrite[]): void {
  const seen = new Set<string>();
  for (const write of writes) {
    if (seen.has(write.row.id)) throw new DuplicateWriteError(write.row.id);
    seen.add(write.row.id);
  }
}

/** Splits a list into slices of at most `size` (query parameter limits). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Builds the result lists in batch order: ids in `fenced` are fenced, other ids in `applied` applied,
 * every other id conflicted.
 */
export function splitResult(
  writes: readonly InstanceWrite[],
  applied: ReadonlySet<string>,
  fenced: ReadonlySet<string> = new Set(),
): BatchResult {
  const result: BatchResult = { applied: [], conflicted: [], fenced: [] };
  for (const { row } of writes) {
    if (fenced.has(row.id)) result.fenced.push(row.id);
    else (applied.has(row.id) ? result.applied : result.conflicted).push(row.id);
  }
  return result;
}
