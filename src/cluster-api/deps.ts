/** What the ClusterService needs from the rest of the bridge; the composition root provides it. */
import type { StaticCluster } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { ClusterStore, InstanceStore } from '../store/ports.js';
import type { ClusterTls } from '../store/types.js';
import type { DescribeCluster } from '../wsman/describe-cluster.js';

/** A ws-manager to probe before its registration or TLS change is stored. */
export interface DescribeTarget {
  url: string;
  tls: ClusterTls | null;
}

/** Collaborators of the ClusterService. */
export interface ClusterServiceDeps {
  store: ClusterStore & Pick<InstanceStore, 'listRegularInstanceIds'>;
  /** Clusters from the configuration: listed with `static = true`, never changed through the API. */
  staticClusters: () => readonly StaticCluster[];
  /** Reachability check: DescribeCluster against a candidate; the server adds its deadline to `signal`. */
  describeCluster: DescribeCluster;
  /** Called after a stored Register/Update/Deregister so live connections follow at once. */
  onClusterChanged: (name: string) => Promise<void>;
  /**
   * Runs `work` while this replica holds the cluster's lease without running its stream or
   * controller (taking the lease over from its holder first when needed). Forced Deregister stops
   * the instances and deletes the row inside it, so no status can revive them and no other replica
   * writes the cluster meanwhile.
   */
  exclusively: <T>(clusterName: string, signal: AbortSignal, work: () => Promise<T>) => Promise<T>;
  /**
   * Forced Deregister, inside `exclusively`: marks the cluster's remaining non-stopped instances
   * stopped and resolves once those stops are committed; returns how many. Rejects with an
   * AbortError when `signal` fires.
   */
  stopClusterInstances: (clusterName: string, reason: string, signal: AbortSignal) => Promise<number>;
  /** The replica holding each cluster's lease, by cluster name (for List). */
  leaseHolders: () => Promise<ReadonlyMap<string, string>>;
  logger: Logger;
  /** Clock for `created_at` / `updated_at`. @default () => new Date() */
  now?: () => Date;
}
