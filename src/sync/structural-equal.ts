/** Structural equality for JSON-like values, where an `undefined` property counts as absent. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Runs for every status the reducer compares, so it walks the keys without building key lists.
function recordsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let defined = 0;
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue;
    const value = a[key];
    if (value === undefined) continue;
    defined++;
    if (!Object.hasOwn(b, key) || !structuralEqual(value, b[key])) return false;
  }
  for (const key in b) {
    if (Object.hasOwn(b, key) && b[key] !== undefined) defined--;
  }
  return defined === 0;
}

function arraysEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!structuralEqual(a[i], b[i])) return false;
  return true;
}

/**
 * True when `a` and `b` hold the same data: primitives (bigint included) by value, arrays element by
 * element, plain objects key by key with `undefined` properties ignored. `null` is a value, not absence.
 */
export function structuralEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && arraysEqual(a, b);
  }
  if (isRecord(a) && isRecord(b)) return recordsEqual(a, b);
  return false;
}

/**
 * True when merging `update` into `base` (as `mergeMetrics` merges: records key by key, `undefined`
 * never overrides, arrays and scalars replace) would leave `base` structurally unchanged. Builds
 * nothing, so the common case of a status repeating known figures costs no allocation.
 */
export function mergeLeavesUnchanged(base: unknown, update: object): boolean {
  if (!isRecord(base)) return false;
  const fields = update as Record<string, unknown>;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (value === undefined) continue;
    if (isRecord(value)) {
      if (!mergeLeavesUnchanged(base[key], value)) return false;
    } else if (!Object.hasOwn(base, key) || !structuralEqual(base[key], value)) {
      return false;
    }
  }
  return true;
}
