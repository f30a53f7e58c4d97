/**
 * Which clusters this replica streams and controls. With one writer (SQLite) it owns every cluster;
 * with replicas sharing PostgreSQL it owns what it holds a lease for. Owning a cluster means its
 * stream and its instance controller run here, as one unit; the installation's own instances have a
 * lease (named after the installation) and a controller of their own.
 */
import type { Service, ServiceState } from '../lifecycle/service.js';
import { KeyedSerialQueue } from '../lifecycle/keyed-queue.js';
import type { Logger } from '../observability/logger.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import type { ClusterLeases, LeaseHooks } from './cluster-leases.js';
import type { ClusterSpec, ClusterSupervisor } from './cluster-supervisor.js';

export interface ClusterOwnershipOptions {
  supervisor: Pick<ClusterSupervisor, 'sync' | 'detach'>;
  engine: Pick<SyncEngine, 'releaseCluster' | 'whenClusterWritten'>;
  /** The installation name its own instances carry as cluster name. */
  installation: string;
  /** A fresh controller of the installation's own instances (one per time the lease is taken). */
  installationController: () => Service;
  /** The lease manager, or undefined when this process is the only writer. */
  leases: ((hooks: LeaseHooks) => ClusterLeases) | undefined;
  /** How long a hand-back waits for the cluster's queued writes. */
  drainMs: number;
  logger: Logger;
}

/** See the module comment. */
export class ClusterOwnership implements Service, LeaseHooks {
  readonly #o: ClusterOwnershipOptions;
  readonly #leases: ClusterLeases | undefined;
  readonly #serial = new KeyedSerialQueue();
  /** Clusters held for exclusive work (a forced deregistration): their parts must not run. */
  readonly #exclusive = new Set<string>();
  #specs: readonly ClusterSpec[] = [];
  #installation: Service | undefined;
  #state: ServiceState = 'idle';

  constructor(options: ClusterOwnershipOptions) {
    this.#o = options;
    this.#leases = options.leases?.(this);
  }

  get state(): ServiceState {
    return this.#state;
  }

  /** The lease manager, when replicas share the database. */
  get leases(): ClusterLeases | undefined {
    return this.#leases;
  }

  /** True while this replica runs the parts of `name`. */
  owns(name: string): boolean {
    return (this.#leases ? this.#leases.owns(name) : true) && !this.#exclusive.has(name);
  }

  /**
   * The clusters that exist now (static and registered): the parts of the owned ones run, the others
   * are left to the replicas that own them.
   */
  async setClusters(specs: readonly ClusterSpec[]): Promise<void> {
    this.#specs = specs;
    await this.#leases?.setDesired([...specs.map((s) => s.name), this.#o.installation]);
    await this.#apply();
  }

  /** Starts the lease manager (its first round takes the first leases) and the owned parts. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'starting';
    await this.#leases?.start();
    await this.#apply();
    this.#state = 'running';
  }

  /**
   * Stops the parts and hands every lease back. The caller drains the engine in between parts and
   * leases: `stopParts()` first, then `stop()`.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    await this.stopParts();
    await this.#leases?.stop();
    this.#state = 'stopped';
  }

  /** Stops every stream and controller this replica runs; leases stay held until `stop()`. */
  async stopParts(): Promise<void> {
    await this.#serial.run('parts', async () => {
      this.#specs = [];
      await this.#o.supervisor.sync([]);
      await this.#stopInstallation();
    });
  }

  /**
   * Runs `work` under the lease of `name` without the cluster's parts (a forced deregistration):
   * the parts stop first when they run here; otherwise the holder is asked to hand the lease over.
   * The lease is deleted after the work succeeded (the cluster is gone) and handed back otherwise.
   */
  async exclusively<T>(name: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    const ownedBefore = this.owns(name);
    this.#exclusive.add(name);
    try {
      if (ownedBefore || !this.#leases) await this.#o.supervisor.detach(name);
      else await this.#leases.reserve(name, signal);
    } catch (error: unknown) {
      this.#exclusive.delete(name);
      throw error;
    }
    let done = false;
    try {
      const result = await work();
      done = true;
      return result;
    } finally {
      this.#exclusive.delete(name);
      if (this.#leases && done) await this.#leases.forget(name);
      else if (this.#leases && !ownedBefore) await this.#leases.giveBack(name);
      else await this.#apply();
    }
  }

  /** Lease hook: start what the new lease covers. */
  async onAcquired(): Promise<void> {
    await this.#apply();
  }

  /** Lease hook: stop what the lease covers; before a hand-back, let its queued writes commit first. */
  async onReleasing(name: string, lost: boolean): Promise<void> {
    await this.#serial.run('parts', async () => {
      if (name === this.#o.installation && !this.#isCluster(name)) await this.#stopInstallation();
      else await this.#o.supervisor.detach(name);
    });
    if (!lost && !(await this.#o.engine.whenClusterWritten(name, this.#o.drainMs))) {
      this.#o.logger.warn({ cluster: name }, 'handing back a cluster lease with writes still queued');
    }
    this.#o.engine.releaseCluster(name);
  }

  #isCluster(name: string): boolean {
    return this.#specs.some((s) => s.name === name);
  }

  async #apply(): Promise<void> {
    await this.#serial.run('parts', async () => {
      if (this.#state === 'stopping' || this.#state === 'stopped') return;
      await this.#o.supervisor.sync(this.#specs.filter((s) => this.owns(s.name)));
      const installation = this.#o.installation;
      // A cluster named like the installation covers its instances with its own controller.
      if (this.owns(installation) && !this.#isCluster(installation)) await this.#startInstallation();
      else await this.#stopInstallation();
    });
  }

  async #startInstallation(): Promise<void> {
    if (this.#installation) return;
    this.#installation = this.#o.installationController();
    await this.#installation.start();
  }

  async #stopInstallation(): Promise<void> {
    const running = this.#installation;
    this.#installation = undefined;
    await running?.stop();
  }
}
