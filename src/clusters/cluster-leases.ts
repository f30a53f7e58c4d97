/**
 * This replica's cluster leases in a database several replicas share (PostgreSQL). Every third of the
 * lease duration it renews what it holds, announces itself, and takes or hands back leases as
 * `planLeases` says. A lease it cannot renew in time is given up by its own clock before it can
 * expire in the database, so two replicas never both believe they own a cluster; a write that is
 * late anyway is fenced by the epoch in the database.
 */
import { errorMessage } from '../lifecycle/abort.js';
import { KeyedSerialQueue } from '../lifecycle/keyed-queue.js';
import { Loop } from '../lifecycle/loop.js';
import type { Service, ServiceState } from '../lifecycle/service.js';
import { pause } from '../lifecycle/sleep.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { OutageLog } from '../observability/outage-log.js';
import type { LeaseStore } from '../store/ports.js';
import { planLeases } from './lease-plan.js';
import type { LeaseTokens } from './lease-tokens.js';

/** What the lease manager tells the rest of the replica. */
export interface LeaseHooks {
  /** A lease was taken: start the parts it covers. */
  onAcquired(name: string): Promise<void>;
  /**
   * The parts a lease covers must stop: before a hand-back (`lost` false: drain first) or because the
   * lease was lost (`lost` true: it may already be someone else's, nothing more may be written).
   */
  onReleasing(name: string, lost: boolean): Promise<void>;
}

export interface ClusterLeasesOptions {
  store: LeaseStore;
  replica: string;
  /** Where the epochs of held leases are published for the write path. */
  tokens: LeaseTokens;
  /** Lease duration; renewals run every third of it. */
  ttlMs: number;
  hooks: LeaseHooks;
  metrics: Metrics;
  logger: Logger;
}

interface Held {
  epoch: bigint;
  /** performance.now() after which the lease is given up unless renewed. */
  deadline: number;
  /** Taken for a forced deregistration: no parts run under it. */
  reserved: boolean;
}

/** See the module comment. */
export class ClusterLeases implements Service {
  readonly #o: ClusterLeasesOptions;
  readonly #loop: Loop;
  readonly #serial = new KeyedSerialQueue();
  readonly #held = new Map<string, Held>();
  readonly #cooldown = new Map<string, number>();
  readonly #outage: OutageLog;
  readonly #stop = new AbortController();
  #desired: string[] = [];
  #deadlineTimer: NodeJS.Timeout | undefined;
  #state: ServiceState = 'idle';

  constructor(options: ClusterLeasesOptions) {
    this.#o = options;
    this.#outage = new OutageLog(options.logger, 'cluster leases', 'error');
    this.#loop = new Loop({
      intervalMs: Math.max(1, Math.floor(options.ttlMs / 3)),
      tick: () => this.#serial.run('leases', () => this.#round()),
      onError: (error) => this.#outage.failed(error),
    });
  }

  get state(): ServiceState {
    return this.#state;
  }

  /** True while this replica holds the lease to run the parts of `name`. */
  owns(name: string): boolean {
    const held = this.#held.get(name);
    return held !== undefined && !held.reserved;
  }

  /** Names this replica runs parts for. */
  owned(): string[] {
    return [...this.#held].filter(([, h]) => !h.reserved).map(([name]) => name);
  }

  /**
   * Sets the names that should be leased (clusters and the installation). While running, a round
   * runs at once and this resolves after it, so a cluster registered here streams right away when
   * this replica takes its lease.
   */
  async setDesired(names: readonly string[]): Promise<void> {
    this.#desired = [...new Set(names)];
    if (this.#state === 'running') await this.#loop.runNow();
  }

  /** Announces the replica and runs the first round (the first leases are taken before it resolves). */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'starting';
    await this.#loop.start();
    this.#state = 'running';
  }

  /**
   * Hands back every lease at once (`expires_at = now`) so that other replicas take over without
   * waiting for expiry, and leaves. The caller stopped the parts and drained their writes first.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    this.#stop.abort();
    await this.#loop.stop();
    clearTimeout(this.#deadlineTimer);
    await this.#serial.run('leases', async () => {
      const names = [...this.#held.keys()];
      for (const name of names) this.#drop(name);
      try {
        await this.#o.store.release(this.#o.replica, names);
        await this.#o.store.leave(this.#o.replica);
        if (names.length > 0) this.#o.logger.info({ leases: names }, 'released cluster leases');
      } catch (error: unknown) {
        this.#o.logger.warn(
          { leases: names, error: errorMessage(error) },
          'could not release cluster leases; they expire by themselves',
        );
      }
    });
    this.#state = 'stopped';
  }

  /**
   * Takes the lease of `name` for work that must run under it without its parts (a forced
   * deregistration received by a replica that does not stream the cluster): asks the holder to hand
   * it over and waits until this replica has it. Rejects with an AbortError when `signal` fires.
   */
  async reserve(name: string, signal: AbortSignal): Promise<void> {
    await this.#o.store.want(name, this.#o.replica);
    while (!this.#held.has(name)) {
      signal.throwIfAborted();
      await this.#serial.run('leases', async () => {
        if (this.#held.has(name)) return;
        const started = performance.now();
        const epoch = await this.#o.store.acquire(name, this.#o.replica, this.#o.ttlMs);
        if (epoch !== undefined) this.#take(name, epoch, started, true);
      });
      if (!this.#held.has(name)) await pause(Math.max(20, this.#o.ttlMs / 6), signal);
    }
  }

  /** Hands a reserved lease back without touching parts (its work did not finish). */
  async giveBack(name: string): Promise<void> {
    await this.#serial.run('leases', async () => {
      this.#drop(name);
      await this.#o.store.release(this.#o.replica, [name]);
    });
  }

  /** Gives up a lease for good and deletes its row (the cluster is gone). */
  async forget(name: string): Promise<void> {
    await this.#serial.run('leases', async () => {
      this.#drop(name);
      await this.#o.store.forget(name, this.#o.replica);
    });
  }

  async #round(): Promise<void> {
    const started = performance.now();
    await this.#o.store.heartbeat(this.#o.replica, this.#o.ttlMs);
    await this.#renew(started);
    const [live, leases] = await Promise.all([this.#o.store.liveReplicas(), this.#o.store.listLeases()]);
    const now = performance.now();
    for (const [name, until] of this.#cooldown) if (until <= now) this.#cooldown.delete(name);
    const plan = planLeases({
      me: this.#o.replica,
      desired: this.#desired,
      live,
      leases,
      held: new Set(this.#held.keys()),
      cooldown: new Set(this.#cooldown.keys()),
    });
    for (const name of plan.forget) await this.#handBack(name, 'no longer configured');
    for (const name of plan.release) await this.#handBack(name, 'rebalancing or handover');
    const holders = new Map(leases.map((l) => [l.name, l.holder]));
    for (const name of plan.acquire) {
      if (this.#stop.signal.aborted) break;
      const takenAt = performance.now();
      const epoch = await this.#o.store.acquire(name, this.#o.replica, this.#o.ttlMs);
      if (epoch === undefined) continue;
      const previous = holders.get(name);
      this.#take(name, epoch, takenAt, false);
      this.#o.logger.info({ cluster: name, epoch: String(epoch), previous }, 'took cluster lease');
      if (previous !== undefined && previous !== this.#o.replica) {
        this.#o.metrics.clusterLeaseTakeoversTotal.inc({ workspace_cluster: name });
      }
      await this.#o.hooks.onAcquired(name);
    }
    this.#outage.recovered();
    this.#armDeadline();
  }

  async #renew(started: number): Promise<void> {
    if (this.#held.size === 0) return;
    const leases = [...this.#held].map(([name, h]) => ({ name, epoch: h.epoch }));
    const { renewed, wanted } = await this.#o.store.renew(this.#o.replica, leases, this.#o.ttlMs);
    const ok = new Set(renewed);
    for (const [name, held] of [...this.#held]) {
      if (ok.has(name)) held.deadline = this.#deadlineFrom(started);
      else await this.#lose(name, 'the lease was taken or expired');
    }
    for (const name of wanted)
      if (!this.#held.get(name)?.reserved) await this.#handBack(name, 'handover requested');
  }

  #take(name: string, epoch: bigint, takenAt: number, reserved: boolean): void {
    this.#held.set(name, { epoch, deadline: this.#deadlineFrom(takenAt), reserved });
    this.#o.tokens.set(name, epoch);
    this.#o.metrics.clusterLeaseHeld.set({ workspace_cluster: name }, 1);
  }

  /** Renewed at `at` (before the request was sent): trusted until a fifth of the duration before expiry. */
  #deadlineFrom(at: number): number {
    return at + this.#o.ttlMs - this.#o.ttlMs / 5;
  }

  async #handBack(name: string, reason: string): Promise<void> {
    if (!this.#held.has(name)) return;
    await this.#o.hooks.onReleasing(name, false);
    this.#drop(name);
    this.#cooldown.set(name, performance.now() + 2 * this.#o.ttlMs);
    await this.#o.store.release(this.#o.replica, [name]);
    this.#o.logger.info({ cluster: name, reason }, 'handed back cluster lease');
  }

  async #lose(name: string, reason: string): Promise<void> {
    if (!this.#held.has(name)) return;
    this.#drop(name);
    this.#o.logger.warn({ cluster: name, reason }, 'lost cluster lease; stopping its stream and controller');
    await this.#o.hooks.onReleasing(name, true);
  }

  #drop(name: string): void {
    this.#held.delete(name);
    this.#o.tokens.delete(name);
    this.#o.metrics.clusterLeaseHeld.remove({ workspace_cluster: name });
  }

  /** Wakes at the earliest deadline, so a lease that could not be renewed is given up in time. */
  #armDeadline(): void {
    clearTimeout(this.#deadlineTimer);
    const earliest = Math.min(...[...this.#held.values()].map((h) => h.deadline));
    if (!Number.isFinite(earliest) || this.#stop.signal.aborted) return;
    this.#deadlineTimer = setTimeout(
      () =>
        void this.#serial.run('leases', () => this.#expire()).catch((e: unknown) => this.#outage.failed(e)),
      Math.max(0, earliest - performance.now()),
    );
    this.#deadlineTimer.unref();
  }

  async #expire(): Promise<void> {
    const now = performance.now();
    for (const [name, held] of [...this.#held]) {
      if (held.deadline <= now) await this.#lose(name, 'not renewed in time');
    }
    this.#armDeadline();
  }
}
