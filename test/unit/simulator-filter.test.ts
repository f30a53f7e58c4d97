/** The must_match rule of the simulated ws-manager's GetWorkspaces and Subscribe. */
import { describe, expect, it } from 'vitest';
import type { DeepPartial } from '../../src/generated/wsman/core.js';
import { MetadataFilter, WorkspaceMetadata } from '../../src/generated/wsman/core.js';
import { isEmptyFilter, matchesFilter } from '../../src/wsman/simulator/metadata-filter.js';

const metadata = WorkspaceMetadata.fromPartial({
  owner: 'user-a',
  metaId: 'ws-1',
  annotations: { team: 'red', 'gitpod/contextUrl': 'https://x.test', empty: '' },
});

interface FilterCase {
  name: string;
  /** undefined: no filter at all. */
  filter: DeepPartial<MetadataFilter> | undefined;
  matches: boolean;
  /** Whether the filter is empty (lets everything through). */
  empty: boolean;
}

const cases: FilterCase[] = [
  { name: 'no filter', filter: undefined, matches: true, empty: true },
  { name: 'an empty filter', filter: {}, matches: true, empty: true },
  { name: 'the same owner', filter: { owner: 'user-a' }, matches: true, empty: false },
  { name: 'another owner', filter: { owner: 'user-b' }, matches: false, empty: false },
  { name: 'an owner differing in case', filter: { owner: 'User-A' }, matches: false, empty: false },
  { name: 'the same meta_id', filter: { metaId: 'ws-1' }, matches: true, empty: false },
  { name: 'another meta_id', filter: { metaId: 'ws-2' }, matches: false, empty: false },
  { name: 'one annotation present', filter: { annotations: { team: 'red' } }, matches: true, empty: false },
  {
    name: 'two annotations present',
    filter: { annotations: { team: 'red', 'gitpod/contextUrl': 'https://x.test' } },
    matches: true,
    empty: false,
  },
  {
    name: 'an annotation with another value',
    filter: { annotations: { team: 'blue' } },
    matches: false,
    empty: false,
  },
  {
    name: 'one annotation present, one with another value',
    filter: { annotations: { team: 'red', 'gitpod/contextUrl': 'https://y.test' } },
    matches: false,
    empty: false,
  },
  { name: 'an absent annotation', filter: { annotations: { colour: 'red' } }, matches: false, empty: false },
  {
    name: 'an absent annotation asked to be empty',
    filter: { annotations: { colour: '' } },
    matches: false,
    empty: false,
  },
  {
    name: 'an empty annotation present',
    filter: { annotations: { empty: '' } },
    matches: true,
    empty: false,
  },
  {
    name: 'an annotation named like an Object member',
    filter: { annotations: { toString: 'x' } },
    matches: false,
    empty: false,
  },
  {
    name: 'owner, meta_id and annotation all equal',
    filter: { owner: 'user-a', metaId: 'ws-1', annotations: { team: 'red' } },
    matches: true,
    empty: false,
  },
  {
    name: 'owner and annotation equal, meta_id not',
    filter: { owner: 'user-a', metaId: 'ws-2', annotations: { team: 'red' } },
    matches: false,
    empty: false,
  },
  {
    name: 'owner and meta_id equal, annotation not',
    filter: { owner: 'user-a', metaId: 'ws-1', annotations: { team: 'blue' } },
    matches: false,
    empty: false,
  },
];

const filterOf = (c: FilterCase): MetadataFilter | undefined =>
  c.filter && MetadataFilter.fromPartial(c.filter);

describe('matchesFilter', () => {
  it.each(cases)('$name: matches $matches', (c) => {
    expect(matchesFilter(filterOf(c), metadata)).toBe(c.matches);
  });

  it.each(cases)('$name, status without metadata: matches only when empty ($empty)', (c) => {
    expect(matchesFilter(filterOf(c), undefined)).toBe(c.empty);
  });

  it.each([
    ['an empty owner', { owner: '', metaId: 'ws-1', annotations: {} }, { owner: 'user-a' }, false],
    ['an empty meta_id', { owner: 'user-a', metaId: '' }, { metaId: 'ws-1' }, false],
    ['no annotations', { owner: 'user-a', metaId: 'ws-1' }, { annotations: { team: 'red' } }, false],
    ['no annotations, empty filter', { owner: 'user-a', metaId: 'ws-1' }, {}, true],
  ] as const)('metadata with %s', (_name, partial, filter, matches) => {
    const sparse = WorkspaceMetadata.fromPartial(partial);
    expect(matchesFilter(MetadataFilter.fromPartial(filter), sparse)).toBe(matches);
  });
});

describe('isEmptyFilter', () => {
  it.each(cases)('$name: $empty', (c) => {
    expect(isEmptyFilter(filterOf(c))).toBe(c.empty);
  });
});
