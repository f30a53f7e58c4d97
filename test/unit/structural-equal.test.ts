/** Structural equality and the allocation-free "would this merge change anything" test. */
import { describe, expect, it } from 'vitest';
import type { InstanceMetrics } from '../../src/store/types.js';
import { mergeMetrics } from '../../src/sync/metrics-merge.js';
import { mergeLeavesUnchanged, structuralEqual } from '../../src/sync/structural-equal.js';

describe('structuralEqual', () => {
  it.each([
    [1, 1, true],
    [1n, 1n, true],
    [1n, 1, false],
    [Number.NaN, Number.NaN, true],
    [null, undefined, false],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: 2 }, { a: 1 }, false],
    [{ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'x' }] } }, true],
    [{ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'y' }] } }, false],
    [[1, 2], [1, 2, 3], false],
    [[undefined], [], false],
    [{}, [], false],
    [{ a: null }, { a: undefined }, false],
  ])('case %#: %o vs %o is %s', (a, b, expected) => {
    expect(structuralEqual(a, b)).toBe(expected);
    expect(structuralEqual(b, a)).toBe(expected);
  });
});

const image = { totalSize: 10, workspaceImageSize: 5 };
const git = { duration: 1.5, size: 100 };
const CURRENTS: InstanceMetrics[] = [
  {},
  { image },
  { image: { totalSize: 10 } },
  { image, initializerMetrics: { git } },
  { image, initializerMetrics: { git, prebuild: { duration: 2, size: 3 } } },
  // Keys a newer writer added stay in the stored JSON.
  { image, extra: { list: [1, 2] } } as InstanceMetrics,
];
const UPDATES: InstanceMetrics[] = [
  {},
  { image: undefined },
  { image: {} },
  { image },
  { image: { totalSize: 10, workspaceImageSize: undefined } },
  { image: { totalSize: 11 } },
  { initializerMetrics: {} },
  { initializerMetrics: { git } },
  { initializerMetrics: { git: undefined, backup: undefined } },
  { initializerMetrics: { git: { duration: 1.5, size: 101 } } },
  { image, initializerMetrics: { git } },
  { extra: { list: [1, 2] } } as InstanceMetrics,
  { extra: { list: [1] } } as InstanceMetrics,
];

describe('mergeLeavesUnchanged', () => {
  it('agrees with comparing the merge against the stored metrics, for every pair', () => {
    for (const current of CURRENTS) {
      for (const update of UPDATES) {
        const unchanged = structuralEqual(mergeMetrics(current, update), current);
        expect({ current, update, unchanged: mergeLeavesUnchanged(current, update) }).toEqual({
          current,
          update,
          unchanged,
        });
      }
    }
  });
});
