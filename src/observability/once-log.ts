/** Logs a condition once per key (e.g. per instance and reason), so a flood of bad input logs little. */
import type { Logger } from './logger.js';

/** Keys remembered before the memory is cleared; bounds memory under a flood of distinct keys. */
const MAX_KEYS = 10_000;

/**
 * The longest key remembered as it is. Keys often carry hostile input (an instance id may be megabytes
 * long). A longer key is remembered by its first 32 and last 31 characters: a suffix such as
 * `:version-out-of-range` still tells two conditions of one id apart, and long ids that share both
 * ends share one log line.
 */
export const MAX_KEY_LENGTH = 64;
const KEY_HEAD = 32;
const KEY_TAIL = MAX_KEY_LENGTH - KEY_HEAD - 1;

/** `key` cut to at most MAX_KEY_LENGTH characters, in a string of its own. */
export function boundedKey(key: string): string {
  if (key.length <= MAX_KEY_LENGTH) return key;
  const cut = `${key.slice(0, KEY_HEAD)}~${key.slice(-KEY_TAIL)}`;
  // V8 keeps the whole input alive behind a slice of it; a copy through bytes lets it go.
  return Buffer.from(cut, 'utf16le').toString('utf16le');
}

export class OnceLog {
  readonly #logger: Logger;
  readonly #seen = new Set<string>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  warn(key: string, context: object, message: string): void {
    if (this.#first(key)) this.#logger.warn(context, message);
  }

  error(key: string, context: object, message: string): void {
    if (this.#first(key)) this.#logger.error(context, message);
  }

  debug(key: string, context: object, message: string): void {
    if (this.#first(key)) this.#logger.debug(context, message);
  }

  #first(key: string): boolean {
    const bounded = boundedKey(key);
    if (this.#seen.has(bounded)) return false;
    if (this.#seen.size >= MAX_KEYS) this.#seen.clear();
    this.#seen.add(bounded);
    return true;
  }
}
