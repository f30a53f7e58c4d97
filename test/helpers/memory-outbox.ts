/**
 * An in-memory OutboxStore for notifier tests (the SQL outbox belongs to the store adapters). One
 * row per instance and one per message key, oldest first, each with a revision that every record
 * changes; `failing` makes every call throw, to act out a database outage.
 */
import type { InstanceNotification, OutboxMessage, OutboxStore, Revised } from '../../src/store/ports.js';

export class MemoryOutbox implements OutboxStore {
  readonly #rows = new Map<string, Revised<InstanceNotification>>();
  readonly #messages = new Map<string, Revised<OutboxMessage>>();
  #revision = 0n;
  /** Message keys passed to ackMessages, in call order. */
  readonly ackedMessages: string[] = [];
  readonly #emptyWaiters: (() => void)[] = [];
  /** While true, every call rejects as if the database were down. */
  failing = false;
  /** Ids passed to ackNotifications, in call order. */
  readonly acked: string[] = [];
  /** Calls of notificationRevisions and messageRevisions. */
  revisionReads = 0;

  /** Records notifications as one committed batch would; returns the revision it gave their rows. */
  record(...notifications: InstanceNotification[]): bigint {
    const revision = ++this.#revision;
    for (const n of notifications) {
      this.#rows.delete(n.instanceID);
      this.#rows.set(n.instanceID, { value: n, revision });
    }
    return revision;
  }

  /** Records messages as a committed batch would (coalesced by key, keeping the first position). */
  recordMessages(...messages: OutboxMessage[]): void {
    for (const m of messages) this.#messages.set(m.key, { value: m, revision: ++this.#revision });
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

  /** Calls of pendingNotifications and pendingMessages. */
  pageReads = 0;

  outboxHorizon(): Promise<bigint> {
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    return Promise.resolve(this.#revision + 1n);
  }

  pendingNotifications(limit: number, _replica = '', below?: bigint): Promise<InstanceNotification[]> {
    this.pageReads++;
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    return Promise.resolve(oldest(this.#rows, limit, below));
  }

  notificationRevisions(instanceIds: readonly string[]): Promise<Map<string, Revised<InstanceNotification>>> {
    this.revisionReads++;
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    return Promise.resolve(pick(this.#rows, instanceIds));
  }

  ackNotifications(
    instanceIds: readonly string[],
    _replica = '',
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    for (const id of instanceIds) {
      remove(this.#rows, id, revisions);
      this.acked.push(id);
    }
    this.#resolveIfEmpty();
    return Promise.resolve();
  }

  pendingMessages(limit: number, _replica = '', below?: bigint): Promise<OutboxMessage[]> {
    this.pageReads++;
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    return Promise.resolve(oldest(this.#messages, limit, below));
  }

  messageRevisions(keys: readonly string[]): Promise<Map<string, Revised<OutboxMessage>>> {
    this.revisionReads++;
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    return Promise.resolve(pick(this.#messages, keys));
  }

  ackMessages(
    keys: readonly string[],
    _replica = '',
    revisions?: ReadonlyMap<string, bigint>,
  ): Promise<void> {
    if (this.failing) return Promise.reject(new Error('outbox unavailable'));
    for (const key of keys) {
      remove(this.#messages, key, revisions);
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

/** Up to `limit` rows, oldest first; with `below`, only rows under that revision. */
function oldest<T>(rows: ReadonlyMap<string, Revised<T>>, limit: number, below: bigint | undefined): T[] {
  const found: T[] = [];
  for (const row of rows.values()) {
    if (found.length >= limit) break;
    if (below === undefined || row.revision < below) found.push(row.value);
  }
  return found;
}

function pick<T>(rows: ReadonlyMap<string, Revised<T>>, keys: readonly string[]): Map<string, Revised<T>> {
  const found = new Map<string, Revised<T>>();
  for (const key of keys) {
    const row = rows.get(key);
    if (row) found.set(key, row);
  }
  return found;
}

/** Removes a row as the SQL does: with revisions, only at the revision given. */
function remove<T>(
  rows: Map<string, Revised<T>>,
  key: string,
  revisions: ReadonlyMap<string, bigint> | undefined,
): void {
  if (revisions && rows.get(key)?.revision !== revisions.get(key)) return;
  rows.delete(key);
}
