/** Capped exponential backoff with full jitter, as a small pure policy. */

export interface BackoffOptions {
  /** First delay ceiling in milliseconds. @default 250 */
  initialMs: number;
  /** Largest delay in milliseconds. @default 30000 */
  maxMs: number;
  /** Growth factor per failed attempt. @default 2 */
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000, factor: 2 };

/**
 * Delay before retry number `attempt` (0-based): a uniformly random value in
 * [0, min(maxMs, initialMs * factor^attempt)]. `random` returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * Math.pow(options.factor, Math.max(0, attempt)));
  return Math.floor(random() * ceiling);
}

/**
 * Tracks consecutive failures. `reset()` after a healthy period returns the next delay to the start.
 */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Number of failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Delay for the next retry; counts one more failure. */
  next(): number {
    const delay = backoffDelay(this.#attempt, this.#options, this.#random);
    this.#attempt++;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
