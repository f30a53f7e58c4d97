/**
 * Turns committed changes into published messages and never loses them: failed sends stay queued
 * (coalesced per instance) and are retried with backoff; with an outbox, delivered notifications are
 * acknowledged and those a crash left behind are sent again on start.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { errorMessage } from '../lifecycle/abort.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from '../lifecycle/backoff.js';
import type { Logger } from '../observability/logger.js';
import { disabledTracing, type Tracing } from '../observability/tracing.js';
import type { InstanceNotification, OutboxMessage, OutboxStore } from '../store/ports.js';
import { CHANNELS } from './channels.js';
import {
  instanceEntry,
  messageEntry,
  NotificationQueue,
  type QueuedNotification,
} from './notification-queue.js';
import { OutageLog } from '../observability/outage-log.js';
import type { Service } from '../lifecycle/service.js';
import { instanceLane, messageLane, OutboxTracker } from './outbox-tracker.js';
import { instanceUpdateMessage, messageKind, type MessageKind } from './payloads.js';
import type { Message, Publisher } from './ports.js';
import { Wakeup } from '../lifecycle/wakeup.js';

/** Lifecycle states of a {@link Notifier}. */
export const NOTIFIER_STATES = ['idle', 'running', 'stopping', 'stopped'] as const;

/** One of {@link NOTIFIER_STATES}. */
export type NotifierState = (typeof NOTIFIER_STATES)[number];

/** Notification types, as the `type` label of the published-updates metric names them. */
export type NotificationType = 'workspace-instance' | MessageKind;

/** Options of {@link Notifier}. */
export interface NotifierOptions {
  publisher: Publisher;
  logger: Logger;
  /** Given when the publisher is durable: delivered ids are acknowledged; what a crash left is sent on start. */
  outbox?: OutboxStore;
  /** This replica: the outbox rows it reads back and acknowledges are those it wrote. @default '' */
  replica?: string;
  /** Retry delays after a failed publish or outbox call. @default DEFAULT_BACKOFF (250 ms .. 30 s) */
  backoff?: BackoffOptions;
  /** Messages per publish call (and outbox ids per call). @default 1000 */
  maxBatch?: number;
  /**
   * Publish calls one round makes together, one after the other without waiting, while more than one
   * batch is queued: the round trips overlap, so a busy event loop does not limit delivery to one
   * batch per turn. @default 8
   */
  callsPerRound?: number;
  /** Metrics hook: called once per type present in each publish attempt. */
  onPublished?: (type: NotificationType, ok: boolean, count: number) => void;
  /** Channel of instance notifications. @default 'chan:workspace-instances' */
  instanceChannel?: string;
  /** How long `stop()` keeps trying to deliver what is queued. @default 5000 */
  stopGraceMs?: number;
  /**
   * When delivered outbox rows are acknowledged: batched for `ackDelayMs` (@default 250), by the
   * clock `now` (@default performance.now). Tests set the clock to decide exactly when an
   * acknowledgement falls due.
   */
  acknowledgements?: { ackDelayMs?: number; now?: () => number };
  /** A span per publish. @default off */
  tracing?: Tracing;
}

/** The single sender of notifications; see the module comment. */
export class Notifier implements Service<NotifierState> {
  readonly #publisher: Publisher;
  readonly #logger: Logger;
  /** Outbox lanes: instance notifications and other messages; undefined without an outbox. */
  readonly #outbox: { instances: OutboxTracker; messages: OutboxTracker } | undefined;
  readonly #maxBatch: number;
  readonly #callsPerRound: number;
  readonly #onPublished: NotifierOptions['onPublished'];
  readonly #instanceChannel: string;
  readonly #stopGraceMs: number;
  readonly #queue = new NotificationQueue();
  readonly #backoff: Backoff;
  readonly #wakeup = new Wakeup();
  readonly #abort = new AbortController();
  readonly #publishOutage: OutageLog;
  readonly #tracing: Tracing;
  #inflight = 0;
  #idle = false;
  #state: NotifierState = 'idle';
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: NotifierOptions) {
    const maxBatch = options.maxBatch ?? 1000;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error('maxBatch must be a positive integer');
    const callsPerRound = options.callsPerRound ?? 8;
    if (!Number.isInteger(callsPerRound) || callsPerRound < 1) {
      throw new Error('callsPerRound must be a positive integer');
    }
    this.#publisher = options.publisher;
    this.#logger = options.logger;
    const outbox = options.outbox;
    const replica = options.replica ?? '';
    const outage = new OutageLog(options.logger, 'notifications: outbox');
    const acks = options.acknowledgements;
    this.#outbox = outbox && {
      instances: new OutboxTracker(instanceLane(outbox, replica), maxBatch, options.logger, outage, acks),
      messages: new OutboxTracker(messageLane(outbox, replica), maxBatch, options.logger, outage, acks),
    };
    this.#maxBatch = maxBatch;
    this.#callsPerRound = callsPerRound;
    this.#onPublished = options.onPublished;
    this.#instanceChannel = options.instanceChannel ?? CHANNELS.workspaceInstances;
    this.#stopGraceMs = options.stopGraceMs ?? 5_000;
    this.#backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.#publishOutage = new OutageLog(options.logger, 'notifications: publish');
    this.#tracing = options.tracing ?? disabledTracing();
  }

  /** Current lifecycle state. */
  get state(): NotifierState {
    return this.#state;
  }

  /** Notifications queued or being sent, not yet delivered. */
  get pending(): number {
    return this.#queue.size + this.#inflight;
  }

  /** Starts the send loop, which first sends what the outbox holds. Throws once stopping or stopped. */
  start(): Promise<void> {
    if (this.#state === 'running') return Promise.resolve();
    if (this.#state !== 'idle') {
      return Promise.reject(new Error(`notifier cannot start: it is ${this.#state}`));
    }
    this.#state = 'running';
    this.#loop = this.#run();
    return Promise.resolve();
  }

  /**
   * Queues notifications for committed changes. Never throws, never blocks. Coalesces per instance
   * id. `revision`: the one the commit gave their outbox rows (with an outbox), which their delivery
   * acknowledges; without it the notifier reads the rows' revisions before publishing.
   */
  notifyInstances(notifications: readonly InstanceNotification[], revision?: bigint): void {
    for (const n of notifications) this.#enqueue(instanceEntry(n, revision));
    if (notifications.length > 0) this.#kick();
  }

  /**
   * Queues committed prebuild, headless and lifecycle messages in order. Never throws, never blocks.
   * Coalesces per message key: a newer message replaces a queued one of the same key. `revision` as
   * in `notifyInstances`.
   */
  notifyMessages(messages: readonly OutboxMessage[], revision?: bigint): void {
    for (const m of messages) this.#enqueue(messageEntry(m, revision));
    if (messages.length > 0) this.#kick();
  }

  /**
   * Takes over outbox rows claimed from a replica that is gone: they are delivered like left-overs
   * of this replica's own earlier run, and acknowledged once delivered.
   */
  adopt(claimed: {
    notifications: readonly InstanceNotification[];
    messages: readonly OutboxMessage[];
  }): void {
    if (!this.#outbox) return;
    this.#outbox.instances.adopt(
      this.#queue,
      claimed.notifications.map((n) => instanceEntry(n)),
    );
    this.#outbox.messages.adopt(
      this.#queue,
      claimed.messages.map((m) => messageEntry(m)),
    );
    this.#kick();
  }

  #enqueue(entry: QueuedNotification): void {
    this.#trackerOf(entry)?.superseded(entry.key);
    this.#queue.push(entry);
  }

  #trackerOf(entry: QueuedNotification): OutboxTracker | undefined {
    return entry.kind === 'instance' ? this.#outbox?.instances : this.#outbox?.messages;
  }

  #trackers(): OutboxTracker[] {
    return this.#outbox ? [this.#outbox.instances, this.#outbox.messages] : [];
  }

  /** Tries to deliver what is queued within the grace period, then stops. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    const loop = this.#loop;
    this.#state = 'stopping';
    if (loop !== undefined) {
      this.#wakeup.wake();
      const timer = setTimeout(() => this.#abort.abort(), this.#stopGraceMs);
      try {
        await loop;
      } finally {
        clearTimeout(timer);
      }
    }
    this.#abort.abort();
    this.#state = 'stopped';
    if (this.pending > 0) {
      const where = this.#outbox ? 'instances stay in the outbox for the next start' : 'they are lost';
      this.#logger.warn(
        { pending: this.pending },
        `notifier stopped with undelivered notifications; ${where}`,
      );
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    // Left-overs of an earlier run wait for the first connection instead of failing against it.
    await this.#publisher.whenReady(signal).catch(() => undefined);
    while (!signal.aborted && !(this.#state === 'stopping' && !this.#hasWork())) {
      let ok: boolean;
      try {
        ok = await this.#iterate();
      } catch (error: unknown) {
        this.#logger.error({ err: errorMessage(error) }, 'notifier iteration failed unexpectedly');
        ok = false;
      }
      if (signal.aborted) break;
      if (!ok) {
        await this.#wakeup.wait(this.#backoff.next(), signal);
        continue;
      }
      this.#backoff.reset();
      if (this.#hasWork() || this.#state !== 'running') continue;
      this.#idle = true;
      await this.#wakeup.wait(Math.min(...this.#trackers().map((t) => t.ackDueIn())), signal);
      this.#idle = false;
    }
  }

  /** One round: next outbox pages if due, one publish, acks. Every step runs even if one failed. */
  async #iterate(): Promise<boolean> {
    let ok = true;
    for (const tracker of this.#trackers()) {
      if (this.#pageDue(tracker)) ok = (await tracker.readPage(this.#queue)) && ok;
    }
    ok = (await this.#sendBatch()) && ok;
    for (const tracker of this.#trackers()) ok = (await tracker.ack(this.#state !== 'running')) && ok;
    return ok;
  }

  #hasWork(): boolean {
    if (this.#queue.size > 0) return true;
    return this.#trackers().some(
      (t) => this.#pageDue(t) || (t.owesAcks && (this.#state !== 'running' || t.ackDueIn() === 0)),
    );
  }

  /** Left-over entries are read only while running: on stop they stay for the next start. */
  #pageDue(tracker: OutboxTracker): boolean {
    return tracker.pageDue && this.#state === 'running';
  }

  async #sendBatch(): Promise<boolean> {
    if (this.#queue.size === 0) return true;
    if (!this.#tracing.enabled) return this.#publishBatch();
    return this.#tracing.inSpan('bridge.notify', {}, async (span) => {
      const sent = await this.#publishBatch(span);
      if (!sent) span?.setStatus({ code: SpanStatusCode.ERROR, message: 'publish failed; kept for a retry' });
      return sent;
    });
  }

  /**
   * One round: up to `callsPerRound` batches, published by calls made together. The calls before the
   * first failed one are delivered; that one and every later one go back to the queue, in order, so
   * nothing is announced ahead of what was queued before it (a later call that did go through is sent
   * again: at least once).
   */
  async #publishBatch(span?: Span): Promise<boolean> {
    const round = this.#queue.take(this.#maxBatch * this.#callsPerRound);
    span?.setAttribute('bridge.messages', round.length);
    this.#inflight = round.length;
    const revisions = await this.#revisionsOf(round);
    const batches: QueuedNotification[][] = [];
    for (let i = 0; i < round.length; i += this.#maxBatch) batches.push(round.slice(i, i + this.#maxBatch));
    const outcomes = await Promise.allSettled(
      batches.map((batch) => this.#publisher.publish(batch.map((entry) => this.#toMessage(entry)))),
    );
    this.#inflight = 0;
    const failed = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    const delivered = failed === -1 ? round : batches.slice(0, failed).flat();
    outcomes.forEach((outcome, i) => this.#report(batches[i] ?? [], outcome.status === 'fulfilled'));
    this.#delivered(delivered, revisions);
    if (failed === -1) {
      this.#publishOutage.recovered({ pending: this.pending });
      return true;
    }
    this.#queue.restore(batches.slice(failed).flat());
    const error = (outcomes[failed] as PromiseRejectedResult).reason as unknown;
    this.#publishOutage.failed(error, { pending: this.pending });
    return false;
  }

  /**
   * The outbox revisions of a batch's rows, by queue key; empty without an outbox. Entries carry the
   * revision their commit wrote; the others' are read, before the publish, so that each belongs to a
   * commit the publish announces.
   */
  async #revisionsOf(batch: readonly QueuedNotification[]): Promise<Map<string, bigint>> {
    const revisions = new Map<string, bigint>();
    if (!this.#outbox) return revisions;
    const unknown: QueuedNotification[] = [];
    for (const entry of batch) {
      if (entry.revision === undefined) unknown.push(entry);
      else revisions.set(entry.key, entry.revision);
    }
    if (unknown.length === 0) return revisions;
    const { instances, messages } = this.#outbox;
    const read = await Promise.all([
      instances.revisionsOf(unknown.filter((e) => e.kind === 'instance')),
      messages.revisionsOf(unknown.filter((e) => e.kind === 'message')),
    ]);
    for (const found of read) for (const [key, revision] of found) revisions.set(key, revision);
    return revisions;
  }

  #delivered(batch: readonly QueuedNotification[], revisions: ReadonlyMap<string, bigint>): void {
    for (const entry of batch) {
      this.#trackerOf(entry)?.delivered(entry.key, this.#queue.has(entry.key), revisions.get(entry.key));
    }
  }

  #toMessage(entry: QueuedNotification): Message {
    return entry.kind === 'instance'
      ? instanceUpdateMessage(entry.notification, this.#instanceChannel)
      : { channel: entry.message.channel, payload: entry.message.payload };
  }

  #report(batch: readonly QueuedNotification[], ok: boolean): void {
    if (this.#onPublished === undefined) return;
    const counts = new Map<NotificationType, number>();
    for (const entry of batch) {
      const type = entry.kind === 'instance' ? 'workspace-instance' : messageKind(entry.message.key);
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    for (const [type, count] of counts) {
      try {
        this.#onPublished(type, ok, count);
      } catch (error: unknown) {
        this.#logger.warn({ err: errorMessage(error) }, 'notifications: onPublished hook threw');
      }
    }
  }

  #kick(): void {
    if (this.#idle) this.#wakeup.wake();
  }
}
