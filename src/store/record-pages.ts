/**
 * Whole records of many instances, read a page at a time. Each page is one query of a bounded size,
 * and the event loop gets a turn between pages: with SQLite a read runs on the stream's thread, so
 * one read of 100,000 records would hold every stream for seconds.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { InstanceStore } from './ports.js';
import type { InstanceRecord } from './types.js';

/** Ids per read: a page of records is a few hundred kilobytes and a few milliseconds. */
export const RECORDS_PER_READ = 500;

/**
 * The records of `ids` (unknown ids are absent), one page of up to `RECORDS_PER_READ` ids at a time,
 * in the order of `ids`. Stops with the signal's reason once it fires.
 */
export async function* recordPages(
  store: Pick<InstanceStore, 'loadInstances'>,
  ids: readonly string[],
  signal?: AbortSignal,
): AsyncGenerator<Map<string, InstanceRecord>> {
  for (let i = 0; i < ids.length; i += RECORDS_PER_READ) {
    if (i > 0) await nextTurn();
    signal?.throwIfAborted();
    yield await store.loadInstances(ids.slice(i, i + RECORDS_PER_READ));
  }
}
