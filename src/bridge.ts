/**
 * Composition root: builds every component with `new`, in dependency order, and returns an object
 * with start() and stop(). Tests call the same function with their own store, publisher or config.
 */
import type { BridgeConfig, StaticCluster } from './config/config.js';
import { plainStaticCluster } from './config/load-config.js';
import { ClusterServiceServer } from './cluster-api/cluster-service-server.js';
import { ClusterReconciler } from './clusters/cluster-reconciler.js';
import { ClusterSupervisor, type ClusterSpec } from './clusters/cluster-supervisor.js';
import { ClusterControllers } from './controllers/cluster-controllers.js';
import { InstanceController } from './controllers/instance-controller.js';
import { WorkspaceClassRefresher } from './controllers/workspace-class-refresher.js';
import { errorMessage } from './lifecycle/abort.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { OpsHttpServer, type Readiness } from './observability/http-server.js';
import { openPublisher } from './pubsub/open-publisher.js';
import { Notifier } from './pubsub/notifier.js';
import type { Publisher } from './pubsub/ports.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/ports.js';
import { INSTANCE_PHASES } from './store/types.js';
import { reduceStatus } from './sync/status-reducer.js';
import { SyncEngine, type StopRequest, type SyncProbe } from './sync/sync-engine.js';
import { validateStatus } from './sync/validate-status.js';
import { describeClusterWith } from './wsman/describe-cluster.js';
import { SimulatedWsManager } from './wsman/simulator/index.js';

/** Optional pieces a caller (a test, the benchmark) provides instead of the defaults. */
export interface BridgeDeps {
  logger: Logger;
  metrics?: Metrics;
  store?: Store;
  publisher?: Publisher;
  probe?: SyncProbe;
  /** Start the operator HTTP server. @default true */
  http?: boolean;
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
  /** The instance controllers of the clusters being streamed. */
  readonly controllers: ClusterControllers;
  /** The controller of the installation's own instances (phase timeouts only). */
  readonly installationController: InstanceController;
  readonly metrics: Metrics;
  /** Port of the operator HTTP server once started. */
  readonly httpPort: number | undefined;
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

/** Every fourth workspace of the demo workload is a prebuild (every third of those with a failed task). */
const DEMO_PREBUILD_EVERY = 4;

/** Grace for writing what is still in memory on shutdown. */
const DRAIN_GRACE_MS = 10_000;

/** Builds the bridge. Opens the store and publisher (no network I/O beyond that until start()). */
export async function createBridge(config: Readonly<BridgeConfig>, deps: BridgeDeps): Promise<Bridge> {
  const logger = deps.logger;
  const metrics = deps.metrics ?? createMetrics();
  const store = deps.store ?? (await openStore(config.databaseUrl, { logger }));
  const publisher = deps.publisher ?? (await openPublisher(config.redisUrl, logger));
  const notifier = new Notifier({
    publisher,
    logger,
    outbox: publisher.durable ? store : undefined,
    backoff: config.wsman.backoff,
    onPublished: (type, ok, count) =>
      metrics.redisUpdatesPublishedTotal.inc({ type, error: String(!ok) }, count),
  });
  const engine = new SyncEngine({
    store,
    notify: (committed) => {
      notifier.notifyMessages(committed.messages);
      notifier.notifyInstances(committed.instances);
    },
    prebuilds: { stoppedPrebuildStatuses: config.stoppedPrebuildStatuses },
    validate: validateStatus,
    reduce: reduceStatus,
    logger,
    metrics,
    adoptUnknown: config.adoptUnknown || config.demo.enabled,
    outbox: publisher.durable,
    backoff: config.wsman.backoff,
    probe: deps.probe,
  });
  metrics.sources.notificationsPending = () => notifier.pending;
  metrics.sources.instancesTracked = () => engine.tracked;
  metrics.sources.instancesDirty = () => engine.dirty;
  const controllerOptions = {
    store,
    stopInstances: (requests: readonly StopRequest[], signal: AbortSignal) =>
      engine.stopInstances(requests, signal),
    timeouts: config.timeouts,
    intervalMs: config.controllerIntervalMs,
    maxDisconnectMs: config.controllerMaxDisconnectMs,
    stopAfterDisconnectMs: config.stopInstancesAfterDisconnectMs,
    metrics,
    logger,
  };
  const controllers = new ClusterControllers({
    ...controllerOptions,
    tlsServerName: config.wsman.tlsServerName,
    deadlineMs: config.wsman.unaryDeadlineMs,
  });
  const installationController = new InstanceController({
    ...controllerOptions,
    cluster: config.installation,
  });
  const supervisor = new ClusterSupervisor({
    sink: engine,
    workers: (spec) => [controllers.worker(spec)],
    logger,
    metrics,
    backoff: config.wsman.backoff,
    healthyResetMs: config.wsman.healthyResetMs,
    unaryDeadlineMs: config.wsman.unaryDeadlineMs,
    tlsServerName: config.wsman.tlsServerName,
    allowPlaintext: config.allowPlaintextClusters,
  });
  const describeCluster = describeClusterWith({
    tlsServerName: config.wsman.tlsServerName,
    deadlineMs: config.wsman.unaryDeadlineMs,
  });
  const parts: Omit<Parts, 'reconciler' | 'classRefresher'> = {
    logger,
    metrics,
    store,
    publisher,
    notifier,
    engine,
    supervisor,
    controllers,
    installationController,
    http: deps.http ?? true,
  };
  const runtime: BridgeRuntime = new BridgeRuntime(config, parts, (staticClusters) => ({
    clusterService: new ClusterServiceServer({
      config: config.clusterService,
      allowPlaintextClusters: config.allowPlaintextClusters,
      deps: {
        store,
        staticClusters,
        describeCluster,
        onClusterChanged: () => runtime.reconcileClusters(),
        stopClusterInstances: async (clusterName, reason, signal) => {
          // Stream first: a status still in flight must not revive what is being stopped.
          await supervisor.detach(clusterName);
          const records = await store.listInstances({ clusterName, phases: NOT_STOPPED });
          return engine.stopInstances(
            records.map((record) => ({ record, reason })),
            signal,
          );
        },
        logger: logger.child({ component: 'cluster-service' }),
      },
    }),
    reconciler: new ClusterReconciler({
      store,
      supervisor,
      staticClusters: () => staticClusters().map(specOf),
      intervalMs: config.clusterReconcileIntervalMs,
      logger,
    }),
    classRefresher: new WorkspaceClassRefresher({
      store,
      describeCluster,
      isStatic: (name) => staticClusters().some((c) => c.name === name),
      intervalMs: config.controllerIntervalMs,
      logger,
    }),
  }));
  return runtime;
}

interface Parts {
  logger: Logger;
  metrics: Metrics;
  store: Store;
  publisher: Publisher;
  notifier: Notifier;
  engine: SyncEngine;
  supervisor: ClusterSupervisor;
  controllers: ClusterControllers;
  installationController: InstanceController;
  http: boolean;
}

/** Parts that need the final list of static clusters (known once the demo simulator listens). */
interface LateParts {
  reconciler: ClusterReconciler;
  classRefresher: WorkspaceClassRefresher;
  clusterService: ClusterServiceServer;
}

/** Phases in which an instance still counts as present on its cluster. */
const NOT_STOPPED = INSTANCE_PHASES.filter((phase) => phase !== 'stopped');

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

class BridgeRuntime implements Bridge {
  readonly #config: Readonly<BridgeConfig>;
  readonly #p: Parts;
  readonly #late: LateParts;
  #static: StaticCluster[] = [];
  #state: BridgeState = 'idle';
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<boolean> | undefined;
  #http: OpsHttpServer | undefined;
  #httpPort: number | undefined;
  #clusterServicePort: number | undefined;
  #simulator: SimulatedWsManager | undefined;
  #demoAbort = new AbortController();

  constructor(
    config: Readonly<BridgeConfig>,
    parts: Parts,
    late: (staticClusters: () => readonly StaticCluster[]) => LateParts,
  ) {
    this.#config = config;
    this.#p = parts;
    this.#late = late(() => this.#static);
  }

  /** Applies cluster changes now (the ClusterService calls this after a mutation). */
  reconcileClusters(): Promise<void> {
    return this.#late.reconciler.runNow();
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
  get controllers(): ClusterControllers {
    return this.#p.controllers;
  }
  get installationController(): InstanceController {
    return this.#p.installationController;
  }
  get metrics(): Metrics {
    return this.#p.metrics;
  }
  get httpPort(): number | undefined {
    return this.#httpPort;
  }
  get simulator(): SimulatedWsManager | undefined {
    return this.#simulator;
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
    const { store, notifier, supervisor, logger } = this.#p;
    await store.migrate();
    await notifier.start();
    if (this.#p.http) await this.#startHttp();
    const clusters = [...this.#config.staticClusters];
    if (this.#config.demo.enabled) clusters.push(await this.#startDemo());
    this.#static = clusters;
    await this.#late.reconciler.start();
    await this.#late.classRefresher.start();
    await this.#p.installationController.start();
    this.#clusterServicePort = await this.#late.clusterService.start();
    if (this.#state === 'starting') this.#state = 'running';
    logger.info(
      {
        clusters: [...supervisor.states().keys()],
        httpPort: this.#httpPort,
        clusterServicePort: this.#clusterServicePort,
      },
      'ws-manager-bridge is running',
    );
  }

  async #startDemo(): Promise<StaticCluster> {
    const simulator = new SimulatedWsManager({ logger: this.#p.logger.child({ component: 'simulator' }) });
    this.#simulator = simulator;
    const port = await simulator.listen(0, '127.0.0.1');
    const { workspaces, updatesPerSecond } = this.#config.demo;
    void simulator
      .runLoad({
        workspaces,
        updatesPerSecond,
        prebuildEvery: DEMO_PREBUILD_EVERY,
        signal: this.#demoAbort.signal,
      })
      .catch((error: unknown) =>
        this.#p.logger.error({ error: errorMessage(error) }, 'demo workload failed'),
      );
    this.#p.logger.info(
      { port, workspaces, updatesPerSecond },
      'no cluster configured: running a simulated ws-manager',
    );
    return plainStaticCluster('demo', `127.0.0.1:${port}`);
  }

  async #startHttp(): Promise<void> {
    this.#http = new OpsHttpServer({
      host: this.#config.http.host,
      port: this.#config.http.port,
      registry: this.#p.metrics.registry,
      healthy: () => this.#state === 'running' || this.#state === 'starting',
      readiness: () => this.#readiness(),
    });
    this.#httpPort = await this.#http.start();
  }

  async #readiness(): Promise<Readiness> {
    const checks: Readiness['checks'] = {};
    try {
      await this.#p.store.ping();
      checks.database = { ok: true };
    } catch (error: unknown) {
      checks.database = { ok: false, detail: errorMessage(error) };
    }
    checks.notifications = { ok: this.#p.publisher.healthy(), detail: `${this.#p.notifier.pending} pending` };
    for (const [name, state] of this.#p.supervisor.states()) {
      const downMs = this.#p.controllers.get(name)?.disconnectedForMs();
      checks[`cluster:${name}`] =
        downMs === undefined
          ? { ok: state === 'streaming', detail: state }
          : {
              ok: false,
              detail: `${state}; disconnected: ws-manager unreachable for ${Math.round(downMs / 1000)} s`,
            };
    }
    checks.bridge = { ok: this.#state === 'running', detail: this.#state };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  stop(): Promise<boolean> {
    if (!this.#stopPromise) {
      // Visible at once, so health checks fail from the first moment of shutdown.
      this.#state = 'stopping';
      this.#stopPromise = this.#stop();
    }
    return this.#stopPromise;
  }

  async #stop(): Promise<boolean> {
    await this.#startPromise?.catch(() => undefined);
    const { logger } = this.#p;
    let clean = true;
    const step = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        const result = await fn();
        if (result === false) {
          clean = false;
          logger.warn({ step: name }, 'shutdown step did not finish cleanly');
        }
      } catch (error: unknown) {
        clean = false;
        logger.error({ step: name, error: errorMessage(error) }, 'shutdown step failed');
      }
    };
    // Intake first, then drain what is in memory, then the outputs, in reverse order of start.
    await step('cluster service', () => this.#late.clusterService.stop());
    await step('reconciler', () => this.#late.reconciler.stop());
    await step('class refresher', () => this.#late.classRefresher.stop());
    await step('installation controller', () => this.#p.installationController.stop());
    await step('clusters', () => this.#p.supervisor.stop());
    this.#demoAbort.abort();
    await step('simulator', async () => this.#simulator?.close());
    await step('sync', () => this.#p.engine.drain(DRAIN_GRACE_MS));
    await step('notifier', () => this.#p.notifier.stop());
    await step('publisher', () => this.#p.publisher.close());
    await step('store', () => this.#p.store.close());
    await step('http', async () => this.#http?.stop());
    this.#state = 'stopped';
    logger.info({ clean }, 'ws-manager-bridge stopped');
    return clean;
  }
}
