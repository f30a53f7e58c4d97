/** Freezes a value and everything reachable from it, so a test can prove code never mutates its input. */

/** Freezes `value` recursively (objects, arrays, Dates' own properties) and returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  // Typed arrays (protobuf bytes) cannot be frozen; code here never writes to them anyway.
  if (ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
