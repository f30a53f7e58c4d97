/**
 * An in-memory OutboxStore for notifier tests (the SQL outbox belongs to the store adapters). One
 * row per instance, oldest first; `failing` makes every call throw, to act out a database outage.
 */
import type { InstanceNotification, OutboxStore } from '../../src/store/ports.js';

export class MemoryOutbox implements OutboxStore {
  readonly #rows = new Map<string, InstanceNotification>();
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

  get size(): number {
    return this.#rows.size;
  }

  ids(): string[] {
    return [...this.#rows.keys()];
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
    if (this.#rows.size === 0) for (const resolve of this.#emptyWaiters.splice(0)) resolve();
    return Promise.resolve();
  }

  /** Resolves once every row has been acknowledged. */
  whenEmpty(): Promise<void> {
    if (this.#rows.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }
}
