/**
 * Makes the set of clusters this replica knows follow the database (and static config): clusters
 * registered through the API are applied at once (`runNow`, also on a change notification from
 * another replica), rows written by another party within one interval. Ownership decides which of
 * them stream here.
 */
import { Loop } from '../lifecycle/loop.js';
import type { Service, ServiceState } from '../lifecycle/service.js';
import type { Logger } from '../observability/logger.js';
import { OutageLog } from '../observability/outage-log.js';
import type { ClusterStore } from '../store/ports.js';
import type { ClusterOwnership } from './cluster-ownership.js';
import type { ClusterSpec } from './cluster-supervisor.js';

export interface ClusterReconcilerOptions {
  store: Pick<ClusterStore, 'listClusters'>;
  ownership: Pick<ClusterOwnership, 'setClusters'>;
  /** Clusters from config (and the demo); a database row of the same name is ignored for connecting. */
  staticClusters: () => readonly ClusterSpec[];
  intervalMs: number;
  logger: Logger;
}

/** Periodic and on-demand reconciliation of the known clusters. */
export class ClusterReconciler implements Service {
  readonly #o: ClusterReconcilerOptions;
  readonly #loop: Loop;
  readonly #outage: OutageLog;

  constructor(options: ClusterReconcilerOptions) {
    this.#o = options;
    this.#outage = new OutageLog(options.logger, 'cluster reconciliation', 'error');
    this.#loop = new Loop({
      intervalMs: options.intervalMs,
      tick: () => this.#reconcile(),
      onError: (error) => this.#outage.failed(error),
    });
  }

  get state(): ServiceState {
    return this.#loop.state;
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
    await this.#o.ownership.setClusters([...fixed, ...fromDb]);
    this.#outage.recovered();
  }
}
