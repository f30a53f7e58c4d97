/**
 * Reads of many instances a page at a time: the controller's few columns of a cluster's instances,
 * and whole records by id. Each page is one query of a bounded size, and the event loop gets a turn
 * between pages: with SQLite a read runs on the stream's thread, so one read of 100,000 instances
 * would hold every stream for a long time (half a second for the columns, seconds for the records).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { InstanceStore } from './ports.js';
import type { InstancePhase, InstanceRecord, InstanceState } from './types.js';

/** Instances per read of the controller's columns. */
export const STATES_PER_READ = 2000;

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

/**
 * The controller's columns of a cluster's instances in `phases`: phase by phase in the order given,
 * by id within a phase, up to `STATES_PER_READ` per page. An instance that changes phase while the
 * pages are read may be seen twice or not at all; the controller decides on each as it was read and
 * checks the record again before it stops one.
 */
export async function* statePages(
  store: Pick<InstanceStore, 'listInstanceStates'>,
  clusterName: string,
  phases: readonly InstancePhase[],
  signal?: AbortSignal,
): AsyncGenerator<InstanceState[]> {
  let reads = 0;
  for (const phase of phases) {
    let after: string | undefined;
    for (;;) {
      if (reads++ > 0) await nextTurn();
      signal?.throwIfAborted();
      const page = await store.listInstanceStates({ clusterName, phase, after, limit: STATES_PER_READ });
      if (page.length > 0) yield page;
      const last = page.at(-1);
      if (page.length < STATES_PER_READ || last === undefined) break;
      after = last.id;
    }
  }
}

/** All of `statePages` in one list: the same reads, with the same turns of the event loop between. */
export async function allStates(
  store: Pick<InstanceStore, 'listInstanceStates'>,
  clusterName: string,
  phases: readonly InstancePhase[],
  signal?: AbortSignal,
): Promise<InstanceState[]> {
  const states: InstanceState[] = [];
  for await (const page of statePages(store, clusterName, phases, signal)) {
    for (const state of page) states.push(state);
  }
  return states;
}
