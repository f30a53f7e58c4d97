/** Runs the status reducer on frozen inputs and checks its result against a partial expectation. */
import { expect } from 'vitest';
import type { DeepPartial, WorkspaceStatus } from '../../src/generated/wsman/core.js';
import type { InstanceMetrics, InstanceRecord, InstanceRow } from '../../src/store/types.js';
import type { Reduction, ReductionEvent } from '../../src/sync/reduction.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import { deepFreeze } from './deep-freeze.js';
import { OBSERVED_AT, validStatus } from './statuses.js';

/** Recursive optional subset of `T`, for `toMatchObject` expectations. */
export type Subset<T> = T extends readonly (infer U)[]
  ? Subset<U>[]
  : T extends object
    ? { [K in keyof T]?: Subset<T[K]> }
    : T;

/** What a reduction must look like: a skip exactly, or an apply whose row contains `row`. */
export type ExpectedReduction =
  | Extract<Reduction, { kind: 'skip' }>
  | { kind: 'apply'; row: Subset<InstanceRow>; metrics?: InstanceMetrics; events?: ReductionEvent[] };

/** One table row of a reducer test. */
export interface ReducerCase {
  name: string;
  current: InstanceRecord;
  status: DeepPartial<WorkspaceStatus>;
  expected: ExpectedReduction;
}

/** `reduceStatus` with deep-frozen inputs (so any mutation throws) at `OBSERVED_AT`. */
export function reduceFrozen(current: InstanceRecord, status: DeepPartial<WorkspaceStatus>): Reduction {
  return reduceStatus(deepFreeze(structuredClone(current)), deepFreeze(validStatus(status)), OBSERVED_AT);
}

/** Asserts `actual` against `expected`; events and metrics of an apply must match exactly. */
export function expectReduction(actual: Reduction, expected: ExpectedReduction): void {
  if (expected.kind === 'skip') {
    expect(actual).toStrictEqual(expected);
    return;
  }
  expect(actual.kind).toBe('apply');
  if (actual.kind !== 'apply') return;
  expect(actual.row).toMatchObject(expected.row);
  expect(actual.events).toStrictEqual(expected.events ?? []);
  expect(actual.metrics).toEqual(expected.metrics);
}
