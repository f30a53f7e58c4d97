import { describe, expect, it } from 'vitest';
import { forgetOldest, loadingEntry, readyEntry, type Entry } from '../../src/sync/mailbox.js';
import { instanceRecord, instanceRow } from '../contract/store-fixtures.js';

function ready(id: string): Entry {
  return readyEntry('eu-1', 0, instanceRecord(instanceRow(id)));
}

describe('forgetOldest', () => {
  it('deletes the entries held longest until the target is left, keeping rows being read or in use', () => {
    const entries = new Map<string, Entry>([
      ['a', ready('a')],
      ['b', loadingEntry('eu-1', 0)],
      ['c', ready('c')],
      ['d', { state: 'absent', cluster: 'eu-1', touchedAt: 0, absentUntil: 1 }],
      ['e', ready('e')],
      ['f', ready('f')],
    ]);
    const asked: string[] = [];
    const forgotten = forgetOldest(entries, 3, (id) => {
      asked.push(id);
      return id === 'c';
    });
    expect(forgotten).toBe(3);
    expect([...entries.keys()]).toEqual(['b', 'c', 'f']);
    // Only ready entries are asked about, and none after the target was reached.
    expect(asked).toEqual(['a', 'c', 'e']);
  });

  it('stops when nothing more can go, and leaves a map at its target alone', () => {
    const entries = new Map<string, Entry>([
      ['a', loadingEntry('eu-1', 0)],
      ['b', ready('b')],
    ]);
    expect(forgetOldest(entries, 0, () => true)).toBe(0);
    expect(entries.size).toBe(2);
    expect(forgetOldest(entries, 2, () => false)).toBe(0);
    expect(forgetOldest(entries, 1, () => false)).toBe(1);
    expect([...entries.keys()]).toEqual(['a']);
  });
});
