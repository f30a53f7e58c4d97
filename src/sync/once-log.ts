/** Logs a condition once per key (e.g. per instance and reason), so a flood of bad input logs little. */
import type { Logger } from '../observability/logger.js';

/** Keys remembered before the memory is cleared; bounds memory under a flood of distinct keys. */
const MAX_KEYS = 10_000;

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
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= MAX_KEYS) this.#seen.clear();
    this.#seen.add(key);
    return true;
  }
}
