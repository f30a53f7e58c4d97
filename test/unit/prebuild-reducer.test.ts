/** The prebuild row after a status of its workspace, and after a stop the bridge decided. */
import { describe, expect, it } from 'vitest';
import type { DeepPartial, WorkspaceConditions } from '../../src/generated/wsman/core.js';
import { WorkspaceConditionBool, WorkspacePhase, WorkspaceType } from '../../src/generated/wsman/core.js';
import type { HeadlessEventType } from '../../src/pubsub/payloads.js';
import type { PrebuildRow, PrebuildState } from '../../src/store/types.js';
import { abortPrebuild, reducePrebuild, type PrebuildReduction } from '../../src/sync/prebuild-reducer.js';
import { prebuildRow } from '../contract/store-fixtures.js';
import { deepFreeze } from '../helpers/deep-freeze.js';
import { validStatus } from '../helpers/statuses.js';

const { PENDING, RUNNING, STOPPING, STOPPED, INTERRUPTED } = WorkspacePhase;

interface Case {
  name: string;
  stored: Partial<PrebuildRow>;
  phase: WorkspacePhase;
  version: bigint;
  conditions?: DeepPartial<WorkspaceConditions>;
  stoppedPrebuildStatuses?: boolean;
  expected: PrebuildReduction;
}

const row = (overrides: Partial<PrebuildRow>): PrebuildRow => prebuildRow('pb-1', overrides);
const apply = (
  overrides: Partial<PrebuildRow>,
  headless: HeadlessEventType,
  completed?: PrebuildState,
): PrebuildReduction => ({ kind: 'apply', row: row(overrides), headless, completed });

const cases: Case[] = [
  {
    name: 'first status: queued row stays queued (no change, no write)',
    stored: {},
    phase: PENDING,
    version: 5n,
    expected: { kind: 'skip', reason: 'unchanged' },
  },
  {
    name: 'RUNNING moves it to building, with the status version',
    stored: {},
    phase: RUNNING,
    version: 7n,
    expected: apply({ state: 'building', statusVersion: 7n }, 'started'),
  },
  {
    name: 'INTERRUPTED while building goes back to queued (as the original)',
    stored: { state: 'building', statusVersion: 7n },
    phase: INTERRUPTED,
    version: 8n,
    expected: apply({ state: 'queued', statusVersion: 8n }, 'started'),
  },
  {
    name: 'STOPPING with a snapshot: available, counted as completed',
    stored: { state: 'building', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { snapshot: 'snap-1' },
    expected: apply(
      { state: 'available', snapshot: 'snap-1', error: null, statusVersion: 9n },
      'finish-success',
      'available',
    ),
  },
  {
    name: 'STOPPING with a failed headless task: available with the error and the snapshot',
    stored: { state: 'building', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { snapshot: 'snap-1', headlessTaskFailed: 'npm test failed' },
    expected: apply(
      { state: 'available', snapshot: 'snap-1', error: 'npm test failed', statusVersion: 9n },
      'finish-fail',
      'available',
    ),
  },
  {
    name: 'STOPPING with a failed condition: failed',
    stored: { state: 'building', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { failed: 'image pull failed' },
    expected: apply({ state: 'failed', error: 'image pull failed', statusVersion: 9n }, 'failed', 'failed'),
  },
  {
    name: 'STOPPING with a timeout: timeout',
    stored: { state: 'building', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { timeout: 'headless timed out' },
    expected: apply(
      { state: 'timeout', error: 'headless timed out', statusVersion: 9n },
      'aborted-timeout',
      'timeout',
    ),
  },
  {
    name: 'STOPPING stopped by request (TRUE): aborted',
    stored: { state: 'building', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { stoppedByRequest: WorkspaceConditionBool.TRUE },
    expected: apply({ state: 'aborted', error: 'Cancelled', statusVersion: 9n }, 'aborted', 'aborted'),
  },
  {
    name: 'STOPPING with stopped_by_request EMPTY and no snapshot yet: no change (not aborted)',
    stored: { state: 'building', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { stoppedByRequest: WorkspaceConditionBool.EMPTY },
    expected: { kind: 'skip', reason: 'unchanged' },
  },
  {
    name: 'stale: a status not newer than the prebuild version',
    stored: { state: 'building', statusVersion: 9n },
    phase: STOPPING,
    version: 9n,
    conditions: { snapshot: 'snap-1' },
    expected: { kind: 'skip', reason: 'stale' },
  },
  {
    name: 'a finished prebuild stays finished, even for a newer status',
    stored: { state: 'available', snapshot: 'snap-1', statusVersion: 9n },
    phase: STOPPED,
    version: 10n,
    conditions: { failed: 'late failure' },
    stoppedPrebuildStatuses: true,
    expected: { kind: 'skip', reason: 'done' },
  },
  {
    name: 'an unversioned prebuild takes any version',
    stored: { state: 'queued', statusVersion: 0n },
    phase: RUNNING,
    version: 0n,
    expected: apply({ state: 'building', statusVersion: 0n }, 'started'),
  },
  {
    name: 'flag on: STOPPING keeps building (no change), STOPPED decides',
    stored: { state: 'building', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { snapshot: 'snap-1' },
    stoppedPrebuildStatuses: true,
    expected: { kind: 'skip', reason: 'unchanged' },
  },
  {
    name: 'flag on: STOPPED with a snapshot: available',
    stored: { state: 'building', statusVersion: 9n },
    phase: STOPPED,
    version: 10n,
    conditions: { snapshot: 'snap-1' },
    stoppedPrebuildStatuses: true,
    expected: apply(
      { state: 'available', snapshot: 'snap-1', error: null, statusVersion: 10n },
      'finish-success',
      'available',
    ),
  },
  {
    name: 'an earlier error is cleared by a successful finish',
    stored: { state: 'building', error: 'transient', statusVersion: 7n },
    phase: STOPPING,
    version: 9n,
    conditions: { snapshot: 'snap-1' },
    expected: apply(
      { state: 'available', snapshot: 'snap-1', error: null, statusVersion: 9n },
      'finish-success',
      'available',
    ),
  },
];

describe('reducePrebuild', () => {
  it.each(cases)('$name', (c) => {
    const status = deepFreeze(
      validStatus({
        id: 'inst-1',
        statusVersion: c.version,
        phase: c.phase,
        conditions: c.conditions ?? {},
        spec: { type: WorkspaceType.PREBUILD },
      }),
    );
    const stored = deepFreeze(row(c.stored));
    const options = { stoppedPrebuildStatuses: c.stoppedPrebuildStatuses ?? false };
    expect(reducePrebuild(stored, status, options)).toStrictEqual(c.expected);
  });
});

describe('abortPrebuild', () => {
  it.each<[PrebuildState, PrebuildState | undefined]>([
    ['queued', 'aborted'],
    ['building', 'aborted'],
    ['available', undefined],
    ['failed', undefined],
    ['timeout', undefined],
    ['aborted', undefined],
  ])('%s → %s, keeping version, snapshot and error', (state, expected) => {
    const stored = deepFreeze(row({ state, statusVersion: 4n, error: 'e', snapshot: 's' }));
    const result = abortPrebuild(stored);
    if (expected === undefined) expect(result).toBeUndefined();
    else expect(result).toEqual({ ...stored, state: expected });
  });
});
