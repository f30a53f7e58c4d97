/** One warning when a dependency starts failing and one line when it works again, not one per retry. */
import type { Logger } from './logger.js';
import { errorMessage } from '../lifecycle/abort.js';

/** How an outage's lines read. */
export interface OutageLogOptions {
  /** Level of the line that opens an outage. @default 'warn' */
  level?: 'warn' | 'error';
  /** The line that opens an outage. @default '<what> failed; retrying with backoff' */
  failed?: string;
  /** The line that ends it. @default '<what> recovered' */
  recovered?: string;
}

/** Logs the start and the end of an outage of one dependency. */
export class OutageLog {
  readonly #logger: Logger;
  readonly #level: 'warn' | 'error';
  readonly #failedMessage: string;
  readonly #recoveredMessage: string;
  #failures = 0;
  #since = 0;

  /**
   * `what` names the operation in log lines, e.g. "redis publish"; the third argument is the level
   * of the line that opens an outage, or the options.
   */
  constructor(logger: Logger, what: string, options: 'warn' | 'error' | OutageLogOptions = {}) {
    const o = typeof options === 'string' ? { level: options } : options;
    this.#logger = logger;
    this.#level = o.level ?? 'warn';
    this.#failedMessage = o.failed ?? `${what} failed; retrying with backoff`;
    this.#recoveredMessage = o.recovered ?? `${what} recovered`;
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
    this.#logger[this.#level]({ ...context, err: errorMessage(error) }, this.#failedMessage);
  }

  /** Records a success; logs the recovery when an outage was in progress. */
  recovered(context: Record<string, unknown> = {}): void {
    if (this.#failures === 0) return;
    const failures = this.#failures;
    this.#failures = 0;
    this.#logger.info({ ...context, failures, downMs: Date.now() - this.#since }, this.#recoveredMessage);
  }
}
