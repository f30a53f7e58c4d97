/** One warning when a dependency starts failing and one line when it works again, not one per retry. */
import type { Logger } from './logger.js';
import { errorMessage } from '../lifecycle/abort.js';

/** Logs the start and the end of an outage of one dependency. */
export class OutageLog {
  readonly #logger: Logger;
  readonly #what: string;
  readonly #level: 'warn' | 'error';
  #failures = 0;
  #since = 0;

  /**
   * `what` names the operation in log lines, e.g. "redis publish"; `level` is that of the line
   * that opens an outage. @default 'warn'
   */
  constructor(logger: Logger, what: string, level: 'warn' | 'error' = 'warn') {
    this.#logger = logger;
    this.#what = what;
    this.#level = level;
  }

  /** True between a failure and the next success. */
  get down(): boolean {
    return this.#failures > 0;
  }

  /** Records a failure; only the first of an outage is logged. `error` must already be free of secrets. */
  failed(error: unknown, context: Record<string, unknown> = {}): void {
    this.#failures++;
    if (this.#failures > 1) return;
    this.#since = Date.now();
    this.#logger[this.#level](
      { ...context, err: errorMessage(error) },
      `${this.#what} failed; retrying with backoff`,
    );
  }

  /** Records a success; logs the recovery when an outage was in progress. */
  recovered(context: Record<string, unknown> = {}): void {
    if (this.#failures === 0) return;
    const failures = this.#failures;
    this.#failures = 0;
    this.#logger.info({ ...context, failures, downMs: Date.now() - this.#since }, `${this.#what} recovered`);
  }
}
