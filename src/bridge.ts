/**
 * Composition root: builds every component with `new`, in dependency order, and returns an object
 * with start() and stop(). Tests call the same function with their own store, publisher or config.
 */
import type { BridgeConfig, StaticCluster } from './config/config.js';
import { ClusterServiceServer } from './cluster-api/cluster-service-server.js';
import { ClusterLeases } from './clusters/cluster-leases.js';
import { ClusterOwnership } from './clusters/cluster-ownership.js';
import { ClusterReconciler } from './clusters/cluster-reconciler.js';
import { ClusterSupervisor, type ClusterSpec } from './clusters/cluster-supervisor.js';
import { LeaseTokens } from './clusters/lease-tokens.js';
import { ClusterControllers } from './controllers/cluster-controllers.js';
import { InstanceController } from './controllers/instance-controller.js';
import { WorkspaceClassRefresher } from './controllers/workspace-class-refresher.js';
import { DemoCluster } from './demo.js';
import { errorMessage } from './lifecycle/abort.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { ClusterActivity } from './observability/cluster-activity.js';
import { debugRoutes } from './observability/debug-routes.js';
import { OpsHttpServer, type HttpRoute } from './observability/http-server.js';
import { healthRoutes, metricsRoute, type Readiness } from './observability/ops-routes.js';
import { RateHistory, RateSampler, type RateSample } from './observability/rate-history.js';
import type { RecentLog } from './observability/recent-log.js';
import { statusRoutes } from './observability/status-page.js';
import { disabledTracing, setupTracing, tracingRequested, type Tracing } from './observability/tracing.js';
import { packageVersion } from './observability/version.js';
import { buildStatusReport, type StatusSources } from './observability/status-report.js';
import { openPublisher } from './pubsub/open-publisher.js';
import { Notifier } from './pubsub/notifier.js';
import { OrphanClaimer } from './pubsub/orphan-claimer.js';
import type { Publisher } from './pubsub/ports.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/ports.js';
import { allStates, recordPages } from './store/record-pages.js';
import { NOT_STOPPED_PHASES } from './store/types.js';
import { reduceStatus } from './sync/status-reducer.js';
import { SyncEngine, type StopRequest, type SyncProbe } from './sync/sync-engine.js';
import { validateStatus } from './sync/validate-status.js';
import { describeClusterWith } from './wsman/describe-cluster.js';
import type { SimulatedWsManager } from './wsman/simulator/index.js';

/** Optional pieces a caller (a test, the benchmark) provides instead of the defaults. */
export interface BridgeDeps {
  logger: Logger;
  metrics?: Metrics;
  store?: Store;
  publisher?: Publisher;
  probe?: SyncProbe;
  /** Start the operator HTTP servers (metrics and status page, health, debug). @default true */
  http?: boolean;
  /** The last warn/error lines of `logger` (see `createLogger`), shown on the status page. */
  recentLog?: RecentLog;
  /**
   * Where spans go. @default set up from the standard OpenTelemetry environment (`OTEL_*`): off
   * unless it names an exporter
   */
  tracing?: Tracing;
}

export const BRIDGE_STATES = ['idle', 'starting', 'running', 'stopping', 'stopped', 'failed'] as const;
/** Lifecycle of the whole bridge. */
export type BridgeState = (typeof BRIDGE_STATES)[number];

/** Everything the running bridge is made of, for the CLI, tests and the benchmark. */
export interface Bridge {
  readonly state: BridgeState;
  readonly store: Store;
  readonly engine: SyncEngine;
  readonly notifier: Notifier;
  readonly supervisor: ClusterSupervisor;
  /** Which clusters this replica owns (all of them without replicas). */
  readonly ownership: ClusterOwnership;
  /** The instance controllers of the clusters being streamed. */
  readonly controllers: ClusterControllers;
  readonly metrics: Metrics;
  /** This replica's id (`BRIDGE_REPLICA_ID`). */
  readonly replicaId: string;
  /** Port of the metrics address (metrics, status page, health) once started. */
  readonly httpPort: number | undefined;
  /** Port of the health address once started; undefined when it is off or the metrics address. */
  readonly healthPort: number | undefined;
  /** Port of the debug endpoint once started; undefined when it is off. */
  readonly debugPort: number | undefined;
  /** The built-in simulated ws-manager, when the demo runs. */
  readonly simulator: SimulatedWsManager | undefined;
  /** Port of the ClusterService once started. */
  readonly clusterServicePort: number | undefined;
  start(): Promise<void>;
  /** Applies cluster changes in the database at once instead of at the next interval. */
  reconcileClusters(): Promise<void>;
  /** Ordered teardown; every step runs even if an earlier one failed. Resolves true when clean. */
  stop(): Promise<boolean>;
}

/** Grace for writing what is still in memory on shutdown. */
const DRAIN_GRACE_MS = 10_000;

/** Interval of the status page's rate samples. */
const RATE_SAMPLE_MS = 10_000;

/** What the supervisor needs of a cluster from the configuration. */
function specOf(cluster: StaticCluster): ClusterSpec {
  return {
    name: cluster.name,
    url: cluster.url,
    tls: cluster.tls ?? null,
    state: cluster.state,
    score: cluster.score,
    static: true,
  };
}

/** Every part, built in dependency order by `createBridge`. */
interface Parts {
  config: Readonly<BridgeConfig>;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  publisher: Publisher;
  demo: DemoCluster | undefined;
  notifier: Notifier;
  orphans: OrphanClaimer | undefined;
  engine: SyncEngine;
  controllers: ClusterControllers;
  supervisor: ClusterSupervisor;
  ownership: ClusterOwnership;
  reconciler: ClusterReconciler;
  classRefresher: WorkspaceClassRefresher;
  clusterService: ClusterServiceServer;
  activity: ClusterActivity;
  staticClusters: readonly StaticCluster[];
  recentLog: RecentLog | undefined;
  http: boolean;
  tracing: Tracing;
}

/**
 * Builds the bridge. Opens the store and publisher, and with the demo binds its simulated ws-manager
 * to a loopback port; nothing else touches the network until start().
 */
export async function createBridge(config: Readonly<BridgeConfig>, deps: BridgeDeps): Promise<Bridge> {
  const { logger } = deps;
  const replica = config.replicaId;
  const metrics = deps.metrics ?? createMetrics();
  const tracing =
    deps.tracing ??
    (tracingRequested(process.env)
      ? await setupTracing(process.env, logger, packageVersion())
      : disabledTracing());
  const store = deps.store ?? (await openStore(config.databaseUrl, { logger }));
  const publisher = deps.publisher ?? (await openPublisher(config.redisUrl, logger));
  const demo = config.demo.enabled ? await DemoCluster.listen(config.demo, logger) : undefined;
  const staticClusters: readonly StaticCluster[] = [
    ...config.staticClusters,
    ...(demo ? [demo.cluster] : []),
  ];
  const leaseStore = store.leases;
  const tokens = leaseStore ? new LeaseTokens(replica) : undefined;

  const notifier = new Notifier({
    publisher,
    logger,
    outbox: publisher.durable ? store : undefined,
    replica,
    backoff: config.wsman.backoff,
    onPublished: (type, ok, count) =>
      metrics.redisUpdatesPublishedTotal.inc({ type, error: String(!ok) }, count),
    tracing,
  });
  const orphans = publisher.durable
    ? new OrphanClaimer({
        outbox: store,
        replica,
        liveReplicas: async () => (leaseStore ? leaseStore.liveReplicas() : [replica]),
        notifier,
        intervalMs: config.clusterLeaseMs,
        logger,
      })
    : undefined;
  const engine = new SyncEngine({
    store,
    maxBacklog: config.maxBacklog,
    maxInstances: config.maxInstances,
    notify: (committed) => {
      notifier.notifyMessages(committed.messages, committed.revision);
      notifier.notifyInstances(committed.instances, committed.revision);
    },
    prebuilds: { stoppedPrebuildStatuses: config.stoppedPrebuildStatuses },
    validate: validateStatus,
    reduce: reduceStatus,
    logger,
    metrics,
    adoptUnknown: config.adoptUnknown || config.demo.enabled,
    outbox: publisher.durable,
    replica,
    fence: tokens && (() => tokens.fence()),
    backoff: config.wsman.backoff,
    probe: deps.probe,
    tracing,
  });
  metrics.sources.notificationsPending = () => notifier.pending;
  metrics.sources.instancesTracked = () => engine.tracked;
  metrics.sources.instancesDirty = () => engine.dirty;

  const controllerOptions = {
    store,
    stopInstances: engine.stopInstances.bind(engine),
    timeouts: config.timeouts,
    intervalMs: config.controllerIntervalMs,
    maxDisconnectMs: config.controllerMaxDisconnectMs,
    stopAfterDisconnectMs: config.stopInstancesAfterDisconnectMs,
    metrics,
    logger,
    tracing,
  };
  const controllers = new ClusterControllers({
    ...controllerOptions,
    tlsServerName: config.wsman.tlsServerName,
    deadlineMs: config.wsman.unaryDeadlineMs,
  });
  const activity = new ClusterActivity();
  const supervisor = new ClusterSupervisor({
    sink: activity.tap(engine),
    workers: (spec) => [controllers.worker(spec)],
    logger,
    metrics,
    backoff: config.wsman.backoff,
    healthyResetMs: config.wsman.healthyResetMs,
    unaryDeadlineMs: config.wsman.unaryDeadlineMs,
    tlsServerName: config.wsman.tlsServerName,
    keepalive: config.wsman.keepalive,
    allowPlaintext: config.allowPlaintextClusters,
    tracing,
  });
  const ownership = new ClusterOwnership({
    supervisor,
    engine,
    installation: config.installation,
    installationController: () =>
      new InstanceController({ ...controllerOptions, cluster: config.installation }),
    leases:
      leaseStore &&
      tokens &&
      ((hooks) =>
        new ClusterLeases({
          store: leaseStore,
          replica,
          tokens,
          ttlMs: config.clusterLeaseMs,
          hooks,
          metrics,
          logger,
        })),
    drainMs: DRAIN_GRACE_MS,
    logger,
  });
  const reconciler = new ClusterReconciler({
    store,
    ownership,
    staticClusters: () => staticClusters.map(specOf),
    intervalMs: config.clusterReconcileIntervalMs,
    logger,
  });
  const describeCluster = describeClusterWith({
    tlsServerName: config.wsman.tlsServerName,
    deadlineMs: config.wsman.unaryDeadlineMs,
  });
  const classRefresher = new WorkspaceClassRefresher({
    store,
    describeCluster,
    isStatic: (name) => staticClusters.some((c) => c.name === name),
    owns: (name) => ownership.owns(name),
    intervalMs: config.controllerIntervalMs,
    logger,
  });
  const clusterService = new ClusterServiceServer({
    config: config.clusterService,
    allowPlaintextClusters: config.allowPlaintextClusters,
    deps: {
      store,
      staticClusters: () => staticClusters,
      describeCluster,
      onClusterChanged: () => reconciler.runNow(),
      exclusively: (name, signal, work) => ownership.exclusively(name, signal, work),
      stopClusterInstances: async (clusterName, reason, signal) => {
        // The ids first, then the records a page at a time: however large the cluster, no single read
        // holds the other clusters' streams for long.
        const states = await allStates(store, clusterName, NOT_STOPPED_PHASES, signal);
        const ids = states.map((state) => state.id);
        const requests: StopRequest[] = [];
        for await (const page of recordPages(store, ids, signal)) {
          for (const record of page.values()) requests.push({ record, reason });
        }
        return engine.stopInstances(requests, signal);
      },
      leaseHolders: async () =>
        leaseStore
          ? new Map((await leaseStore.listLeases()).map((l) => [l.name, l.holder]))
          : new Map(supervisor.clusters().map((c) => [c.name, replica])),
      logger: logger.child({ component: 'cluster-service' }),
    },
    tracing,
  });
  return new BridgeRuntime({
    config,
    logger,
    metrics,
    store,
    publisher,
    demo,
    notifier,
    orphans,
    engine,
    controllers,
    supervisor,
    ownership,
    reconciler,
    classRefresher,
    clusterService,
    activity,
    staticClusters,
    recentLog: deps.recentLog,
    http: deps.http ?? true,
    tracing,
  });
}

class BridgeRuntime implements Bridge {
  readonly #p: Parts;
  #state: BridgeState = 'idle';
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<boolean> | undefined;
  readonly #servers: OpsHttpServer[] = [];
  #sampler: RateSampler | undefined;
  #httpPort: number | undefined;
  #healthPort: number | undefined;
  #debugPort: number | undefined;
  #clusterServicePort: number | undefined;
  #stopListening: (() => Promise<void>) | undefined;

  constructor(parts: Parts) {
    this.#p = parts;
  }

  /** Applies cluster changes now (the ClusterService calls this after a mutation). */
  reconcileClusters(): Promise<void> {
    return this.#p.reconciler.runNow();
  }

  get state(): BridgeState {
    return this.#state;
  }
  get store(): Store {
    return this.#p.store;
  }
  get engine(): SyncEngine {
    return this.#p.engine;
  }
  get notifier(): Notifier {
    return this.#p.notifier;
  }
  get supervisor(): ClusterSupervisor {
    return this.#p.supervisor;
  }
  get ownership(): ClusterOwnership {
    return this.#p.ownership;
  }
  get controllers(): ClusterControllers {
    return this.#p.controllers;
  }
  get metrics(): Metrics {
    return this.#p.metrics;
  }
  get replicaId(): string {
    return this.#p.config.replicaId;
  }
  get httpPort(): number | undefined {
    return this.#httpPort;
  }
  get healthPort(): number | undefined {
    return this.#healthPort;
  }
  get debugPort(): number | undefined {
    return this.#debugPort;
  }
  get simulator(): SimulatedWsManager | undefined {
    return this.#p.demo?.simulator;
  }
  get clusterServicePort(): number | undefined {
    return this.#clusterServicePort;
  }

  start(): Promise<void> {
    this.#startPromise ??= this.#start().catch((error: unknown) => {
      this.#state = 'failed';
      this.#startPromise = undefined;
      throw error;
    });
    return this.#startPromise;
  }

  async #start(): Promise<void> {
    if (this.#state !== 'idle' && this.#state !== 'failed')
      throw new Error(`cannot start a bridge that is ${this.#state}`);
    this.#state = 'starting';
    const p = this.#p;
    await p.store.migrate();
    await p.store.claimSoleWriter(p.config.replicaId);
    await p.store.warm().catch((error: unknown) => {
      p.logger.warn({ err: errorMessage(error) }, 'database: warm-up failed; connections open on first use');
    });
    await p.engine.start();
    await p.notifier.start();
    await p.orphans?.start();
    if (p.http) await this.#startHttp();
    // Known clusters first, so that the first lease round can take this replica's share of them.
    await p.reconciler.start();
    this.#stopListening = await p.store.leases?.onClusterChange(() => void p.reconciler.runNow());
    await p.ownership.start();
    await p.classRefresher.start();
    this.#clusterServicePort = await p.clusterService.start();
    await p.demo?.start();
    if (this.#state === 'starting') this.#state = 'running';
    p.logger.info(
      {
        replica: p.config.replicaId,
        clusters: [...p.supervisor.states().keys()],
        httpPort: this.#httpPort,
        healthPort: this.#healthPort,
        debugPort: this.#debugPort,
        clusterServicePort: this.#clusterServicePort,
      },
      'ws-manager-bridge is running',
    );
  }

  /**
   * The metrics address serves metrics, the status page and health; the health address (a kubelet's,
   * by default on all interfaces) only health; the loopback debug address the log level.
   */
  async #startHttp(): Promise<void> {
    // A start that failed halfway may have left some of them listening.
    await this.#stopHttp();
    const { config, metrics, logger } = this.#p;
    const health = healthRoutes({
      healthy: () => this.#state === 'running' || this.#state === 'starting',
      readiness: () => this.#readiness(),
    });
    const history = new RateHistory();
    this.#sampler = new RateSampler({ metrics, history, logger, intervalMs: RATE_SAMPLE_MS });
    await this.#sampler.start();
    const sampler = this.#sampler;
    const status = statusRoutes(() =>
      buildStatusReport(this.#statusSources(async () => history.samples(await sampler.current()))),
    );
    const listen = async (
      purpose: string,
      address: { host: string; port: number },
      routes: Record<string, HttpRoute>,
    ): Promise<number> => {
      const server = new OpsHttpServer({ purpose, ...address, routes });
      this.#servers.push(server);
      return server.start();
    };
    this.#httpPort = await listen('the operator HTTP endpoints', config.http, {
      ...metricsRoute(metrics.registry),
      ...health,
      ...status,
    });
    const healthAt = config.health;
    if (healthAt && !(healthAt.port === config.http.port && healthAt.host === config.http.host))
      this.#healthPort = await listen('health and readiness', healthAt, health);
    if (config.debug) this.#debugPort = await listen('the debug endpoint', config.debug, debugRoutes(logger));
  }

  async #stopHttp(): Promise<void> {
    await this.#sampler?.stop();
    const servers = this.#servers.splice(0);
    await Promise.all(servers.map((server) => server.stop()));
  }

  /** Where the status page's report comes from. */
  #statusSources(rates: () => Promise<RateSample[]>): StatusSources {
    const p = this.#p;
    const leases = p.store.leases;
    return {
      replica: p.config.replicaId,
      bridgeState: () => this.#state,
      streams: () => p.supervisor.states(),
      knownClusters: async () => [
        ...(await p.store.listClusters()).map((c) => ({ name: c.name, static: false })),
        ...p.staticClusters.map((c) => ({ name: c.name, static: true })),
      ],
      leaseHolders: async () =>
        leases
          ? new Map((await leases.listLeases()).filter((l) => !l.expired).map((l) => [l.name, l.holder]))
          : new Map([...p.supervisor.states().keys()].map((name) => [name, p.config.replicaId])),
      activeInstances: () => p.store.countActiveInstances(),
      notificationsPending: () => p.notifier.pending,
      rates,
      rateIntervalSeconds: RATE_SAMPLE_MS / 1000,
      lastUpdate: (name) => p.activity.lastUpdate(name),
      warnings: () => ({ total: p.recentLog?.total ?? 0, recent: p.recentLog?.entries() ?? [] }),
    };
  }

  async #readiness(): Promise<Readiness> {
    const p = this.#p;
    const checks: Readiness['checks'] = {};
    try {
      await p.store.ping();
      checks.database = { ok: true };
    } catch (error: unknown) {
      checks.database = { ok: false, detail: errorMessage(error) };
    }
    const down = p.publisher.downReason();
    const pending = `${p.notifier.pending} pending`;
    checks.notifications = { ok: down === undefined, detail: down ? `${down}; ${pending}` : pending };
    for (const [name, state] of p.supervisor.states()) {
      const downMs = p.controllers.get(name)?.disconnectedForMs();
      checks[`cluster:${name}`] =
        downMs === undefined
          ? { ok: state === 'streaming', detail: state }
          : {
              ok: false,
              detail: `${state}; disconnected: ws-manager unreachable for ${Math.round(downMs / 1000)} s`,
            };
    }
    if (p.ownership.leases) {
      const held = p.ownership.leases.owned().sort();
      checks.leases = { ok: true, detail: held.length > 0 ? `holds ${held.join(', ')}` : 'holds none' };
    }
    checks.bridge = { ok: this.#state === 'running', detail: this.#state };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  stop(): Promise<boolean> {
    if (!this.#stopPromise) {
      const failedStart = this.#state === 'failed';
      // Visible at once, so health checks fail from the first moment of shutdown.
      this.#state = 'stopping';
      this.#stopPromise = this.#stop(failedStart);
    }
    return this.#stopPromise;
  }

  async #stop(failedStart: boolean): Promise<boolean> {
    // A start still running is let finish (or fail) before its parts are stopped.
    await this.#startPromise?.catch(() => undefined);
    const p = this.#p;
    let clean = true;
    const step = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        const result = await fn();
        if (result === false) {
          clean = false;
          p.logger.warn({ step: name }, 'shutdown step did not finish cleanly');
        }
      } catch (error: unknown) {
        clean = false;
        p.logger.error({ step: name, error: errorMessage(error) }, 'shutdown step failed');
      }
    };
    // Intake first, then drain what is in memory, then hand the leases back (the writes needed
    // them), then the outputs, in reverse order of start.
    await step('cluster service', () => p.clusterService.stop());
    await step('reconciler', () => p.reconciler.stop());
    await step('cluster change listener', async () => this.#stopListening?.());
    await step('class refresher', () => p.classRefresher.stop());
    await step('clusters', () => p.ownership.stopParts());
    await step('demo', async () => p.demo?.stop());
    await step('sync', () => p.engine.drain(DRAIN_GRACE_MS));
    await step('orphan claimer', async () => p.orphans?.stop());
    await step('notifier', () => p.notifier.stop());
    await step('leases', () => p.ownership.stop());
    await step('publisher', () => p.publisher.close());
    await step('store', () => p.store.close());
    await step('http', () => this.#stopHttp());
    await step('tracing', () => p.tracing.shutdown());
    this.#state = 'stopped';
    if (failedStart) p.logger.info('ws-manager-bridge stopped after a failed start');
    else p.logger.info({ clean }, 'ws-manager-bridge stopped');
    return clean && !failedStart;
  }
}
