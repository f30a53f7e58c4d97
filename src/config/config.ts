/** The bridge's compiled, frozen configuration: every value has its default applied and units in ms. */
import type { BackoffOptions } from '../lifecycle/backoff.js';
import type { LogLevel } from '../observability/logger.js';
import type { ClusterRow, ClusterTls } from '../store/types.js';

/**
 * A cluster from the config file or a `--cluster NAME=URL` flag; never stored in the database. The
 * columns of a stored cluster that the configuration can set, with TLS (base64 PEM read from the
 * files the config names) absent for a plain-text connection.
 */
export type StaticCluster = Pick<
  ClusterRow,
  'name' | 'url' | 'state' | 'score' | 'maxScore' | 'govern' | 'region' | 'admissionConstraints'
> & { tls?: ClusterTls };

/** Phase timeouts for the instance controllers, in milliseconds. */
export interface PhaseTimeouts {
  /** @default 3600 s */ preparingMs: number;
  /** @default 3600 s */ buildingMs: number;
  /** @default 600 s */ unknownMs: number;
  /** @default 3600 s */ pendingMs: number;
  /** @default 3600 s */ stoppingMs: number;
}

/** The built-in simulated ws-manager used when no cluster is configured. */
export interface DemoConfig {
  /** @default true when no cluster is configured */ enabled: boolean;
  /** Live demo workspaces. @default 8 */ workspaces: number;
  /** Status updates per second of the demo workload. @default 4 */ updatesPerSecond: number;
}

/** How the ClusterService listens and whom it lets in. */
export interface ClusterServiceConfig {
  /** @default '127.0.0.1' */ host: string;
  /** @default 8080 */ port: number;
  /** Bearer token callers must send (`CLUSTER_SERVICE_TOKEN`). Secret: never logged. */
  token: string | undefined;
  /** Server TLS: PEM file contents. With `clientCa`, clients must present a certificate it signed (mTLS). */
  tls: { cert: Buffer; key: Buffer; clientCa: Buffer | undefined } | undefined;
  /** Allow a non-loopback address without TLS or token (`--insecure-cluster-service`). @default false */
  insecure: boolean;
}

export interface BridgeConfig {
  /** `DATABASE_URL`: unset → SQLite file ./data/bridge.db; `sqlite:PATH`; `postgres://…`. */
  databaseUrl: string | undefined;
  /**
   * `REDIS_URL` (or the file's `redis.address`) with `REDIS_USERNAME`/`REDIS_PASSWORD` in its user
   * info. Secret: shown only through `redactUrl`. Unset → in-process notifications.
   */
  redisUrl: string | undefined;
  /** Installation name (the original's `installation`). @default 'default' */
  installation: string;
  staticClusters: StaticCluster[];
  demo: DemoConfig;
  /** Create workspace and instance rows for instances the database does not know. @default false */
  adoptUnknown: boolean;
  /** Allow ws-manager connections without TLS (development, the simulator). @default false */
  allowPlaintextClusters: boolean;
  wsman: {
    /** TLS server name expected on ws-manager's certificate. @default 'ws-manager' */
    tlsServerName: string;
    /** Reconnect backoff. @default 250 ms .. 30 s, factor 2, full jitter */
    backoff: BackoffOptions;
    /** A stream healthy this long resets the backoff. @default 60 s */
    healthyResetMs: number;
    /** Deadline of unary calls (GetWorkspaces, DescribeCluster). @default 30 s */
    unaryDeadlineMs: number;
    /**
     * HTTP/2 keepalive of ws-manager connections: a ping after this long
     * (`WSMAN_KEEPALIVE_TIME_SECONDS`), and the connection is given up when its answer takes longer
     * than `timeoutMs` (`WSMAN_KEEPALIVE_TIMEOUT_SECONDS`), so a ws-manager that froze without
     * closing its connection is noticed. @default 60 s and 10 s
     */
    keepalive: { timeMs: number; timeoutMs: number };
  };
  /** How often the instance controllers run (one per cluster, plus the installation's). @default 60 s */
  controllerIntervalMs: number;
  /** A ws-manager unreachable this long is reported disconnected. @default 150 s */
  controllerMaxDisconnectMs: number;
  /**
   * Once a cluster has been disconnected this long, mark its instances stopped
   * (`--stop-instances-after-disconnect`). @default undefined: never
   */
  stopInstancesAfterDisconnectMs: number | undefined;
  /**
   * Decide a prebuild's final state at STOPPED instead of STOPPING (the original's
   * `ws_manager_bridge_stopped_prebuild_statuses` flag). @default false
   */
  stoppedPrebuildStatuses: boolean;
  /** @default 60 s */ clusterReconcileIntervalMs: number;
  /**
   * Writes queued or in flight plus instance rows being read at which the cluster streams pause
   * until half of them are done (`BRIDGE_MAX_BACKLOG`). @default undefined: no limit
   */
  maxBacklog: number | undefined;
  /**
   * Instances whose rows the sync engine keeps in memory (`BRIDGE_MAX_INSTANCES`); beyond it the
   * longest held with nothing being written are read again on their next status, and the streams
   * pause while the rest cannot be let go. @default undefined: no limit
   */
  maxInstances: number | undefined;
  /** This process among the replicas sharing one PostgreSQL (`BRIDGE_REPLICA_ID`). @default host name + pid */
  replicaId: string;
  /** How long a cluster lease lasts without renewal; renewed every third of it. @default 15 s */
  clusterLeaseMs: number;
  timeouts: PhaseTimeouts;
  /** Metrics, the status page, and health and readiness too. @default 127.0.0.1:9500 */
  http: { host: string; port: number };
  /**
   * Health and readiness alone, for a kubelet (`--health-addr`); undefined when `off`.
   * @default 0.0.0.0:9090, as the original
   */
  health: { host: string; port: number } | undefined;
  /**
   * The loopback debug endpoint that changes the log level (`--debug-addr`); undefined when `off`.
   * @default 127.0.0.1:6060, as the original
   */
  debug: { host: string; port: number } | undefined;
  /** gRPC ClusterService. */
  clusterService: ClusterServiceConfig;
  /** pino level. @default 'info' */
  logLevel: LogLevel;
  /** `json` lines, or `pretty` lines for humans. @default pretty on a terminal, else json */
  logFormat: 'json' | 'pretty';
  /** Progress lines on stderr (instances per phase, updates applied). @default false */
  progress: boolean;
}
