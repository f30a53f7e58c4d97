/**
 * Every controller interval, refreshes each database-registered cluster's workspace classes from
 * DescribeCluster. Only the two class columns are written, so a concurrent API update of other
 * columns is never overwritten.
 */
import { classesFromDescribe, type DescribeCluster } from '../wsman/describe-cluster.js';
import { errorMessage } from '../lifecycle/abort.js';
import { Loop } from '../lifecycle/loop.js';
import { OutageLog } from '../observability/outage-log.js';
import type { Service, ServiceState } from '../lifecycle/service.js';
import type { Logger } from '../observability/logger.js';
import type { ClusterStore } from '../store/ports.js';
import type { ClusterRow, WorkspaceClassInfo } from '../store/types.js';

export interface WorkspaceClassRefresherOptions {
  store: Pick<ClusterStore, 'listClusters' | 'updateCluster'>;
  describeCluster: DescribeCluster;
  /** Names of static clusters (not in the database; never written). */
  isStatic: (name: string) => boolean;
  /** True for the clusters this replica owns: only those are refreshed here. */
  owns: (name: string) => boolean;
  intervalMs: number;
  logger: Logger;
}

function sameClasses(row: ClusterRow, classes: WorkspaceClassInfo[], preferred: string | null): boolean {
  return (
    row.preferredWorkspaceClass === preferred &&
    JSON.stringify(row.availableWorkspaceClasses) === JSON.stringify(classes)
  );
}

/** The periodic refresh. */
export class WorkspaceClassRefresher implements Service {
  readonly #o: WorkspaceClassRefresherOptions;
  readonly #loop: Loop;
  /** One outage log per cluster: a cluster that keeps failing is logged once, and once on recovery. */
  readonly #outages = new Map<string, OutageLog>();

  constructor(options: WorkspaceClassRefresherOptions) {
    this.#o = options;
    this.#loop = new Loop({
      intervalMs: options.intervalMs,
      immediate: false,
      tick: (signal) => this.refreshAll(signal),
      onError: (error) =>
        options.logger.error({ error: errorMessage(error) }, 'workspace class refresh failed'),
    });
  }

  get state(): ServiceState {
    return this.#loop.state;
  }

  start(): Promise<void> {
    return this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** One pass over all database clusters; one failing cluster does not stop the others. */
  async refreshAll(signal: AbortSignal): Promise<void> {
    const rows = await this.#o.store.listClusters();
    const mine = rows.filter((r) => !this.#o.isStatic(r.name) && this.#o.owns(r.name));
    await Promise.all(mine.map((row) => this.#refresh(row, signal)));
  }

  async #refresh(row: ClusterRow, signal: AbortSignal): Promise<void> {
    try {
      const response = await this.#o.describeCluster({ url: row.url, tls: row.tls }, signal);
      const classes = classesFromDescribe(response);
      if (!sameClasses(row, classes.availableWorkspaceClasses, classes.preferredWorkspaceClass)) {
        await this.#o.store.updateCluster(row.name, classes);
      }
      this.#outage(row.name).recovered();
    } catch (error: unknown) {
      if (signal.aborted) return;
      this.#outage(row.name).failed(error);
    }
  }

  #outage(cluster: string): OutageLog {
    let outage = this.#outages.get(cluster);
    if (!outage) {
      outage = new OutageLog(this.#o.logger.child({ cluster }), 'workspace class refresh');
      this.#outages.set(cluster, outage);
    }
    return outage;
  }
}
