import { describe, expect, it } from 'vitest';
import {
  allStates,
  RECORDS_PER_READ,
  recordPages,
  STATES_PER_READ,
  statePages,
} from '../../src/store/record-pages.js';
import type { InstancePhase, InstanceRecord, InstanceState } from '../../src/store/types.js';
import { instanceRecord, instanceRow } from '../contract/store-fixtures.js';

/** A store whose reads are recorded in `log`; ids starting with `gone-` are unknown to it. */
function fakeStore(log: string[]) {
  return {
    loadInstances: (ids: readonly string[]) => {
      log.push(`read ${ids.length} from ${ids[0]}`);
      const known = ids.filter((id) => !id.startsWith('gone-'));
      return Promise.resolve(new Map(known.map((id) => [id, instanceRecord(instanceRow(id))])));
    },
  };
}

async function collect(pages: AsyncIterable<Map<string, InstanceRecord>>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const page of pages) out.push([...page.keys()]);
  return out;
}

describe('recordPages', () => {
  it('reads the ids in order, a bounded page per query, leaving unknown ids out', async () => {
    const log: string[] = [];
    const ids = Array.from({ length: 2 * RECORDS_PER_READ + 3 }, (_, i) => `i-${i}`);
    ids[RECORDS_PER_READ + 1] = 'gone-1';

    const pages = await collect(recordPages(fakeStore(log), ids));

    expect(log).toEqual([
      `read ${RECORDS_PER_READ} from i-0`,
      `read ${RECORDS_PER_READ} from i-${RECORDS_PER_READ}`,
      `read 3 from i-${2 * RECORDS_PER_READ}`,
    ]);
    expect(pages.flat()).toEqual(ids.filter((id) => id !== 'gone-1'));
    expect(pages.map((page) => page.length)).toEqual([RECORDS_PER_READ, RECORDS_PER_READ - 1, 3]);
  });

  it('lets the event loop take a turn between two pages', async () => {
    const log: string[] = [];
    const ids = Array.from({ length: RECORDS_PER_READ + 1 }, (_, i) => `i-${i}`);
    // Queued before the first read: it runs only once the reads give the event loop a turn.
    setImmediate(() => log.push('other work'));

    await collect(recordPages(fakeStore(log), ids));

    expect(log).toEqual([
      `read ${RECORDS_PER_READ} from i-0`,
      'other work',
      `read 1 from i-${RECORDS_PER_READ}`,
    ]);
  });

  it('reads nothing for no ids, and stops at the next page once the signal fires', async () => {
    const log: string[] = [];
    expect(await collect(recordPages(fakeStore(log), []))).toEqual([]);
    expect(log).toEqual([]);

    const abort = new AbortController();
    const ids = Array.from({ length: 3 * RECORDS_PER_READ }, (_, i) => `i-${i}`);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const page of recordPages(fakeStore(log), ids, abort.signal)) {
        seen.push(page.size);
        abort.abort(new Error('deregistration cancelled'));
      }
    })();

    await expect(reading).rejects.toThrow('deregistration cancelled');
    expect(seen).toEqual([RECORDS_PER_READ]);
    expect(log).toEqual([`read ${RECORDS_PER_READ} from i-0`]);
  });
});

describe('statePages', () => {
  /** A store of `rows` whose reads are recorded in `log`. */
  function stateStore(rows: InstanceState[], log: string[]) {
    return {
      listInstanceStates: (filter: {
        clusterName: string;
        phase: InstancePhase;
        after?: string;
        limit: number;
      }) => {
        log.push(`read ${filter.phase} after ${filter.after ?? '-'}`);
        const page = rows
          .filter((r) => r.phase === filter.phase && (filter.after === undefined || r.id > filter.after))
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, filter.limit);
        return Promise.resolve(page);
      },
    };
  }
  const state = (id: string, phase: InstancePhase): InstanceState => ({
    id,
    phase,
    statusVersion: 1n,
    creationTime: '2026-01-01T00:00:00.000Z',
    stoppingTime: null,
  });

  it('reads phase by phase in the order given, by id within a phase, a bounded page per query', async () => {
    const log: string[] = [];
    const running = Array.from({ length: STATES_PER_READ + 5 }, (_, i) =>
      state(`r-${String(i).padStart(6, '0')}`, 'running'),
    );
    const rows = [state('p-2', 'pending'), ...running, state('p-1', 'pending')];
    // Queued before the first read: it runs only once the reads give the event loop a turn.
    setImmediate(() => log.push('other work'));

    const pages: string[][] = [];
    for await (const page of statePages(stateStore(rows, log), 'eu-1', ['running', 'stopping', 'pending'])) {
      pages.push(page.map((s) => s.id));
    }

    const lastOfFirstPage = running[STATES_PER_READ - 1]?.id;
    expect(log).toEqual([
      'read running after -',
      'other work',
      `read running after ${lastOfFirstPage}`,
      'read stopping after -',
      'read pending after -',
    ]);
    expect(pages).toEqual([
      running.slice(0, STATES_PER_READ).map((s) => s.id),
      running.slice(STATES_PER_READ).map((s) => s.id),
      ['p-1', 'p-2'],
    ]);
  });

  it('gives every page in one list with allStates, read the same way', async () => {
    const log: string[] = [];
    const running = Array.from({ length: STATES_PER_READ + 1 }, (_, i) =>
      state(`r-${String(i).padStart(6, '0')}`, 'running'),
    );
    const rows = [state('p-1', 'pending'), ...running];

    const states = await allStates(stateStore(rows, log), 'eu-1', ['running', 'pending']);

    expect(states.map((s) => s.id)).toEqual([...running.map((s) => s.id), 'p-1']);
    expect(log).toEqual([
      'read running after -',
      `read running after ${running[STATES_PER_READ - 1]?.id}`,
      'read pending after -',
    ]);
  });

  it('stops before the next read once the signal fires', async () => {
    const log: string[] = [];
    const abort = new AbortController();
    const reading = (async () => {
      for await (const page of statePages(
        stateStore([state('r-1', 'running')], log),
        'eu-1',
        ['running', 'pending'],
        abort.signal,
      )) {
        expect(page).toHaveLength(1);
        abort.abort(new Error('controller stopping'));
      }
    })();

    await expect(reading).rejects.toThrow('controller stopping');
    expect(log).toEqual(['read running after -']);
  });
});
