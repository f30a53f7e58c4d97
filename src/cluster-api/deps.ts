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
  store: ClusterStore & Pick<InstanceStore, 'listInstances'>;
  /** Clusters from the configuration: listed with `static = true`, never changed through the API. */
  staticClusters: () => readonly StaticCluster[];
  /** Reachability check: DescribeCluster against a candidate; the server adds its deadline to `signal`. */
  describeCluster: DescribeCluster;
  /** Called after a stored Register/Update/Deregister so live connections follow at once. */
  onClusterChanged: (name: string) => Promise<void>;
  /**
   * Forced Deregister: marks the cluster's remaining non-stopped instances stopped and resolves once
   * those stops are committed; returns how many. Rejects with an AbortError when `signal` fires.
   */
  stopClusterInstances: (clusterName: string, reason: string, signal: AbortSignal) => Promise<number>;
  logger: Logger;
  /** Clock for `created_at` / `updated_at`. @default () => new Date() */
  now?: () => Date;
}
