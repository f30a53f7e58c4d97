/**
 * The per-instance mailbox of the sync engine: what waits for an instance's row, and how that wait
 * stays bounded.
 */
import type { InstanceRecord } from '../store/types.js';
import type { PendingWrite } from './write-batcher.js';
import type { ValidStatus } from './reduction.js';

/** A validated status waiting in (or passing through) a mailbox. */
export interface Queued {
  status: ValidStatus;
  observedAt: string;
  receivedAt: number;
}

/** A stop the bridge decides itself, queued in the instance's mailbox like a status. */
export interface StopCommand {
  stop: string;
  observedAt: string;
}

/** What a mailbox holds while the instance's row is being read. */
export type MailboxItem = Queued | StopCommand;

/** The engine's state of one instance. */
export interface Entry {
  cluster: string;
  state: 'loading' | 'ready' | 'absent';
  record: InstanceRecord | undefined;
  queue: MailboxItem[];
  absentUntil: number;
  adopt: PendingWrite['write']['adopt'];
  /** Date.now() of the last status or command, for evicting instances that went quiet. */
  touchedAt: number;
}

/** An instance without statuses for this long and nothing to write leaves memory. */
export const QUIET_EVICT_MS = 30 * 60_000;

/** Statuses of one instance kept while its row is being read; beyond it, the queue is compacted. */
const MAX_QUEUED_PER_INSTANCE = 64;

/** A fresh entry of an instance seen for the first time. */
export function newEntry(cluster: string, record?: InstanceRecord): Entry {
  return {
    cluster,
    state: record ? 'ready' : 'loading',
    record,
    queue: [],
    absentUntil: 0,
    adopt: undefined,
    touchedAt: 0,
  };
}

/** The first status (not command) in a mailbox. */
export function firstStatus(queue: readonly MailboxItem[]): Queued | undefined {
  return queue.find((item): item is Queued => 'status' in item);
}

/**
 * Queues a status for an instance whose row is being read. If the database is slow for long, the
 * queue is compacted to the first status of each phase plus the newest: that keeps what the
 * reducer needs (phase entry times, final state) in bounded memory.
 */
export function enqueue(entry: Entry, q: Queued): void {
  entry.queue.push(q);
  if (entry.queue.length <= MAX_QUEUED_PER_INSTANCE) return;
  const seen = new Set<number>();
  const last = entry.queue[entry.queue.length - 1];
  entry.queue = entry.queue.filter((item) => {
    if (item === last || 'stop' in item) return true;
    if (seen.has(item.status.phase)) return false;
    seen.add(item.status.phase);
    return true;
  });
}
