/**
 * Column value readers shared by both adapters. Each accepts what either driver returns for the
 * column type, so the mapping code above them does not know which database it talks to.
 */

/** An ISO-8601 UTC timestamp with milliseconds from a Date (pg) or text (SQLite). */
export function readTime(raw: Date | string): string {
  return (raw instanceof Date ? raw : new Date(raw)).toISOString();
}

/** Like `readTime`, keeping null. */
export function readNullableTime(raw: Date | string | null): string | null {
  return raw === null ? null : readTime(raw);
}

/** A parsed JSON value from an object (pg jsonb) or JSON text (SQLite). */
export function readJson<T>(raw: unknown): T {
  return (typeof raw === 'string' ? JSON.parse(raw) : raw) as T;
}

/** Like `readJson`, keeping null. */
export function readNullableJson<T>(raw: unknown): T | null {
  return raw === null || raw === undefined ? null : readJson<T>(raw);
}

/** An int64 as bigint. Both drivers are configured to return bigint; strings are accepted defensively. */
export function readBigint(raw: unknown): bigint {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'string' || typeof raw === 'number') return BigInt(raw);
  throw new TypeError(`expected an integer column value, got ${typeof raw}`);
}

/** A small integer (score, counts) as a JS number. */
export function readInt(raw: number | bigint): number {
  return Number(raw);
}

/** A boolean from pg's boolean or SQLite's 0/1. */
export function readBool(raw: boolean | number | bigint): boolean {
  return raw === true || raw === 1 || raw === 1n;
}

/**
 * A boolean parameter. SQLite cannot bind booleans, and PostgreSQL's boolean input accepts '1' and
 * '0', so 0/1 works for both.
 */
export function writeBool(value: boolean): number {
  return value ? 1 : 0;
}

/** JSON text for a JSON column (both drivers take text; pg casts it to jsonb by column type). */
export function writeJson(value: unknown): string {
  return JSON.stringify(value);
}
