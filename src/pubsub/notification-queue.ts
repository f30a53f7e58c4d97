/**
 * The notifier's queue: one ordered sequence of instance notifications and other messages, at most
 * one entry per instance and one per message key (a newer one replaces the queued one). Pure data
 * structure, no I/O; its memory follows the number of instances, not the number of changes.
 */
import type { InstanceNotification, OutboxMessage } from '../store/ports.js';

/**
 * An entry of the queue, with the key that identifies it while queued or taken and, when known, the
 * revision of the outbox row that records it (the commit that wrote the row handed it over).
 */
export type QueuedNotification =
  | {
      readonly key: string;
      readonly kind: 'instance';
      readonly notification: InstanceNotification;
      readonly revision?: bigint;
    }
  | {
      readonly key: string;
      readonly kind: 'message';
      readonly message: OutboxMessage;
      readonly revision?: bigint;
    };

/** The queue key of an instance notification. */
export function instanceKey(instanceId: string): string {
  return `i:${instanceId}`;
}

/** The queue key of a message. */
export function messageKey(key: string): string {
  return `m:${key}`;
}

/** An instance notification as a queue entry; `revision`: its outbox row's, when known. */
export function instanceEntry(notification: InstanceNotification, revision?: bigint): QueuedNotification {
  return { key: instanceKey(notification.instanceID), kind: 'instance', notification, revision };
}

/** A message as a queue entry; `revision` as in `instanceEntry`. */
export function messageEntry(message: OutboxMessage, revision?: bigint): QueuedNotification {
  return { key: messageKey(message.key), kind: 'message', message, revision };
}

/** Ordered queue with at most one entry per key. */
export class NotificationQueue {
  // A Map iterates in insertion order: it is the queue, and its keys make coalescing O(1).
  #entries = new Map<string, QueuedNotification>();

  /** Entries queued. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Queues an entry at the back. An entry already queued under its key is dropped, so the instance
   * (or message key) is announced once, after everything queued before its latest change.
   */
  push(entry: QueuedNotification): void {
    this.#entries.delete(entry.key);
    this.#entries.set(entry.key, entry);
  }

  /** Queues an entry unless one of its key is queued already; returns whether it was added. */
  pushIfAbsent(entry: QueuedNotification): boolean {
    if (this.#entries.has(entry.key)) return false;
    this.#entries.set(entry.key, entry);
    return true;
  }

  /** True while an entry of this queue key is queued (not counting taken entries). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Removes and returns up to `max` entries from the front, in order. */
  take(max: number): QueuedNotification[] {
    const taken: QueuedNotification[] = [];
    for (const entry of this.#entries.values()) {
      if (taken.length >= max) break;
      taken.push(entry);
    }
    for (const entry of taken) this.#entries.delete(entry.key);
    return taken;
  }

  /**
   * Puts entries returned by {@link take} back at the front, in their order. A key queued again
   * meanwhile keeps only its newer entry, so memory stays bounded by distinct keys.
   */
  restore(entries: readonly QueuedNotification[]): void {
    const next = new Map<string, QueuedNotification>();
    for (const entry of entries) if (!this.#entries.has(entry.key)) next.set(entry.key, entry);
    for (const [key, entry] of this.#entries) next.set(key, entry);
    this.#entries = next;
  }
}
