/**
 * The notifier's side of the outbox: it reads back what an earlier run committed but did not
 * deliver, and acknowledges entries once they have been delivered. The outbox has two lanes (instance
 * notifications and other messages); one tracker serves one lane and speaks in queue keys.
 */
import type { Logger } from '../observability/logger.js';
import type { OutageLog } from '../observability/outage-log.js';
import type { InstanceNotification, OutboxMessage, OutboxStore } from '../store/ports.js';
import {
  instanceEntry,
  messageEntry,
  type NotificationQueue,
  type QueuedNotification,
} from './notification-queue.js';

/** One table of the outbox, as the tracker sees it. */
export interface OutboxLane {
  /** Name for log lines. */
  readonly name: string;
  /** A revision that rows written before the call are below (`OutboxStore.outboxHorizon`). */
  horizon(): Promise<bigint>;
  /** Up to `limit` undelivered entries, oldest first, of rows below revision `below`. */
  read(limit: number, below: bigint): Promise<QueuedNotification[]>;
  /**
   * The revision of each entry's row (by queue key) where the row still says what the entry says;
   * entries without such a row are absent.
   */
  revisions(entries: readonly QueuedNotification[]): Promise<Map<string, bigint>>;
  /** Removes delivered entries, given by queue key with the revision their delivery covered. */
  ack(acks: ReadonlyMap<string, bigint>): Promise<void>;
}

/** The queue key without its one-letter prefix: the instance id or the message key. */
function storeKey(queueKey: string): string {
  return queueKey.slice(2);
}

/** The same acknowledgements keyed by store key. */
function byStoreKey(acks: ReadonlyMap<string, bigint>): Map<string, bigint> {
  return new Map([...acks].map(([key, revision]) => [storeKey(key), revision]));
}

/** The instance-notification lane (`bridge_outbox`) of one replica's rows. */
export function instanceLane(outbox: OutboxStore, replica: string): OutboxLane {
  return {
    name: 'instances',
    horizon: () => outbox.outboxHorizon(),
    read: async (limit, below) =>
      (await outbox.pendingNotifications(limit, replica, below)).map((n) => instanceEntry(n)),
    revisions: async (entries) => {
      const rows = await outbox.notificationRevisions(
        entries.map((e) => storeKey(e.key)),
        replica,
      );
      const found = new Map<string, bigint>();
      for (const entry of entries) {
        if (entry.kind !== 'instance') continue;
        const row = rows.get(entry.notification.instanceID);
        if (row && sameNotification(row.value, entry.notification)) found.set(entry.key, row.revision);
      }
      return found;
    },
    ack: async (acks) => {
      const revisions = byStoreKey(acks);
      await outbox.ackNotifications([...revisions.keys()], replica, revisions);
    },
  };
}

/** The message lane (`bridge_outbox_messages`: prebuild, headless and lifecycle messages). */
export function messageLane(outbox: OutboxStore, replica: string): OutboxLane {
  return {
    name: 'messages',
    horizon: () => outbox.outboxHorizon(),
    read: async (limit, below) =>
      (await outbox.pendingMessages(limit, replica, below)).map((m) => messageEntry(m)),
    revisions: async (entries) => {
      const rows = await outbox.messageRevisions(
        entries.map((e) => storeKey(e.key)),
        replica,
      );
      const found = new Map<string, bigint>();
      for (const entry of entries) {
        if (entry.kind !== 'message') continue;
        const row = rows.get(entry.message.key);
        if (row && sameMessage(row.value, entry.message)) found.set(entry.key, row.revision);
      }
      return found;
    },
    ack: async (acks) => {
      const revisions = byStoreKey(acks);
      await outbox.ackMessages([...revisions.keys()], replica, revisions);
    },
  };
}

function sameNotification(a: InstanceNotification, b: InstanceNotification): boolean {
  return a.instanceID === b.instanceID && a.ownerID === b.ownerID && a.workspaceID === b.workspaceID;
}

function sameMessage(a: OutboxMessage, b: OutboxMessage): boolean {
  return a.key === b.key && a.channel === b.channel && a.payload === b.payload;
}

/**
 * Reads one lane page by page into the queue and acknowledges delivered keys.
 *
 * An acknowledgement names the revision of the row its delivery covered: the one the commit that
 * wrote the row handed over with the notification, or, for entries that came without one (read back
 * from the outbox or claimed), the one read before the publish (`revisionsOf`). A row rewritten by a
 * commit that lands while the acknowledgement is on its way has another revision and stays, so a
 * crash right then cannot lose the newer notification.
 */
export class OutboxTracker {
  readonly #lane: OutboxLane;
  readonly #pageSize: number;
  readonly #logger: Logger;
  readonly #outage: OutageLog;
  /** Delivered queue keys whose outbox rows are still to be removed, with the revision delivered. */
  readonly #toAck = new Map<string, bigint>();
  /** Keys read from the outbox and not delivered yet; the next page is read once none is left. */
  readonly #recovered = new Set<string>();
  #drained = false;
  /**
   * Left-overs are the rows below this revision, taken before the first page: rows this run commits
   * later are above it. Without the bound, under a steady load the pages would never run dry (there
   * are always rows committed and not yet acknowledged) and rows already delivered would be sent again.
   */
  #horizon: bigint | undefined;
  readonly #ackDelayMs: number;
  readonly #now: () => number;
  /** `now()` when the oldest unacknowledged delivery happened. */
  #owedSince: number | undefined;

  /**
   * `pageSize` bounds both a read and an acknowledgement call. Acknowledgements wait up to
   * `ackDelayMs` (or until a page is full) so that they cost one write per many deliveries, not one
   * each; a crash in between only means those entries are sent again. The lanes of one outbox share
   * `outage`: both live in the same database, so one outage is one pair of log lines. `timing`
   * sets the delay (@default 250 ms) and the clock (@default performance.now).
   */
  constructor(
    lane: OutboxLane,
    pageSize: number,
    logger: Logger,
    outage: OutageLog,
    timing: { ackDelayMs?: number; now?: () => number } = {},
  ) {
    this.#lane = lane;
    this.#pageSize = pageSize;
    this.#ackDelayMs = timing.ackDelayMs ?? 250;
    this.#now = timing.now ?? (() => performance.now());
    this.#logger = logger;
    this.#outage = outage;
  }

  /** True when the next page of left-over entries should be read. */
  get pageDue(): boolean {
    return !this.#drained && this.#recovered.size === 0;
  }

  /** True while delivered keys wait for their acknowledgement. */
  get owesAcks(): boolean {
    return this.#toAck.size > 0;
  }

  /** Milliseconds until owed acknowledgements are due: 0 when due now, Infinity when none is owed. */
  ackDueIn(now: number = this.#now()): number {
    if (this.#toAck.size === 0 || this.#owedSince === undefined) return Infinity;
    if (this.#toAck.size >= this.#pageSize) return 0;
    return Math.max(0, this.#owedSince + this.#ackDelayMs - now);
  }

  /**
   * Reads the next page into the queue, after acknowledging what was delivered (the page would hand
   * those rows out again). Returns false (logged once per outage) if the outbox failed.
   */
  async readPage(queue: NotificationQueue): Promise<boolean> {
    if (!(await this.ack(true))) return false;
    let page: QueuedNotification[];
    try {
      this.#horizon ??= await this.#lane.horizon();
      page = await this.#lane.read(this.#pageSize, this.#horizon);
    } catch (error: unknown) {
      this.#outage.failed(error, { step: 'read', lane: this.#lane.name });
      return false;
    }
    this.#outage.recovered();
    // A queued entry of the same key is at least as new, so it stands for the old one.
    for (const entry of page) if (queue.pushIfAbsent(entry)) this.#recovered.add(entry.key);
    if (page.length < this.#pageSize) this.#drained = true;
    if (page.length > 0) {
      this.#logger.info(
        { count: page.length, lane: this.#lane.name },
        'notifications: resending what an earlier run left',
      );
    }
    return true;
  }

  /**
   * The revisions of the rows these entries (about to be published) stand for; to be read before the
   * publish, so that the delivery covers them. When the outbox cannot be read (logged once per
   * outage), none: the entries are delivered all the same, their rows stay and are sent again on the
   * next start.
   */
  async revisionsOf(entries: readonly QueuedNotification[]): Promise<Map<string, bigint>> {
    if (entries.length === 0) return new Map();
    try {
      const revisions = await this.#lane.revisions(entries);
      this.#outage.recovered();
      return revisions;
    } catch (error: unknown) {
      this.#outage.failed(error, { step: 'revisions', lane: this.#lane.name });
      return new Map();
    }
  }

  /**
   * Takes over entries that are this replica's to deliver from now on (claimed from a replica that is
   * gone): queued unless a newer one of the same key is, and acknowledged once delivered.
   */
  adopt(queue: NotificationQueue, entries: readonly QueuedNotification[]): void {
    for (const entry of entries) if (queue.pushIfAbsent(entry)) this.#recovered.add(entry.key);
    if (entries.length > 0) {
      this.#logger.info(
        { count: entries.length, lane: this.#lane.name },
        'notifications: delivering what a replica that is gone left',
      );
    }
  }

  /**
   * A newer change of this key was committed (and recorded in the outbox under a new revision): an
   * acknowledgement still owed for the older one would remove nothing, so it is dropped.
   */
  superseded(queueKey: string): void {
    this.#toAck.delete(queueKey);
    if (this.#toAck.size === 0) this.#owedSince = undefined;
  }

  /**
   * Notes a delivered key with the revision of its row read before the publish (undefined: no row
   * to remove). `requeued`: a newer entry is queued, so its row must stay.
   */
  delivered(queueKey: string, requeued: boolean, revision: bigint | undefined): void {
    this.#recovered.delete(queueKey);
    if (requeued || revision === undefined) return;
    if (this.#toAck.size === 0) this.#owedSince = this.#now();
    this.#toAck.set(queueKey, revision);
  }

  /**
   * Acknowledges delivered keys, a page per call, for as long as they are due (or all at once with
   * `force`): a round of the notifier delivers several pages, and acknowledging fewer than it
   * delivers would let the owed keys and their rows pile up while the stream is busy. Returns false
   * (logged once per outage) on failure.
   */
  async ack(force = false): Promise<boolean> {
    while (this.#toAck.size > 0 && (force || this.ackDueIn() === 0)) {
      const acks = new Map<string, bigint>();
      for (const [key, revision] of this.#toAck) {
        if (acks.size >= this.#pageSize) break;
        acks.set(key, revision);
      }
      try {
        await this.#lane.ack(acks);
      } catch (error: unknown) {
        this.#outage.failed(error, { step: 'ack', lane: this.#lane.name });
        return false;
      }
      for (const key of acks.keys()) this.#toAck.delete(key);
      this.#owedSince = this.#toAck.size > 0 ? this.#now() : undefined;
      this.#outage.recovered();
    }
    return true;
  }
}
