/**
 * Reads instance rows the engine has not cached yet. Ids requested in the same tick share one query
 * (chunked), so a resync of thousands of instances costs a handful of reads. A failed read is retried
 * with backoff; the ids stay queued.
 */
import { Backoff, type BackoffOptions } from '../lifecycle/backoff.js';
import { pause } from '../lifecycle/sleep.js';
import type { Logger } from '../observability/logger.js';
import { OutageLog } from '../observability/outage-log.js';
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
  readonly #outage: OutageLog;

  constructor(options: InstanceLoaderOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
    this.#outage = new OutageLog(options.logger, 'instance reads', 'error');
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
        const ids = this.#next(this.#o.chunkSize ?? 500);
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

  /** The first `n` queued ids, without copying a long queue whole. */
  #next(n: number): string[] {
    const ids: string[] = [];
    for (const id of this.#queue) {
      if (ids.length === n) break;
      ids.push(id);
    }
    return ids;
  }

  #ok(): void {
    this.#backoff.reset();
    this.#outage.recovered();
  }

  async #failed(error: unknown): Promise<void> {
    this.#o.onError();
    const delay = this.#backoff.next();
    this.#outage.failed(error, { retryInMs: delay });
    await pause(delay, this.#stop.signal);
  }
}
