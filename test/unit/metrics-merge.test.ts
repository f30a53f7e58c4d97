import { describe, expect, it } from 'vitest';
import { mergeMetrics } from '../../src/sync/metrics-merge.js';
import type { InstanceMetrics } from '../../src/store/types.js';
import { deepFreeze } from '../helpers/deep-freeze.js';

interface Case {
  name: string;
  current: InstanceMetrics | null;
  update: InstanceMetrics;
  expected: InstanceMetrics;
}

const git = { duration: 1500, size: 2048 };

const cases: Case[] = [
  {
    name: 'no row yet takes the update',
    current: null,
    update: { image: { totalSize: 10 } },
    expected: { image: { totalSize: 10 } },
  },
  {
    name: 'empty update keeps current',
    current: { image: { totalSize: 10 } },
    update: {},
    expected: { image: { totalSize: 10 } },
  },
  {
    name: 'nested keys merge',
    current: { image: { totalSize: 10 } },
    update: { image: { workspaceImageSize: 4 } },
    expected: { image: { totalSize: 10, workspaceImageSize: 4 } },
  },
  {
    name: 'undefined never overrides',
    current: { image: { totalSize: 10, workspaceImageSize: 4 } },
    update: { image: { totalSize: undefined, workspaceImageSize: 5 } },
    expected: { image: { totalSize: 10, workspaceImageSize: 5 } },
  },
  {
    name: 'an undefined sub-object keeps the stored one',
    current: { initializerMetrics: { git } },
    update: { image: { totalSize: 1 }, initializerMetrics: undefined },
    expected: { image: { totalSize: 1 }, initializerMetrics: { git } },
  },
  {
    name: 'initializer metrics merge per initializer',
    current: { initializerMetrics: { git } },
    update: { initializerMetrics: { git: undefined, backup: { duration: 0.5, size: 0 } } },
    expected: { initializerMetrics: { git, backup: { duration: 0.5, size: 0 } } },
  },
  {
    name: 'scalars replace, zero included',
    current: { initializerMetrics: { git } },
    update: { initializerMetrics: { git: { duration: 3000, size: 0 } } },
    expected: { initializerMetrics: { git: { duration: 3000, size: 0 } } },
  },
];

describe('mergeMetrics', () => {
  it.each(cases)('$name', ({ current, update, expected }) => {
    const merged = mergeMetrics(deepFreeze(current), deepFreeze(update));
    expect(merged).toStrictEqual(expected);
  });

  it('replaces arrays instead of concatenating them (keys unknown to this version kept)', () => {
    const current = deepFreeze({ image: { totalSize: 1 }, layers: [1, 2, 3] } as InstanceMetrics);
    const update = deepFreeze({ layers: [9] } as InstanceMetrics);
    expect(mergeMetrics(current, update)).toStrictEqual({ image: { totalSize: 1 }, layers: [9] });
  });

  it('shares no objects with its inputs', () => {
    const current: InstanceMetrics = { image: { totalSize: 1 } };
    const update: InstanceMetrics = { initializerMetrics: { git: { duration: 1, size: 1 } } };
    const merged = mergeMetrics(current, update);
    expect(merged.image).not.toBe(current.image);
    expect(merged.initializerMetrics).not.toBe(update.initializerMetrics);
    expect(merged.initializerMetrics?.git).not.toBe(update.initializerMetrics?.git);
  });
});
