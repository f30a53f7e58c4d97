/** When each cluster last sent a status, for the status page's "last update" column. */
import type { WorkspaceStatus } from '../generated/wsman/core.js';
import type { StatusSink } from '../wsman/cluster-subscriber.js';

/** Time of the last status (snapshot or stream) per cluster. */
export class ClusterActivity {
  readonly #last = new Map<string, number>();
  readonly #now: () => number;

  /** @param now epoch milliseconds. @default Date.now */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Epoch milliseconds of the cluster's last status, or undefined before the first. */
  lastUpdate(cluster: string): number | undefined {
    return this.#last.get(cluster);
  }

  /** A sink that notes the time of every status, then passes it on unchanged. */
  tap(sink: StatusSink): StatusSink {
    return {
      snapshot: (cluster: string, statuses: readonly WorkspaceStatus[]): void => {
        // An empty snapshot still proves the ws-manager answered.
        this.#last.set(cluster, this.#now());
        sink.snapshot(cluster, statuses);
      },
      status: (cluster: string, status: WorkspaceStatus): void => {
        this.#last.set(cluster, this.#now());
        sink.status(cluster, status);
      },
      backpressure: () => sink.backpressure?.(),
    };
  }
}
