/**
 * The gRPC `workspacemanagerbridge.ClusterService` server: wire-compatible with the original,
 * loopback by default, TLS/mTLS and bearer token when exposed. Mutations of one cluster name run
 * one at a time.
 */
import { Server } from '@grpc/grpc-js';
import type { ClusterServiceConfig } from '../config/config.js';
import {
  ClusterServiceService,
  type ClusterServiceServer as ClusterServiceImplementation,
} from '../generated/workspacemanagerbridge/cluster-service.js';
import { errorMessage } from '../lifecycle/abort.js';
import { KeyedSerialQueue } from '../lifecycle/keyed-queue.js';
import type { Logger } from '../observability/logger.js';
import { disabledTracing, type Tracing } from '../observability/tracing.js';
import { bearerTokenCheck } from './bearer-token.js';
import type { ClusterServiceDeps } from './deps.js';
import { deregisterCluster } from './deregister-handler.js';
import { ServiceStoppingError } from './errors.js';
import { createHandlerContext, type HandlerContext } from './handler-context.js';
import { listClusters } from './list-handler.js';
import {
  assertListenAllowed,
  bindAddress,
  isExposedWithoutProtection,
  serverCredentials,
} from './listen-security.js';
import { registerCluster } from './register-handler.js';
import { unaryCall, type UnaryCallEnv } from './unary-call.js';
import { updateCluster } from './update-handler.js';

/** Options of ClusterServiceServer. */
export interface ClusterServiceServerOptions {
  config: ClusterServiceConfig;
  /** Accept registrations without TLS to the ws-manager (development, the simulator). */
  allowPlaintextClusters: boolean;
  /** Deadline of the DescribeCluster reachability probe. @default 10000 */
  describeDeadlineMs?: number;
  /** How long stop() lets running calls finish before cutting them off. @default 5000 */
  shutdownGraceMs?: number;
  deps: ClusterServiceDeps;
  /** A span per call. @default off */
  tracing?: Tracing;
}

/** Lifecycle states of the server. */
export const CLUSTER_SERVICE_STATES = ['idle', 'starting', 'serving', 'stopping', 'stopped'] as const;
/** One of CLUSTER_SERVICE_STATES. */
export type ClusterServiceState = (typeof CLUSTER_SERVICE_STATES)[number];

/** The ClusterService gRPC server. start() and stop() are idempotent. */
export class ClusterServiceServer {
  readonly #config: ClusterServiceConfig;
  readonly #logger: Logger;
  readonly #ctx: HandlerContext;
  readonly #queue = new KeyedSerialQueue();
  readonly #stopping = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #shutdownGraceMs: number;
  readonly #tracing: Tracing;
  #state: ClusterServiceState = 'idle';
  #server: Server | undefined;
  #startPromise: Promise<number> | undefined;
  #stopPromise: Promise<void> | undefined;

  constructor(options: ClusterServiceServerOptions) {
    this.#config = options.config;
    this.#logger = options.deps.logger;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
    this.#tracing = options.tracing ?? disabledTracing();
    this.#ctx = createHandlerContext({
      deps: options.deps,
      allowPlaintextClusters: options.allowPlaintextClusters,
      describeDeadlineMs: options.describeDeadlineMs ?? 10_000,
    });
  }

  /** Current lifecycle state. */
  get state(): ClusterServiceState {
    return this.#state;
  }

  /**
   * Binds and serves; resolves with the bound port (useful with port 0). Throws when the address
   * would be exposed without protection or cannot be bound; a failed start can be retried.
   */
  start(): Promise<number> {
    if (this.#stopPromise)
      return Promise.reject(new Error('the cluster service was stopped; create a new server'));
    this.#startPromise ??= this.#start().catch((error: unknown) => {
      this.#startPromise = undefined;
      this.#state = 'idle';
      throw error;
    });
    return this.#startPromise;
  }

  /** Refuses new calls, aborts running ones and waits for them to end. */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #start(): Promise<number> {
    assertListenAllowed(this.#config);
    this.#state = 'starting';
    const address = bindAddress(this.#config.host, this.#config.port);
    // The default of 10 (MB per HTTP/2 session) is too low for this server, as the original notes.
    // No SO_REUSEPORT: a second bridge on the same port must fail to start, not share the port silently.
    const server = new Server({ 'grpc-node.max_session_memory': 50, 'grpc.so_reuseport': 0 });
    server.addService(ClusterServiceService, this.#implementation());
    let port: number;
    try {
      port = await bind(server, address, this.#config);
    } catch (error: unknown) {
      server.forceShutdown();
      throw new Error(`cannot serve the cluster service on ${address}: ${errorMessage(error)}`);
    }
    this.#server = server;
    if (this.#state === 'starting') this.#state = 'serving';
    this.#logListening(bindAddress(this.#config.host, port));
    return port;
  }

  #logListening(address: string): void {
    const tls = this.#config.tls;
    this.#logger.info(
      {
        address,
        transport: tls ? (tls.clientCa ? 'mtls' : 'tls') : 'plaintext',
        tokenRequired: Boolean(this.#config.token),
      },
      'cluster service listening',
    );
    if (isExposedWithoutProtection(this.#config)) {
      this.#logger.warn(
        { address },
        'cluster service exposed without TLS or token (--insecure-cluster-service)',
      );
    }
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping';
    this.#stopping.abort(new ServiceStoppingError());
    await this.#startPromise?.catch(() => undefined);
    if (this.#server) await shutdown(this.#server, this.#shutdownGraceMs);
    await Promise.allSettled([...this.#inFlight]);
    this.#state = 'stopped';
  }

  #implementation(): ClusterServiceImplementation {
    const env: UnaryCallEnv = {
      logger: this.#logger,
      stopping: this.#stopping.signal,
      authenticate: bearerTokenCheck(this.#config.token),
      tracing: this.#tracing,
      track: (work) => {
        this.#inFlight.add(work);
        void work.finally(() => this.#inFlight.delete(work));
      },
    };
    const ctx = this.#ctx;
    const queue = this.#queue;
    // Register also holds its url, so two names cannot race to claim one ws-manager. The url
    // key is always taken inside the name key, so the lock order never forms a cycle.
    const byName = <T>(name: string, work: () => Promise<T>): Promise<T> => queue.run(`name:${name}`, work);
    const byUrl = <T>(url: string, work: () => Promise<T>): Promise<T> => queue.run(`url:${url}`, work);
    return {
      register: unaryCall(env, 'register', (req, signal) =>
        byName(req.name, () => byUrl(req.url, () => registerCluster(ctx, req, signal))),
      ),
      update: unaryCall(env, 'update', (req, signal) =>
        byName(req.name, () => updateCluster(ctx, req, signal)),
      ),
      deregister: unaryCall(env, 'deregister', (req, signal) =>
        byName(req.name, () => deregisterCluster(ctx, req, signal)),
      ),
      list: unaryCall(env, 'list', () => listClusters(ctx)),
    };
  }
}

function bind(server: Server, address: string, config: ClusterServiceConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, serverCredentials(config), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/** Graceful shutdown that turns forceful when running calls do not end within `graceMs`. */
function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
