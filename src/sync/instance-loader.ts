/**
 * Reads instance rows the engine has not cached yet. Ids requested in the same tick share one query
 * (chunked), so a resync of thousands of instances costs a handful of reads. A failed read is retried
 * with backoff; the ids stay queued.
 */
import { errorMessage, isAbortError } from '../lifecycle/abort.js';
import { Backoff, type BackoffOptions } from '../lifecycle/backoff.js';
import { sleep } from '../lifecycle/sleep.js';
import type { Logger } from '../observability/logger.js';
import type { InstanceStore } from '../store/ports.js';
import type { InstanceRecord } from '../store/types.js';

export interface InstanceLoaderOptions {
  store: Pick<InstanceStore, 'loadInstances'>;
  logger: Logger;
  backoff: BackoffOptions;
  /** Ids per query. @default 500 */
  chunkSize?: number;
  /** Called with each loaded chunk: every requested id maps to its record or to undefined (not in the DB). */
  onLoaded: (results: Map<string, InstanceRecord | undefined>) => void;
  onError: () => void;
}

/** Batches and retries instance reads. */
export class InstanceLoader {
  readonly #o: InstanceLoaderOptions;
  readonly #queue = new Set<string>();
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  #running = false;
  #failing = false;

  constructor(options: InstanceLoaderOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
  }

  /** Ids waiting to be read or being read. */
  get queued(): number {
    return this.#queue.size;
  }

  request(id: string): void {
    this.#queue.add(id);
    if (!this.#running) {
      this.#running = true;
      setImmediate(() => void this.#run());
    }
  }

  stop(): void {
    this.#stop.abort();
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.size > 0 && !this.#stop.signal.aborted) {
        const ids = [...this.#queue].slice(0, this.#o.chunkSize ?? 500);
        try {
          const found = await this.#o.store.loadInstances(ids);
          for (const id of ids) this.#queue.delete(id);
          this.#ok();
          const results = new Map<string, InstanceRecord | undefined>();
          for (const id of ids) results.set(id, found.get(id));
          this.#o.onLoaded(results);
        } catch (error: unknown) {
          await this.#failed(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #ok(): void {
    this.#backoff.reset();
    if (this.#failing) this.#o.logger.info('instance reads work again');
    this.#failing = false;
  }

  async #failed(error: unknown): Promise<void> {
    this.#o.onError();
    const delay = this.#backoff.next();
    if (!this.#failing) {
      this.#failing = true;
      this.#o.logger.error(
        { error: errorMessage(error), retryInMs: delay },
        'cannot read instances; retrying',
      );
    }
    try {
      await sleep(delay, this.#stop.signal);
    } catch (e: unknown) {
      if (!isAbortError(e)) throw e;
    }
  }
}
