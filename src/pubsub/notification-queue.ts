/**
 * The notifier's queue: one ordered sequence of instance notifications (coalesced per instance) and
 * prebuild/headless messages (kept one by one). Pure data structure, no I/O.
 */
import type { InstanceNotification } from '../store/ports.js';
import type { Message } from './ports.js';

/** Message kinds that are queued one by one. */
export type MessageKind = 'prebuild' | 'headless';

/** An entry of the queue, with the key that identifies it while queued or taken. */
export type QueuedNotification =
  | { readonly key: string; readonly kind: 'instance'; readonly notification: InstanceNotification }
  | { readonly key: string; readonly kind: MessageKind; readonly message: Message };

/** Ordered queue with at most one entry per instance id. */
export class NotificationQueue {
  // A Map iterates in insertion order: it is the queue, and its keys make coalescing O(1).
  #entries = new Map<string, QueuedNotification>();
  #messages = 0;
  #seq = 0;

  /** Entries queued (instances plus messages). */
  get size(): number {
    return this.#entries.size;
  }

  /** Prebuild and headless messages queued. */
  get messageCount(): number {
    return this.#messages;
  }

  /**
   * Queues an instance at the back. An entry already queued for it is dropped, so the instance is
   * announced once, after everything queued before its latest change.
   */
  pushInstance(notification: InstanceNotification): void {
    const key = instanceKey(notification.instanceID);
    this.#entries.delete(key);
    this.#entries.set(key, { key, kind: 'instance', notification });
  }

  /** Queues an instance unless it is queued already; returns whether it was added. */
  pushInstanceIfAbsent(notification: InstanceNotification): boolean {
    if (this.hasInstance(notification.instanceID)) return false;
    this.pushInstance(notification);
    return true;
  }

  /** Queues a message at the back. */
  pushMessage(message: Message, kind: MessageKind): void {
    const key = `m:${this.#seq++}`;
    this.#entries.set(key, { key, kind, message });
    this.#messages++;
  }

  /** True while a notification for the instance is queued (not counting taken entries). */
  hasInstance(instanceId: string): boolean {
    return this.#entries.has(instanceKey(instanceId));
  }

  /** Removes and returns up to `max` entries from the front, in order. */
  take(max: number): QueuedNotification[] {
    const taken: QueuedNotification[] = [];
    for (const entry of this.#entries.values()) {
      if (taken.length >= max) break;
      taken.push(entry);
    }
    for (const entry of taken) this.#remove(entry.key);
    return taken;
  }

  /**
   * Puts entries returned by {@link take} back at the front, in their order. An instance queued
   * again meanwhile keeps only its newer entry, so memory stays bounded by distinct instances.
   */
  restore(entries: readonly QueuedNotification[]): void {
    const next = new Map<string, QueuedNotification>();
    for (const entry of entries) {
      if (this.#entries.has(entry.key)) continue;
      next.set(entry.key, entry);
      if (entry.kind !== 'instance') this.#messages++;
    }
    for (const [key, entry] of this.#entries) next.set(key, entry);
    this.#entries = next;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    if (entry.kind !== 'instance') this.#messages--;
  }
}

function instanceKey(instanceId: string): string {
  return `i:${instanceId}`;
}
