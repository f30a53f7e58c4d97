/**
 * The instance controller of one cluster (or of the installation's own instances): every interval it
 * reads the cluster's instances that are not stopped, asks ws-manager which workspaces it knows, and
 * stops through the sync engine what `decideInstance` says. While ws-manager cannot be reached no
 * instance is stopped for being unlisted; past the max disconnect time the cluster is reported
 * disconnected, and an explicit policy may then stop its instances.
 */
import type { Span } from '@opentelemetry/api';
import type { PhaseTimeouts } from '../config/config.js';
import { errorMessage } from '../lifecycle/abort.js';
import { Loop } from '../lifecycle/loop.js';
import type { Service, ServiceState } from '../lifecycle/service.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { disabledTracing, type Tracing } from '../observability/tracing.js';
import type { InstanceStore } from '../store/ports.js';
import { allStates, recordPages } from '../store/record-pages.js';
import { NOT_STOPPED_PHASES, type InstanceState } from '../store/types.js';
import type { StopRequest } from '../sync/sync-engine.js';
import { decideInstance } from './instance-decisions.js';

export interface InstanceControllerOptions {
  /** The cluster name the instances carry (the installation's name for its own instances). */
  cluster: string;
  /**
   * Ids of the workspaces the cluster's ws-manager lists (GetWorkspaces). Absent for the
   * installation's instances, which no ws-manager holds: then only the phase timeouts apply.
   */
  listWorkspaces?: (signal: AbortSignal) => Promise<ReadonlySet<string>>;
  store: Pick<InstanceStore, 'listInstanceStates' | 'loadInstances'>;
  /** Marks instances stopped through their mailboxes; resolves with how many were marked. */
  stopInstances: (requests: readonly StopRequest[], signal: AbortSignal) => Promise<number>;
  timeouts: PhaseTimeouts;
  intervalMs: number;
  /** Failing this long, ws-manager is reported disconnected. */
  maxDisconnectMs: number;
  /** Disconnected this long, the cluster's instances are marked stopped. @default never */
  stopAfterDisconnectMs?: number;
  metrics: Metrics;
  logger: Logger;
  /** Wall clock in ms. @default Date.now */
  now?: () => number;
  /** A span per pass. @default off */
  tracing?: Tracing;
}

/** One controller loop; see the module comment. `start()`/`stop()` are idempotent. */
export class InstanceController implements Service {
  readonly #o: InstanceControllerOptions;
  readonly #loop: Loop;
  readonly #now: () => number;
  readonly #logger: Logger;
  /** Wall-clock ms of the first failed GetWorkspaces of the current outage. */
  #downSince: number | undefined;
  #reported = false;

  constructor(options: InstanceControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger.child({ cluster: options.cluster, component: 'instance-controller' });
    const tracing = options.tracing ?? disabledTracing();
    this.#loop = new Loop({
      intervalMs: options.intervalMs,
      immediate: false,
      tick: (signal) =>
        tracing.inSpan('bridge.controller.tick', { 'bridge.cluster': options.cluster }, (span) =>
          this.#tick(signal, span),
        ),
      onError: (error) => {
        options.metrics.controllerTicksTotal.inc({ workspace_cluster: options.cluster, outcome: 'error' });
        this.#logger.warn(
          { error: errorMessage(error) },
          'instance controller run failed; trying again later',
        );
      },
    });
  }

  get state(): ServiceState {
    return this.#loop.state;
  }

  /** The cluster this controller governs. */
  get cluster(): string {
    return this.#o.cluster;
  }

  /** Milliseconds ws-manager has been unreachable once reported disconnected; undefined otherwise. */
  disconnectedForMs(): number | undefined {
    return this.#reported && this.#downSince !== undefined ? this.#now() - this.#downSince : undefined;
  }

  /** Starts the loop; the first run is one interval from now. */
  start(): Promise<void> {
    if (this.#o.listWorkspaces) {
      this.#o.metrics.clusterDisconnected.set({ workspace_cluster: this.#o.cluster }, 0);
    }
    return this.#loop.start();
  }

  /** Runs once now (after a running pass, if any) and resolves when that run is done. */
  runNow(): Promise<void> {
    return this.#loop.runNow();
  }

  /** Stops the loop, waiting for a running pass to end (its pending stops still go through). */
  async stop(): Promise<void> {
    await this.#loop.stop();
    this.#o.metrics.clusterDisconnected.remove({ workspace_cluster: this.#o.cluster });
  }

  async #tick(signal: AbortSignal, span: Span | undefined): Promise<void> {
    // The database first: an instance the manager lists later than this read is never judged unlisted.
    const states = await allStates(this.#o.store, this.#o.cluster, NOT_STOPPED_PHASES, signal);
    const listed = await this.#listed(signal);
    const now = this.#now();
    const decided = new Map<string, { state: InstanceState; reason: string }>();
    for (const state of states) {
      const decision = decideInstance(state, listed?.has(state.id), now, this.#o.timeouts);
      if (decision.stop) decided.set(state.id, { state, reason: decision.reason });
    }
    if (listed === undefined && this.#disconnectPolicyDue(now)) {
      const reason = `ws-manager unreachable for ${Math.round((now - (this.#downSince ?? now)) / 1000)} s`;
      for (const state of states) if (!decided.has(state.id)) decided.set(state.id, { state, reason });
    }
    const outcome = this.#o.listWorkspaces && listed === undefined ? 'unreachable' : 'ok';
    this.#o.metrics.controllerTicksTotal.inc({ workspace_cluster: this.#o.cluster, outcome });
    span?.setAttributes({
      'bridge.instances': states.length,
      'bridge.outcome': outcome,
      'bridge.to_stop': decided.size,
    });
    if (decided.size === 0) return;
    const requests = await this.#requests(decided);
    if (requests.length === 0) return;
    const marked = await this.#o.stopInstances(requests, signal);
    span?.setAttribute('bridge.marked_stopped', marked);
    this.#logger.info({ decided: requests.length, marked }, 'instance controller marked instances stopped');
  }

  /**
   * The stops to request: each decided instance's whole record, read now. One that changed since
   * the decision's read (another version or phase, or gone) is left for the next pass, which decides
   * on what it is then; the engine guards against a status arriving after this read.
   */
  async #requests(
    decided: ReadonlyMap<string, { state: InstanceState; reason: string }>,
  ): Promise<StopRequest[]> {
    const requests: StopRequest[] = [];
    for await (const records of recordPages(this.#o.store, [...decided.keys()])) {
      for (const [id, record] of records) {
        const decision = decided.get(id);
        if (decision === undefined) continue;
        const { state, reason } = decision;
        if (state.statusVersion !== record.row.statusVersion || state.phase !== record.row.phase) continue;
        requests.push({ record, reason, guard: true });
      }
    }
    return requests;
  }

  /** The ids ws-manager lists, or undefined when there is no manager or it did not answer. */
  async #listed(signal: AbortSignal): Promise<ReadonlySet<string> | undefined> {
    const list = this.#o.listWorkspaces;
    if (!list) return undefined;
    try {
      const ids = await list(signal);
      this.#reachable();
      return ids;
    } catch (error: unknown) {
      if (signal.aborted) throw error;
      this.#unreachable(error);
      return undefined;
    }
  }

  #unreachable(error: unknown): void {
    const now = this.#now();
    this.#downSince ??= now;
    const downMs = now - this.#downSince;
    if (this.#reported || downMs < this.#o.maxDisconnectMs) {
      this.#logger.debug({ error: errorMessage(error), downMs }, 'ws-manager did not answer GetWorkspaces');
      return;
    }
    this.#reported = true;
    this.#o.metrics.clusterDisconnected.set({ workspace_cluster: this.#o.cluster }, 1);
    const policy = this.#o.stopAfterDisconnectMs;
    this.#logger.warn(
      {
        error: errorMessage(error),
        downSeconds: Math.round(downMs / 1000),
        stopInstancesAfterSeconds: policy === undefined ? 'never' : Math.round(policy / 1000),
      },
      'ws-manager unreachable: cluster reported disconnected; no instance is stopped for being unlisted',
    );
  }

  #reachable(): void {
    if (this.#reported) {
      const downMs = this.#now() - (this.#downSince ?? this.#now());
      this.#logger.info({ downSeconds: Math.round(downMs / 1000) }, 'ws-manager reachable again');
      this.#o.metrics.clusterDisconnected.set({ workspace_cluster: this.#o.cluster }, 0);
    }
    this.#downSince = undefined;
    this.#reported = false;
  }

  #disconnectPolicyDue(now: number): boolean {
    const policy = this.#o.stopAfterDisconnectMs;
    return policy !== undefined && this.#reported && now - (this.#downSince ?? now) >= policy;
  }
}
