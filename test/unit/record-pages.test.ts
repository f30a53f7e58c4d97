import { describe, expect, it } from 'vitest';
import { RECORDS_PER_READ, recordPages } from '../../src/store/record-pages.js';
import type { InstanceRecord } from '../../src/store/types.js';
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
