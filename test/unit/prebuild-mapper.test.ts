import { describe, expect, it } from 'vitest';
import type { DeepPartial, WorkspaceConditions } from '../../src/generated/wsman/core.js';
import { WorkspaceConditionBool, WorkspacePhase, WorkspaceType } from '../../src/generated/wsman/core.js';
import type { PrebuildMapping } from '../../src/sync/prebuild-mapper.js';
import { isPrebuildDone, mapPrebuildStatus } from '../../src/sync/prebuild-mapper.js';
import type { PrebuildState } from '../../src/store/types.js';
import { deepFreeze } from '../helpers/deep-freeze.js';
import { validStatus } from '../helpers/statuses.js';

const snapshot = 'some-valid-snapshot';
const failed = 'some system error';
const headlessTaskFailed = 'some user/content error';

interface Case {
  name: string;
  phase: WorkspacePhase;
  conditions?: DeepPartial<WorkspaceConditions>;
  expected: PrebuildMapping | undefined;
}

const queued: PrebuildMapping = { type: 'started', update: { state: 'queued' } };
const building: PrebuildMapping = { type: 'started', update: { state: 'building' } };
const aborted: PrebuildMapping = { type: 'aborted', update: { state: 'aborted', error: 'Cancelled' } };
const finishedButFailed: PrebuildMapping = {
  type: 'finish-fail',
  update: { state: 'available', snapshot, error: headlessTaskFailed },
};
const finished: PrebuildMapping = {
  type: 'finish-success',
  update: { state: 'available', snapshot, error: '' },
};
const byRequest = { stoppedByRequest: WorkspaceConditionBool.TRUE };
const byEmpty = { stoppedByRequest: WorkspaceConditionBool.EMPTY };

/** Section 7.3, flag disabled: cases 1-6, then rows for the phase step and this project's changes. */
const flagOff: Case[] = [
  {
    name: '7.3 off 1: STOPPED',
    phase: WorkspacePhase.STOPPED,
    conditions: { snapshot },
    expected: undefined,
  },
  {
    name: '7.3 off 2: failed',
    phase: WorkspacePhase.STOPPING,
    conditions: { failed },
    expected: { type: 'failed', update: { state: 'failed', error: failed } },
  },
  { name: '7.3 off 3: stopping and no snapshot yet', phase: WorkspacePhase.STOPPING, expected: undefined },
  { name: '7.3 off 4: aborted', phase: WorkspacePhase.STOPPING, conditions: byRequest, expected: aborted },
  {
    name: '7.3 off 5: user/content error',
    phase: WorkspacePhase.STOPPING,
    conditions: { headlessTaskFailed, snapshot },
    expected: finishedButFailed,
  },
  {
    name: '7.3 off 6: available and no error',
    phase: WorkspacePhase.STOPPING,
    conditions: { snapshot },
    expected: finished,
  },
  { name: 'UNKNOWN is queued', phase: WorkspacePhase.UNKNOWN, expected: queued },
  { name: 'PENDING is queued', phase: WorkspacePhase.PENDING, expected: queued },
  { name: 'CREATING is queued', phase: WorkspacePhase.CREATING, expected: queued },
  { name: 'INITIALIZING is queued', phase: WorkspacePhase.INITIALIZING, expected: queued },
  { name: 'INTERRUPTED stays queued, as the original', phase: WorkspacePhase.INTERRUPTED, expected: queued },
  { name: 'RUNNING is building', phase: WorkspacePhase.RUNNING, expected: building },
  {
    name: 'timeout wins over failed',
    phase: WorkspacePhase.STOPPING,
    conditions: { timeout: 'workspace timed out', failed, snapshot },
    expected: { type: 'aborted-timeout', update: { state: 'timeout', error: 'workspace timed out' } },
  },
  {
    name: 'failed wins over stopped by request',
    phase: WorkspacePhase.STOPPING,
    conditions: { failed, ...byRequest },
    expected: { type: 'failed', update: { state: 'failed', error: failed } },
  },
  {
    name: 'change: stopped_by_request EMPTY is not aborted',
    phase: WorkspacePhase.STOPPING,
    conditions: { ...byEmpty, snapshot },
    expected: finished,
  },
  {
    name: 'change: stopped_by_request EMPTY alone is still intermediate',
    phase: WorkspacePhase.STOPPING,
    conditions: byEmpty,
    expected: undefined,
  },
];

/** Section 7.3, flag enabled: cases 1-7, then rows for the phase step and this project's changes. */
const flagOn: Case[] = [
  {
    name: '7.3 on 1: STOPPED, finished',
    phase: WorkspacePhase.STOPPED,
    conditions: { snapshot },
    expected: finished,
  },
  {
    name: '7.3 on 2: failed while stopping',
    phase: WorkspacePhase.STOPPING,
    conditions: { failed },
    expected: building,
  },
  { name: '7.3 on 3: stopping and no snapshot yet', phase: WorkspacePhase.STOPPING, expected: building },
  { name: '7.3 on 4: aborted', phase: WorkspacePhase.STOPPED, conditions: byRequest, expected: aborted },
  {
    name: '7.3 on 5: user/content error',
    phase: WorkspacePhase.STOPPED,
    conditions: { headlessTaskFailed, snapshot },
    expected: finishedButFailed,
  },
  {
    name: '7.3 on 6: user/content error too early',
    phase: WorkspacePhase.STOPPING,
    conditions: { headlessTaskFailed, snapshot },
    expected: building,
  },
  {
    name: '7.3 on 7: available and no error',
    phase: WorkspacePhase.STOPPED,
    conditions: { snapshot },
    expected: finished,
  },
  { name: 'PENDING is queued', phase: WorkspacePhase.PENDING, expected: queued },
  { name: 'INTERRUPTED stays queued, as the original', phase: WorkspacePhase.INTERRUPTED, expected: queued },
  { name: 'RUNNING is building', phase: WorkspacePhase.RUNNING, expected: building },
  {
    name: 'failed at STOPPED',
    phase: WorkspacePhase.STOPPED,
    conditions: { failed },
    expected: { type: 'failed', update: { state: 'failed', error: failed } },
  },
  { name: 'STOPPED without snapshot is no change', phase: WorkspacePhase.STOPPED, expected: undefined },
  {
    name: 'change: stopped_by_request EMPTY is not aborted',
    phase: WorkspacePhase.STOPPED,
    conditions: { ...byEmpty, snapshot },
    expected: finished,
  },
  {
    name: 'change: stopped_by_request EMPTY alone is no change',
    phase: WorkspacePhase.STOPPED,
    conditions: byEmpty,
    expected: undefined,
  },
];

function prebuildStatus({ phase, conditions = {} }: Case) {
  return deepFreeze(validStatus({ id: '12345', phase, conditions, spec: { type: WorkspaceType.PREBUILD } }));
}

describe('mapPrebuildStatus', () => {
  it.each(flagOff)('stoppedPrebuildStatuses=false: $name', (c) => {
    expect(mapPrebuildStatus(prebuildStatus(c), { stoppedPrebuildStatuses: false })).toStrictEqual(
      c.expected,
    );
  });

  it.each(flagOn)('stoppedPrebuildStatuses=true: $name', (c) => {
    expect(mapPrebuildStatus(prebuildStatus(c), { stoppedPrebuildStatuses: true })).toStrictEqual(c.expected);
  });
});

describe('isPrebuildDone', () => {
  const cases: [PrebuildState, boolean][] = [
    ['queued', false],
    ['building', false],
    ['available', true],
    ['aborted', true],
    ['timeout', true],
    ['failed', true],
  ];
  it.each(cases)('%s → %s', (state, done) => {
    expect(isPrebuildDone(state)).toBe(done);
  });
});
