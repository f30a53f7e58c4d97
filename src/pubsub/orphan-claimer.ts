/**
 * Hands outbox rows of replicas that are gone (no live heartbeat, or an earlier run of this process
 * under another id) to this replica, so that what a crashed replica committed is still announced.
 * Runs at start and then every interval; a replica that is alive keeps its rows.
 */
import { Loop } from '../lifecycle/loop.js';
import type { Service, ServiceState } from '../lifecycle/service.js';
import type { Logger } from '../observability/logger.js';
import { OutageLog } from '../observability/outage-log.js';
import type { OutboxStore } from '../store/ports.js';
import type { Notifier } from './notifier.js';

export interface OrphanClaimerOptions {
  outbox: Pick<OutboxStore, 'claimOrphans'>;
  replica: string;
  /** The replicas alive now (this one included). */
  liveReplicas: () => Promise<readonly string[]>;
  notifier: Pick<Notifier, 'adopt'>;
  intervalMs: number;
  /** Rows per table and claim. @default 1000 */
  pageSize?: number;
  logger: Logger;
}

/** See the module comment. */
export class OrphanClaimer implements Service {
  readonly #o: OrphanClaimerOptions;
  readonly #loop: Loop;
  readonly #outage: OutageLog;

  constructor(options: OrphanClaimerOptions) {
    this.#o = options;
    this.#outage = new OutageLog(options.logger, 'notifications: claiming the outbox of gone replicas');
    this.#loop = new Loop({
      intervalMs: options.intervalMs,
      tick: (signal) => this.#claimAll(signal),
      onError: (error) => this.#outage.failed(error),
    });
  }

  get state(): ServiceState {
    return this.#loop.state;
  }

  /** Claims once (awaited), then every interval. */
  start(): Promise<void> {
    return this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #claimAll(signal: AbortSignal): Promise<void> {
    const page = this.#o.pageSize ?? 1000;
    const live = [...new Set([...(await this.#o.liveReplicas()), this.#o.replica])];
    for (;;) {
      if (signal.aborted) return;
      const claimed = await this.#o.outbox.claimOrphans(this.#o.replica, live, page);
      this.#o.notifier.adopt(claimed);
      if (claimed.notifications.length < page && claimed.messages.length < page) break;
    }
    this.#outage.recovered();
  }
}
