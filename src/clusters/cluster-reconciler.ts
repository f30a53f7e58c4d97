/**
 * Makes the set of live cluster streams follow the database (and static config): clusters registered
 * through the API are applied at once (`runNow`), rows written by another party within one interval.
 */
import { errorMessage } from '../lifecycle/abort.js';
import { Loop } from '../lifecycle/loop.js';
import type { Logger } from '../observability/logger.js';
import type { ClusterStore } from '../store/ports.js';
import type { ClusterSpec, ClusterSupervisor } from './cluster-supervisor.js';

export interface ClusterReconcilerOptions {
  store: Pick<ClusterStore, 'listClusters'>;
  supervisor: Pick<ClusterSupervisor, 'sync'>;
  /** Clusters from config (and the demo); a database row of the same name is ignored for connecting. */
  staticClusters: () => readonly ClusterSpec[];
  intervalMs: number;
  logger: Logger;
}

/** Periodic and on-demand reconciliation of cluster streams. */
export class ClusterReconciler {
  readonly #o: ClusterReconcilerOptions;
  readonly #loop: Loop;
  #failing = false;

  constructor(options: ClusterReconcilerOptions) {
    this.#o = options;
    this.#loop = new Loop({
      intervalMs: options.intervalMs,
      tick: () => this.#reconcile(),
      onError: (error) => this.#failed(error),
    });
  }

  /** Reconciles once (awaited), then keeps reconciling every interval. */
  start(): Promise<void> {
    return this.#loop.start();
  }

  /** Reconciles now; resolves once the streams follow the current rows. */
  runNow(): Promise<void> {
    return this.#loop.runNow();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #reconcile(): Promise<void> {
    const fixed = this.#o.staticClusters();
    const names = new Set(fixed.map((c) => c.name));
    const rows = await this.#o.store.listClusters();
    const fromDb: ClusterSpec[] = [];
    for (const row of rows) {
      if (names.has(row.name)) continue;
      fromDb.push({
        name: row.name,
        url: row.url,
        tls: row.tls,
        state: row.state,
        score: row.score,
        static: false,
      });
    }
    await this.#o.supervisor.sync([...fixed, ...fromDb]);
    if (this.#failing) this.#o.logger.info('cluster reconciliation works again');
    this.#failing = false;
  }

  #failed(error: unknown): void {
    if (!this.#failing)
      this.#o.logger.error({ error: errorMessage(error) }, 'cannot reconcile workspace clusters');
    this.#failing = true;
  }
}
