/**
 * The one ClusterService fixture. `startHarness`: a real ClusterServiceServer on 127.0.0.1:0 over a
 * real store, with recording fakes for the reconciler hooks. `startBridgeHarness`: the whole bridge,
 * whose ClusterService registers real clusters. `startTlsSimulator`: a simulated ws-manager with mTLS
 * to register. `ApiClient`: a generated ClusterServiceClient with promise wrappers.
 */
import {
  credentials,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { ClusterServiceServer } from '../../src/cluster-api/cluster-service-server.js';
import type { ClusterServiceDeps } from '../../src/cluster-api/deps.js';
import { describeClusterWith } from '../../src/wsman/describe-cluster.js';
import type { ClusterServiceConfig, StaticCluster } from '../../src/config/config.js';
import {
  ClusterServiceClient,
  DeregisterRequest,
  ListRequest,
  type ListResponse,
  RegisterRequest,
  UpdateRequest,
  type ClusterStatus,
} from '../../src/generated/workspacemanagerbridge/cluster-service.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { SimulatedWsManager, type SimulatorOptions } from '../../src/wsman/simulator/index.js';
import { testBridgeConfig } from './bridge-config.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { LogCapture } from './log-capture.js';
import { serverCredentialsOf, type TestPki } from './test-pki.js';

export interface HarnessOptions {
  config?: Partial<ClusterServiceConfig>;
  allowPlaintextClusters?: boolean;
  describeDeadlineMs?: number;
  describeCluster?: ClusterServiceDeps['describeCluster'];
  staticClusters?: StaticCluster[];
  /** Runs inside `onClusterChanged` (e.g. to hold a call open). */
  onChanged?: (name: string) => Promise<void>;
}

export interface Harness {
  db: TestDatabase;
  store: Store;
  server: ClusterServiceServer;
  port: number;
  logs: LogCapture;
  changed: string[];
  stopCalls: { name: string; reason: string }[];
  config: ClusterServiceConfig;
  /** Stops the server, closes the store and drops the database. */
  close(): Promise<void>;
}

/** Opens a fresh database and store (migrated) and starts a server over it. */
export async function startHarness(kind: DatabaseKind, options: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDatabase(kind);
  const logs = new LogCapture('info');
  const store = await openStore(db.url, { logger: logs.logger });
  await store.migrate();
  const changed: string[] = [];
  const stopCalls: { name: string; reason: string }[] = [];
  const config: ClusterServiceConfig = {
    host: '127.0.0.1',
    port: 0,
    token: undefined,
    tls: undefined,
    insecure: false,
    ...options.config,
  };
  const server = new ClusterServiceServer({
    config,
    allowPlaintextClusters: options.allowPlaintextClusters ?? false,
    describeDeadlineMs: options.describeDeadlineMs,
    deps: {
      store,
      staticClusters: () => options.staticClusters ?? [],
      describeCluster:
        options.describeCluster ?? describeClusterWith({ tlsServerName: 'ws-manager', deadlineMs: 10_000 }),
      onClusterChanged: async (name) => {
        changed.push(name);
        await options.onChanged?.(name);
      },
      exclusively: (_name, _signal, work) => work(),
      leaseHolders: () => Promise.resolve(new Map()),
      stopClusterInstances: async (name, reason) => {
        // The real engine is tested with the whole bridge; here only the call is recorded.
        stopCalls.push({ name, reason });
        const open = await store.listInstances({ clusterName: name });
        return open.filter((i) => i.row.phase !== 'stopped').length;
      },
      logger: logs.logger,
    },
  });
  let port: number;
  try {
    port = await server.start();
  } catch (error: unknown) {
    await store.close();
    await db.drop();
    throw error;
  }
  return {
    db,
    store,
    server,
    port,
    logs,
    changed,
    stopCalls,
    config,
    close: async () => {
      try {
        await server.stop();
        await store.close();
      } finally {
        await db.drop();
      }
    },
  };
}

export interface BridgeHarness {
  bridge: Bridge;
  /** A client of the bridge's ClusterService. */
  api: ApiClient;
  /** Closes the client and stops the bridge (the database is the caller's). */
  close: () => Promise<void>;
}

/**
 * Starts the whole bridge on `db` with no cluster configured, TLS required for clusters, and the
 * cluster reconciler and controllers running every 0.2 s; `env` adds or overrides settings.
 */
export async function startBridgeHarness(
  db: TestDatabase,
  env: Record<string, string> = {},
  api: ConstructorParameters<typeof ApiClient>[1] = {},
): Promise<BridgeHarness> {
  const config = testBridgeConfig(
    db.url,
    [],
    { allowPlaintextClusters: false },
    {
      WS_CLUSTER_DB_RECONCILE_INTERVAL_SECONDS: '0.2',
      CONTROLLER_INTERVAL_SECONDS: '0.2',
      ...env,
    },
  );
  const bridge = await createBridge(config, { logger: silentLogger(), http: false });
  try {
    await bridge.start();
  } catch (error: unknown) {
    await bridge.stop();
    throw error;
  }
  const client = new ApiClient(`127.0.0.1:${bridge.clusterServicePort}`, api);
  return {
    bridge,
    api: client,
    close: async () => {
      client.close();
      await bridge.stop();
    },
  };
}

export interface TlsSimulator {
  sim: SimulatedWsManager;
  /** `127.0.0.1:<port>` */
  url: string;
  close: () => Promise<void>;
}

/** A simulated ws-manager on 127.0.0.1 serving `pki`'s server certificate and requiring client certificates. */
export async function startTlsSimulator(pki: TestPki, options: SimulatorOptions = {}): Promise<TlsSimulator> {
  const sim = new SimulatedWsManager(options);
  const port = await sim.listen(0, '127.0.0.1', serverCredentialsOf(pki));
  return { sim, url: `127.0.0.1:${port}`, close: () => sim.close() };
}

/** Promise wrappers around the generated client, carrying optional metadata. */
export class ApiClient {
  readonly raw: ClusterServiceClient;
  readonly #metadata: () => Metadata;
  readonly #deadlineMs: number | undefined;

  constructor(
    address: string,
    options: {
      credentials?: ChannelCredentials;
      token?: string;
      serverName?: string;
      /** Deadline of each call. @default none */
      deadlineMs?: number;
    } = {},
  ) {
    this.#deadlineMs = options.deadlineMs;
    this.raw = new ClusterServiceClient(
      address,
      options.credentials ?? credentials.createInsecure(),
      options.serverName ? { 'grpc.ssl_target_name_override': options.serverName } : {},
    );
    this.#metadata = () => {
      const md = new Metadata();
      md.set('client-name', 'test-client');
      if (options.token !== undefined) md.set('authorization', `Bearer ${options.token}`);
      return md;
    };
  }

  register(request: Partial<RegisterRequest>): Promise<void> {
    return this.#call((md, o, cb) => this.raw.register(RegisterRequest.fromPartial(request), md, o, cb)).then(
      () => undefined,
    );
  }

  update(request: Partial<UpdateRequest>): Promise<void> {
    return this.#call((md, o, cb) => this.raw.update(UpdateRequest.fromPartial(request), md, o, cb)).then(
      () => undefined,
    );
  }

  deregister(name: string, force = false): Promise<void> {
    return this.#call((md, o, cb) =>
      this.raw.deregister(DeregisterRequest.fromPartial({ name, force }), md, o, cb),
    ).then(() => undefined);
  }

  async list(): Promise<ClusterStatus[]> {
    const response = await this.#call<ListResponse>((md, o, cb) =>
      this.raw.list(ListRequest.fromPartial({}), md, o, cb),
    );
    return response.status;
  }

  close(): void {
    this.raw.close();
  }

  #call<Res>(
    invoke: (
      md: Metadata,
      options: Partial<CallOptions>,
      cb: (error: ServiceError | null, res: Res) => void,
    ) => unknown,
  ): Promise<Res> {
    const options = this.#deadlineMs === undefined ? {} : { deadline: Date.now() + this.#deadlineMs };
    return new Promise((resolve, reject) => {
      invoke(this.#metadata(), options, (error, res) => (error ? reject(error) : resolve(res)));
    });
  }
}

/** The gRPC status code a promise rejects with (undefined when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error: unknown) {
    return (error as ServiceError).code;
  }
}
