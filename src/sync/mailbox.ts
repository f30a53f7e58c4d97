/**
 * The per-instance mailbox of the sync engine: what the engine knows of an instance, what waits for
 * its row, and how that wait stays bounded.
 */
import type { InstanceWrite } from '../store/ports.js';
import type { InstanceRecord } from '../store/types.js';
import type { ValidStatus } from './reduction.js';

/** A validated status waiting in (or passing through) a mailbox. */
export interface Queued {
  status: ValidStatus;
  observedAt: string;
  receivedAt: number;
}

/** A stop the bridge decides itself, queued in the instance's mailbox like a status. */
export interface StopCommand {
  /** Why, for the log line. */
  stop: string;
  observedAt: string;
  /**
   * The version the decision was made on: when the instance has moved past it by the time the
   * command runs, the decision is stale and the command does nothing. Undefined: stop regardless.
   */
  decidedAtVersion: bigint | undefined;
  /** Told once whether the stop was written (false: not needed, stale, or not written). */
  settle: (marked: boolean) => void;
}

/** What a mailbox holds while the instance's row is being read. */
export type MailboxItem = Queued | StopCommand;

interface EntryBase {
  cluster: string;
  /** Date.now() of the last status or command, for evicting instances that went quiet. */
  touchedAt: number;
}

/** The row is being read; statuses and commands wait, in order. */
export interface LoadingEntry extends EntryBase {
  state: 'loading';
  queue: MailboxItem[];
}

/** The row is known (read, or adopted): statuses and commands apply at once. */
export interface ReadyEntry extends EntryBase {
  state: 'ready';
  record: InstanceRecord;
  /** Set while the rows of an adopted instance are not committed yet. */
  adopt: InstanceWrite['adopt'];
}

/** The database does not know the instance; believed until `absentUntil` (Date.now()). */
export interface AbsentEntry extends EntryBase {
  state: 'absent';
  absentUntil: number;
}

/** The engine's state of one instance. */
export type Entry = LoadingEntry | ReadyEntry | AbsentEntry;

/** An instance without statuses for this long and nothing to write leaves memory. */
export const QUIET_EVICT_MS = 30 * 60_000;

/** Statuses of one instance kept while its row is being read; beyond it, the queue is compacted. */
const MAX_QUEUED_PER_INSTANCE = 64;

/** An entry whose row is being read. */
export function loadingEntry(cluster: string, touchedAt: number): LoadingEntry {
  return { state: 'loading', cluster, touchedAt, queue: [] };
}

/** An entry whose row is known. */
export function readyEntry(
  cluster: string,
  touchedAt: number,
  record: InstanceRecord,
  adopt?: InstanceWrite['adopt'],
): ReadyEntry {
  return { state: 'ready', cluster, touchedAt, record, adopt };
}

/** The first status (not command) in a mailbox. */
export function firstStatus(queue: readonly MailboxItem[]): Queued | undefined {
  return queue.find((item): item is Queued => 'status' in item);
}

/**
 * Queues a status for an instance whose row is being read. If the database is slow for long, the
 * queue is compacted to the first status of each phase plus the newest: that keeps what the
 * reducer needs (phase entry times, final state) in bounded memory. Commands are always kept.
 */
export function enqueue(entry: LoadingEntry, q: Queued): void {
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

/**
 * Deletes entries, the longest held first, until `target` are left or none can go: absent ones,
 * and ready ones `inUse` does not claim. Entries whose rows are being read stay. Returns how many
 * were deleted.
 */
export function forgetOldest(
  entries: Map<string, Entry>,
  target: number,
  inUse: (id: string, entry: ReadyEntry) => boolean,
): number {
  let forgotten = 0;
  for (const [id, entry] of entries) {
    if (entries.size <= target) break;
    if (entry.state === 'loading' || (entry.state === 'ready' && inUse(id, entry))) continue;
    entries.delete(id);
    forgotten++;
  }
  return forgotten;
}
