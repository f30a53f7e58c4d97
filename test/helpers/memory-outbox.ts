/**
 * An in-memory OutboxStore for notifier tests (the SQL outbox belongs to the store adapters). One
 * row per instance and one per message key, oldest first; `failing` makes every call throw, to act
 * out a database outage.
 */
import type { InstanceNotification, OutboxMessage, OutboxStore } from '../../src/store/ports.js';

export class MemoryOutbox implements OutboxStore {
  readonly #rows = new Map<string, InstanceNotification>();
  readonly #messages = new Map<string, OutboxMessage>();
  /** Message keys passed to ackMessages, in call order. */
  readonly ackedMessages: string[] = [];
  readonly #emptyWaiters: (() => void)[] = [];
  /** While true, every call rejects as if the database were down. */
  failing = false;
  /** Ids passed to ackNotifications, in call order. */
  readonly acked: string[] = [];

  /** Records a notification as a committed batch would. */
  record(...notifications: InstanceNotification[]): void {
    for (const n of notifications) {
      this.#rows.delete(n.instanceID);
      this.#rows.set(n.instanceID, n);
    }
  }

  /** Records messages as a committed batch would (coalesced by key, keeping the first position). */
  recordMessages(...messages: OutboxMessage[]): void {
    for (const m of messages) this.#messages.set(m.key, m);
  }

  get size(): number {
    return this.#rows.size + this.#messages.size;
  }

  ids(): string[] {
    return [...this.#rows.keys()];
  }

  /** Nothing to claim: one replica writes a memory outbox. */
  claimOrphans(): Promise<{ notifications: InstanceNotification[]; messages: OutboxMessage[] }> {
    return Promise.resolve({ notifications: [], messages: [] });
  }

  pendingNotifications(limit: number): Promise<InstanceNotification[]> {
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    return Promise.resolve([...this.#rows.values()].slice(0, limit));
  }

  ackNotifications(instanceIds: readonly string[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    for (const id of instanceIds) {
      this.#rows.delete(id);
      this.acked.push(id);
    }
    this.#resolveIfEmpty();
    return Promise.resolve();
  }

  pendingMessages(limit: number): Promise<OutboxMessage[]> {
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    return Promise.resolve([...this.#messages.values()].slice(0, limit));
  }

  ackMessages(keys: readonly string[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    for (const key of keys) {
      this.#messages.delete(key);
      this.ackedMessages.push(key);
    }
    this.#resolveIfEmpty();
    return Promise.resolve();
  }

  #resolveIfEmpty(): void {
    if (this.size === 0) for (const resolve of this.#emptyWaiters.splice(0)) resolve();
  }

  /** Resolves once every row has been acknowledged. */
  whenEmpty(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }
}
