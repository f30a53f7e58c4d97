/**
 * A simulated ws-manager: workspaces in memory, moved through their phases on timers (or by hand, or
 * by generated load), served over the real `wsman.WorkspaceManager` gRPC protocol.
 */
import { Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import type {
  MetadataFilter,
  StartWorkspaceRequest,
  StartWorkspaceResponse,
  WorkspaceClass,
  WorkspaceStatus,
} from '../../generated/wsman/core.js';
import { StopWorkspacePolicy } from '../../generated/wsman/core.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import {
  LoadDriver,
  validateLoadOptions,
  type LoadHost,
  type LoadOptions,
  type LoadResult,
} from './load-driver.js';
import { matchesFilter } from './metadata-filter.js';
import { SimulatorError, SimulatorErrorCode } from './simulator-error.js';
import { SubscriberSet, type EncodedSubscribeCall } from './subscriber-set.js';
import { validateStartRequest } from './validate-start-request.js';
import { WorkspaceTable } from './workspace-table.js';
import { ENCODED_WSMAN_SERVICE, createWsmanHandlers, type WsmanBackend } from './wsman-service.js';

/** Options of the simulated ws-manager. */
export interface SimulatorOptions {
  /** Delay between automatic phase steps after StartWorkspace/StopWorkspace. @default 200 */
  phaseDelayMs?: number;
  /** How long a STOPPED workspace stays listed before it disappears, as a real ws-manager deletes it. @default 60000 */
  retainStoppedMs?: number;
  /** No automatic phase steps: tests move workspaces with `advance(id)`. @default false */
  manual?: boolean;
  /** Workspace classes DescribeCluster reports. @default a standard and a large class */
  workspaceClasses?: WorkspaceClass[];
  /** Class DescribeCluster prefers and new workspaces get when they name none. @default the first class */
  preferredWorkspaceClass?: string;
  /** Host part of workspace URLs. @default 'ws.sim.test' */
  domain?: string;
  /** Unsent messages a Subscribe stream may hold before it is ended as too slow. @default 50000 */
  maxSubscriberBacklog?: number;
  /** Where the simulator logs; it never logs statuses or owner tokens. @default a silent logger */
  logger?: Logger;
}

/** Test seams; each one is optional and may be set or cleared at any time. */
export interface SimulatorHooks {
  /** Runs after GetWorkspaces took its snapshot and before it replies; it may alter the copies it gets. */
  afterSnapshot?: (snapshot: WorkspaceStatus[]) => void | Promise<void>;
  /** Runs when a Subscribe stream opens (it is already counted and receiving). */
  onSubscribe?: () => void;
  /** Runs when a workspace disappears from the list (retention over, replaced by the load, or `forget`). */
  onRemove?: (id: string) => void;
  /** Runs each time the load pauses because a subscriber is not keeping up. */
  onBackpressure?: () => void;
  /**
   * The `header` map sent with a status on Subscribe streams, as a traced ws-manager sends its
   * trace context (`traceparent`). @default none
   */
  headerOf?: (status: WorkspaceStatus) => Record<string, string> | undefined;
}

/** The default classes: realistic names, prices exact in float32 so they survive the wire. */
export const DEFAULT_WORKSPACE_CLASSES: readonly WorkspaceClass[] = [
  {
    id: 'g1-standard',
    displayName: 'Standard',
    description: 'Up to 4 cores, 8 GB RAM, 30 GB storage',
    creditsPerMinute: 0.125,
  },
  {
    id: 'g1-large',
    displayName: 'Large',
    description: 'Up to 8 cores, 16 GB RAM, 50 GB storage',
    creditsPerMinute: 0.25,
  },
];

const SHUTDOWN_GRACE_MS = 2_000;

/** A ws-manager in memory speaking the real protocol; see `SimulatorOptions`. */
export class SimulatedWsManager {
  /** Test seams. */
  readonly hooks: SimulatorHooks = {};
  readonly #manual: boolean;
  readonly #classes: readonly WorkspaceClass[];
  readonly #preferredClass: string;
  readonly #logger: Logger;
  readonly #subscribers: SubscriberSet;
  readonly #workspaces: WorkspaceTable;
  readonly #closed = new AbortController();
  #server: Server | undefined;
  #closing: Promise<void> | undefined;
  #load: Promise<LoadResult> | undefined;

  constructor(options: SimulatorOptions = {}) {
    this.#manual = options.manual ?? false;
    this.#classes = (options.workspaceClasses ?? DEFAULT_WORKSPACE_CLASSES).map((c) => ({ ...c }));
    this.#preferredClass = options.preferredWorkspaceClass ?? this.#classes[0]?.id ?? '';
    this.#logger = options.logger ?? silentLogger();
    const subscribers = new SubscriberSet({ maxBacklog: options.maxSubscriberBacklog });
    this.#subscribers = subscribers;
    this.#workspaces = new WorkspaceTable({
      phaseDelayMs: options.phaseDelayMs ?? 200,
      retainStoppedMs: options.retainStoppedMs ?? 60_000,
      domain: options.domain ?? 'ws.sim.test',
      defaultClass: this.#preferredClass,
      publish: (status) => subscribers.publish(status, this.hooks.headerOf?.(status)),
      onRemove: (id) => this.hooks.onRemove?.(id),
    });
  }

  /** Open Subscribe streams. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Serves gRPC on `host:port` (port 0 picks a free one); resolves with the bound port. */
  async listen(
    port = 0,
    host = '127.0.0.1',
    credentials = ServerCredentials.createInsecure(),
  ): Promise<number> {
    this.#assertOpen();
    if (this.#server) {
      throw new SimulatorError(SimulatorErrorCode.failedPrecondition, 'the simulator is already listening');
    }
    // No SO_REUSEPORT: a taken port is an error, not a silently shared listener.
    const server = new Server({ 'grpc.so_reuseport': 0 });
    server.addService(ENCODED_WSMAN_SERVICE, createWsmanHandlers(this.#backend(), this.#logger));
    this.#server = server;
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      );
    }).catch((error: unknown) => {
      // A failed bind (port taken) leaves the simulator able to listen elsewhere.
      this.#server = undefined;
      server.forceShutdown();
      throw error;
    });
    this.#logger.info({ host, port: bound }, 'simulated ws-manager listening');
    return bound;
  }

  /** Ends streams with UNAVAILABLE, stops timers and load, shuts the server down. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Starts a workspace (the StartWorkspace RPC). Throws SimulatorError on a bad or duplicate request. */
  startWorkspace(request: StartWorkspaceRequest): StartWorkspaceResponse {
    this.#assertOpen();
    validateStartRequest(request);
    const template = this.#workspaces.start(request, this.#manual ? 'manual' : 'timers');
    return { url: template.spec.url, ownerToken: template.auth.ownerToken };
  }

  /** Stops a workspace (the StopWorkspace RPC); a no-op when it is already stopping. Throws NOT_FOUND. */
  stopWorkspace(id: string, policy: StopWorkspacePolicy = StopWorkspacePolicy.NORMALLY): void {
    this.#assertOpen();
    this.#workspaces.stop(id, policy);
  }

  /** Applies one manual step to a workspace (for tests that need exact control), emitting one status. */
  advance(id: string): WorkspaceStatus {
    this.#assertOpen();
    return structuredClone(this.#workspaces.advance(id));
  }

  /**
   * Drops a workspace from the list at once without emitting a status, as when ws-manager lost the
   * pod or was restarted with an empty state: GetWorkspaces no longer lists it and Subscribe says
   * nothing more about it. Clears its timer and calls `hooks.onRemove`. The seam for controller
   * tests (instances the cluster no longer knows). Throws SimulatorError(not-found) for an unknown id.
   */
  forget(id: string): void {
    this.#assertOpen();
    this.#workspaces.forget(id);
  }

  /** What GetWorkspaces would answer now, as deep copies. */
  truth(): WorkspaceStatus[] {
    return this.#workspaces.statuses().map((s) => structuredClone(s));
  }

  /** Ends every Subscribe stream with UNAVAILABLE, as a ws-manager restart would. */
  dropSubscribers(): void {
    this.#subscribers.endAll(GrpcStatus.UNAVAILABLE, 'subscription dropped by the simulated ws-manager');
  }

  /**
   * Drives `options.workspaces` live workspaces through whole lifecycles until the run ends; see
   * `LoadOptions`. One run at a time; its workspaces stay listed, frozen, when it ends.
   */
  async runLoad(options: LoadOptions): Promise<LoadResult> {
    this.#assertOpen();
    validateLoadOptions(options);
    if (this.#load) {
      throw new SimulatorError(SimulatorErrorCode.failedPrecondition, 'a load is already running');
    }
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#closed.signal])
      : this.#closed.signal;
    this.#load = new LoadDriver(this.#loadHost(), options, signal, this.#logger).run();
    try {
      return await this.#load;
    } finally {
      this.#load = undefined;
    }
  }

  #assertOpen(): void {
    if (this.#closed.signal.aborted) {
      throw new SimulatorError(SimulatorErrorCode.failedPrecondition, 'the simulated ws-manager is closed');
    }
  }

  async #listWorkspaces(filter: MetadataFilter | undefined): Promise<WorkspaceStatus[]> {
    const snapshot = this.#workspaces.statuses().filter((s) => matchesFilter(filter, s.metadata));
    const hook = this.hooks.afterSnapshot;
    if (!hook) return snapshot;
    const copies = snapshot.map((s) => structuredClone(s));
    await hook(copies);
    return copies;
  }

  #subscribe(call: EncodedSubscribeCall): void {
    if (this.#closed.signal.aborted) {
      call.emit('error', {
        code: GrpcStatus.UNAVAILABLE,
        details: 'the simulated ws-manager is shutting down',
      });
      return;
    }
    this.#subscribers.add(call);
    this.#logger.debug({ subscribers: this.#subscribers.size }, 'subscriber connected');
    this.hooks.onSubscribe?.();
  }

  #backend(): WsmanBackend {
    return {
      startWorkspace: (request) => this.startWorkspace(request),
      stopWorkspace: (id, policy) => this.stopWorkspace(id, policy),
      listWorkspaces: (filter) => this.#listWorkspaces(filter),
      describeCluster: () => ({
        workspaceClasses: this.#classes.map((c) => ({ ...c })),
        preferredWorkspaceClass: this.#preferredClass,
      }),
      subscribe: (call) => this.#subscribe(call),
    };
  }

  #loadHost(): LoadHost {
    const subscribers = this.#subscribers;
    const workspaces = this.#workspaces;
    return {
      start: (request, stamp) => void workspaces.start(request, 'load', stamp),
      advance: (id, stamp) => workspaces.advanceOrRetire(id, stamp),
      get congested() {
        return subscribers.congested;
      },
      whenWritable: (signal) => subscribers.whenWritable(signal),
      onPause: () => this.hooks.onBackpressure?.(),
    };
  }

  async #shutdown(): Promise<void> {
    this.#closed.abort();
    this.#workspaces.freeze();
    await this.#load?.catch(() => undefined);
    this.#subscribers.endAll(GrpcStatus.UNAVAILABLE, 'the simulated ws-manager is shutting down');
    const server = this.#server;
    if (server) await shutdownServer(server);
    this.#logger.info('simulated ws-manager closed');
  }
}

/** Lets calls finish for a grace period, then cuts the connections. */
function shutdownServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
