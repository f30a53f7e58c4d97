/** Deep merge of the `workspace_instance_metrics.metrics` JSON, as writers of that row apply it. */
import type { InstanceMetrics } from '../store/types.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeRecords(
  base: Record<string, unknown>,
  update: Record<string, unknown>,
): Record<string, unknown> {
  // Copied key by key from an empty literal rather than spread: objects built alike then share one
  // hidden class (spread copies gave every cached metrics object a hidden class of its own).
  const merged: Record<string, unknown> = {};
  for (const key in base) if (Object.hasOwn(base, key)) merged[key] = base[key];
  for (const key in update) {
    if (!Object.hasOwn(update, key)) continue;
    const value = update[key];
    if (value === undefined) continue;
    const previous = merged[key];
    if (isRecord(previous) && isRecord(value)) merged[key] = mergeRecords(previous, value);
    else if (isRecord(value)) merged[key] = mergeRecords({}, value);
    else if (Array.isArray(value)) merged[key] = [...(value as unknown[])];
    else merged[key] = value;
  }
  return merged;
}

/**
 * Merges `update` into a copy of `current`, mutating neither: nested objects merge key by key, an
 * `undefined` value never overrides, arrays and scalars replace. `null` current means "no row yet".
 */
export function mergeMetrics(current: InstanceMetrics | null, update: InstanceMetrics): InstanceMetrics {
  // The stored JSON may carry keys newer writers added; a generic merge keeps them. Copying the
  // current value first means the result shares no object with either input.
  const fields = (value: InstanceMetrics | null): Record<string, unknown> =>
    (value ?? {}) as Record<string, unknown>;
  return mergeRecords(mergeRecords({}, fields(current)), fields(update));
}
