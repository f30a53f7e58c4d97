/**
 * The notifier's side of the outbox: it reads back what an earlier run committed but did not
 * deliver, and acknowledges instance ids once they have been delivered.
 */
import type { Logger } from '../observability/logger.js';
import type { InstanceNotification, OutboxStore } from '../store/ports.js';
import type { NotificationQueue } from './notification-queue.js';
import { OutageLog } from '../observability/outage-log.js';

/** Reads the outbox page by page into the queue and acknowledges delivered ids. */
export class OutboxTracker {
  readonly #outbox: OutboxStore;
  readonly #pageSize: number;
  readonly #logger: Logger;
  readonly #outage: OutageLog;
  /** Delivered instance ids whose outbox rows are still to be removed. */
  readonly #toAck = new Set<string>();
  /** Ids read from the outbox and not delivered yet; the next page is read once none is left. */
  readonly #recovered = new Set<string>();
  #drained = false;
  readonly #ackDelayMs: number;
  /** performance.now() when the oldest unacknowledged delivery happened. */
  #owedSince: number | undefined;

  /**
   * `pageSize` bounds both a read and an acknowledgement call. Acknowledgements wait up to
   * `ackDelayMs` (or until a page is full) so that they cost one write per many deliveries, not one
   * each; a crash in between only means those notifications are sent again.
   */
  constructor(outbox: OutboxStore, pageSize: number, logger: Logger, ackDelayMs = 250) {
    this.#outbox = outbox;
    this.#pageSize = pageSize;
    this.#ackDelayMs = ackDelayMs;
    this.#logger = logger;
    this.#outage = new OutageLog(logger, 'notifications: outbox');
  }

  /** True when the next page of left-over notifications should be read. */
  get pageDue(): boolean {
    return !this.#drained && this.#recovered.size === 0;
  }

  /** True while delivered ids wait for their acknowledgement. */
  get owesAcks(): boolean {
    return this.#toAck.size > 0;
  }

  /** Milliseconds until owed acknowledgements are due: 0 when due now, Infinity when none is owed. */
  ackDueIn(now: number = performance.now()): number {
    if (this.#toAck.size === 0 || this.#owedSince === undefined) return Infinity;
    if (this.#toAck.size >= this.#pageSize) return 0;
    return Math.max(0, this.#owedSince + this.#ackDelayMs - now);
  }

  /** Reads the next page into the queue. Returns false (logged once per outage) if the outbox failed. */
  async readPage(queue: NotificationQueue): Promise<boolean> {
    let page: InstanceNotification[];
    try {
      page = await this.#outbox.pendingNotifications(this.#pageSize);
    } catch (error: unknown) {
      this.#outage.failed(error, { step: 'read' });
      return false;
    }
    this.#outage.recovered();
    // A queued notification for the same instance is at least as new, so it stands for the old one.
    for (const n of page) if (queue.pushInstanceIfAbsent(n)) this.#recovered.add(n.instanceID);
    if (page.length < this.#pageSize) this.#drained = true;
    if (page.length > 0)
      this.#logger.info({ count: page.length }, 'notifications: resending what an earlier run left');
    return true;
  }

  /**
   * A newer change of this instance was committed (and recorded in the outbox): its row must stay
   * until that change is delivered, so an acknowledgement still owed for the older one is dropped.
   */
  superseded(instanceId: string): void {
    this.#toAck.delete(instanceId);
    if (this.#toAck.size === 0) this.#owedSince = undefined;
  }

  /** Notes a delivered instance. `requeued`: a newer notification is queued, so its row must stay. */
  delivered(instanceId: string, requeued: boolean): void {
    this.#recovered.delete(instanceId);
    if (requeued) return;
    if (this.#toAck.size === 0) this.#owedSince = performance.now();
    this.#toAck.add(instanceId);
  }

  /**
   * Acknowledges up to one page of delivered ids once they are due (or at once with `force`).
   * Returns false (logged once per outage) on failure.
   */
  async ack(force = false): Promise<boolean> {
    if (this.#toAck.size === 0 || (!force && this.ackDueIn() > 0)) return true;
    const ids: string[] = [];
    for (const id of this.#toAck) {
      if (ids.length >= this.#pageSize) break;
      ids.push(id);
    }
    try {
      await this.#outbox.ackNotifications(ids);
    } catch (error: unknown) {
      this.#outage.failed(error, { step: 'ack' });
      return false;
    }
    for (const id of ids) this.#toAck.delete(id);
    this.#owedSince = this.#toAck.size > 0 ? performance.now() : undefined;
    this.#outage.recovered();
    return true;
  }
}
