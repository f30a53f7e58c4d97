/**
 * Sharing of the strings many cached instances hold alike (a phase's message, a timeout, a node's
 * name): one copy per distinct value instead of one per instance. Bounded: a pool that fills up
 * starts again empty, so a stream of distinct values costs no more than `capacity` entries.
 */

/** Strings longer than this are rarely shared and are returned as they are. */
const MAX_LENGTH = 64;

/** A bounded pool of shared strings. */
export class StringPool {
  readonly #capacity: number;
  #pool = new Map<string, string>();

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  /** The pooled copy of `value` (pooling it on first sight); long values and '' as they are. */
  share(value: string): string;
  share(value: string | undefined): string | undefined;
  share(value: string | undefined): string | undefined {
    if (value === undefined || value === '' || value.length > MAX_LENGTH) return value;
    const pooled = this.#pool.get(value);
    if (pooled !== undefined) return pooled;
    if (this.#pool.size >= this.#capacity) this.#pool = new Map();
    this.#pool.set(value, value);
    return value;
  }
}

/** The pool of the status reducer's low-variety fields. */
export const sharedStrings = new StringPool();
