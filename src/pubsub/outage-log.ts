/** One warning when a dependency starts failing and one line when it works again, not one per retry. */
import type { Logger } from '../observability/logger.js';
import { errorMessage } from '../lifecycle/abort.js';

/** Logs the start and the end of an outage of one dependency. */
export class OutageLog {
  readonly #logger: Logger;
  readonly #what: string;
  #failures = 0;
  #since = 0;

  /** `what` names the operation in log lines, e.g. "redis publish". */
  constructor(logger: Logger, what: string) {
    this.#logger = logger;
    this.#what = what;
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
    this.#logger.warn(
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
