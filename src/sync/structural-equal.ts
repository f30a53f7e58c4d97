/** Structural equality for JSON-like values, where an `undefined` property counts as absent. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}

function recordsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = definedKeys(a);
  if (keys.length !== definedKeys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && structuralEqual(a[key], b[key]));
}

/**
 * True when `a` and `b` hold the same data: primitives (bigint included) by value, arrays element by
 * element, plain objects key by key with `undefined` properties ignored. `null` is a value, not absence.
 */
export function structuralEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => structuralEqual(item, b[index]));
  }
  if (isRecord(a) && isRecord(b)) return recordsEqual(a, b);
  return false;
}
