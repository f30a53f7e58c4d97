import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkspaceConditionBool, WorkspacePhase } from '../../src/generated/wsman/core.js';
import type { InstanceRow } from '../../src/store/types.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import type { ReducerCase } from '../helpers/reductions.js';
import { expectReduction, reduceFrozen } from '../helpers/reductions.js';
import { CREATED_AT, OBSERVED_AT, instanceRecord, validStatus } from '../helpers/statuses.js';

const EARLIER = '2024-05-01T09:59:30.000Z';
const T = OBSERVED_AT;
const { UNKNOWN, PENDING, CREATING, INITIALIZING, RUNNING, INTERRUPTED, STOPPING, STOPPED } = WorkspacePhase;

function at(row: Partial<InstanceRow>) {
  return instanceRecord({ row });
}
const stopped = at({
  phase: 'stopped',
  statusVersion: 100n,
  startedTime: EARLIER,
  stoppingTime: EARLIER,
  stoppedTime: EARLIER,
});

/**
 * One row per ws-manager phase: how the original bridge maps it onto the instance row, plus the
 * deliberate changes for `stopped`.
 */
const phaseTable: ReducerCase[] = [
  {
    name: 'UNKNOWN keeps the phase and still updates other fields',
    current: at({ phase: 'creating' }),
    status: { phase: UNKNOWN, message: 'still here' },
    expected: {
      kind: 'apply',
      row: { phase: 'creating', statusVersion: 100n, status: { message: 'still here' } },
    },
  },
  {
    name: 'PENDING',
    current: at({ phase: 'preparing' }),
    status: { phase: PENDING },
    expected: { kind: 'apply', row: { phase: 'pending' } },
  },
  {
    name: 'CREATING',
    current: at({}),
    status: { phase: CREATING },
    expected: { kind: 'apply', row: { phase: 'creating' } },
  },
  {
    name: 'INITIALIZING',
    current: at({ phase: 'creating' }),
    status: { phase: INITIALIZING },
    expected: { kind: 'apply', row: { phase: 'initializing', startedTime: null } },
  },
  {
    name: 'RUNNING, first time: startedTime set, startup observed',
    current: at({ phase: 'initializing' }),
    status: { phase: RUNNING },
    expected: {
      kind: 'apply',
      row: { phase: 'running', startedTime: T, stoppingTime: null, stoppedTime: null, updatedAt: T },
      events: [{ type: 'started', startupSeconds: 60 }],
    },
  },
  {
    name: 'RUNNING while stopping: stop times cleared',
    current: at({ phase: 'stopping', startedTime: EARLIER, stoppingTime: EARLIER }),
    status: { phase: RUNNING },
    expected: {
      kind: 'apply',
      row: { phase: 'running', startedTime: EARLIER, stoppingTime: null, stoppedTime: null },
      events: [{ type: 'resurrected', previousPhase: 'stopping' }],
    },
  },
  {
    name: 'INTERRUPTED',
    current: at({ phase: 'running', startedTime: EARLIER }),
    status: { phase: INTERRUPTED },
    expected: { kind: 'apply', row: { phase: 'interrupted', startedTime: EARLIER } },
  },
  {
    name: 'STOPPING: stoppingTime set',
    current: at({ phase: 'running', startedTime: EARLIER }),
    status: { phase: STOPPING },
    expected: { kind: 'apply', row: { phase: 'stopping', stoppingTime: T, stoppedTime: null } },
  },
  {
    name: 'STOPPING again: stoppingTime kept',
    current: at({ phase: 'stopping', startedTime: EARLIER, stoppingTime: EARLIER }),
    status: { phase: STOPPING, message: 'backing up' },
    expected: { kind: 'apply', row: { phase: 'stopping', stoppingTime: EARLIER } },
  },
  {
    name: 'STOPPING after stopped is ignored (change: no write at all)',
    current: stopped,
    status: { phase: STOPPING, statusVersion: 101n },
    expected: {
      kind: 'skip',
      reason: 'after-stopped',
      statusVersion: 101n,
      events: [{ type: 'ignored-after-stopped', incomingPhase: 'stopping' }],
    },
  },
  {
    name: 'STOPPED after STOPPING: stoppedTime set, stoppingTime kept',
    current: at({ phase: 'stopping', startedTime: EARLIER, stoppingTime: EARLIER }),
    status: { phase: STOPPED },
    expected: { kind: 'apply', row: { phase: 'stopped', stoppingTime: EARLIER, stoppedTime: T } },
  },
  {
    name: 'STOPPED without a STOPPING seen: both stop times set',
    current: at({ phase: 'running', startedTime: EARLIER }),
    status: { phase: STOPPED },
    expected: {
      kind: 'apply',
      row: { phase: 'stopped', startedTime: EARLIER, stoppingTime: T, stoppedTime: T },
    },
  },
  {
    name: 'STOPPED when stopped: other fields update, stop times never move (change)',
    current: stopped,
    status: { phase: STOPPED, statusVersion: 101n, message: 'gone' },
    expected: {
      kind: 'apply',
      row: {
        phase: 'stopped',
        statusVersion: 101n,
        stoppingTime: EARLIER,
        stoppedTime: EARLIER,
        status: { message: 'gone' },
      },
    },
  },
];

/** The deliberate changes around versions and the terminal `stopped` phase. */
const versionAndStoppedTable: ReducerCase[] = [
  {
    name: 'stale: older version skipped',
    current: at({ phase: 'running', statusVersion: 100n }),
    status: { phase: STOPPED, statusVersion: 99n },
    expected: { kind: 'skip', reason: 'stale', statusVersion: 100n, events: [] },
  },
  {
    name: 'stale: equal version skipped',
    current: at({ phase: 'running', statusVersion: 100n }),
    status: { phase: STOPPED, statusVersion: 100n },
    expected: { kind: 'skip', reason: 'stale', statusVersion: 100n, events: [] },
  },
  {
    name: 'stale wins over resurrection',
    current: stopped,
    status: { phase: RUNNING, statusVersion: 100n },
    expected: { kind: 'skip', reason: 'stale', statusVersion: 100n, events: [] },
  },
  {
    name: 'newer version processed and remembered',
    current: at({ phase: 'creating', statusVersion: 100n }),
    status: { phase: INITIALIZING, statusVersion: 101n },
    expected: { kind: 'apply', row: { phase: 'initializing', statusVersion: 101n } },
  },
  {
    name: 'version 0 is always processed; the stored version stays',
    current: at({ phase: 'creating', statusVersion: 100n }),
    status: { phase: INITIALIZING, statusVersion: 0n },
    expected: { kind: 'apply', row: { phase: 'initializing', statusVersion: 100n } },
  },
  {
    name: 'any version is processed while none is stored',
    current: at({ phase: 'creating', statusVersion: 0n }),
    status: { phase: INITIALIZING, statusVersion: 1n },
    expected: { kind: 'apply', row: { phase: 'initializing', statusVersion: 1n } },
  },
  {
    name: 'resurrected: newer RUNNING revives a stopped instance',
    current: stopped,
    status: { phase: RUNNING, statusVersion: 101n },
    expected: {
      kind: 'apply',
      row: {
        phase: 'running',
        statusVersion: 101n,
        startedTime: EARLIER,
        stoppingTime: null,
        stoppedTime: null,
      },
      events: [{ type: 'resurrected', previousPhase: 'stopped' }],
    },
  },
  {
    name: 'resurrected by an unversioned RUNNING',
    current: stopped,
    status: { phase: RUNNING, statusVersion: 0n },
    expected: {
      kind: 'apply',
      row: { phase: 'running', statusVersion: 100n, stoppingTime: null, stoppedTime: null },
      events: [{ type: 'resurrected', previousPhase: 'stopped' }],
    },
  },
  {
    name: 'PENDING after stopped is ignored',
    current: stopped,
    status: { phase: PENDING, statusVersion: 101n },
    expected: {
      kind: 'skip',
      reason: 'after-stopped',
      statusVersion: 101n,
      events: [{ type: 'ignored-after-stopped', incomingPhase: 'pending' }],
    },
  },
  {
    name: 'UNKNOWN after stopped is ignored; an unversioned one remembers the stored version',
    current: stopped,
    status: { phase: UNKNOWN, statusVersion: 0n },
    expected: {
      kind: 'skip',
      reason: 'after-stopped',
      statusVersion: 100n,
      events: [{ type: 'ignored-after-stopped', incomingPhase: 'unknown' }],
    },
  },
  {
    name: 'second RUNNING keeps startedTime, no second startup',
    current: at({ phase: 'running', statusVersion: 100n, startedTime: EARLIER }),
    status: { phase: RUNNING, statusVersion: 101n, message: 'ready' },
    expected: {
      kind: 'apply',
      row: { phase: 'running', startedTime: EARLIER, status: { message: 'ready' } },
    },
  },
  {
    name: 'first RUNNING with deployed: deployedTime and startedTime at the same observation',
    current: at({ phase: 'initializing' }),
    status: { phase: RUNNING, conditions: { deployed: WorkspaceConditionBool.TRUE } },
    expected: {
      kind: 'apply',
      row: { startedTime: T, deployedTime: T, creationTime: CREATED_AT },
      events: [{ type: 'started', startupSeconds: 60 }],
    },
  },
];

describe('reduceStatus: phase table', () => {
  it.each(phaseTable)('$name', ({ current, status, expected }) => {
    expectReduction(reduceFrozen(current, status), expected);
  });
});

describe('reduceStatus: versions and the terminal stopped phase', () => {
  it.each(versionAndStoppedTable)('$name', ({ current, status, expected }) => {
    expectReduction(reduceFrozen(current, status), expected);
  });
});

describe('reduceStatus: purity', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const all = [...phaseTable, ...versionAndStoppedTable];

  it.each(all)('never reads the clock: $name', ({ current, status }) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2001-02-03T04:05:06.000Z'));
    const text = JSON.stringify(reduceFrozen(current, status), (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
    expect(text).not.toContain('2001-02-03');
  });

  // Only a reduction that applies returns a row; the rows of skipped statuses have nothing to check.
  const applied = all.filter((c) => c.expected.kind === 'apply');
  it.each(applied)('returns objects it does not share with its inputs: $name', ({ current, status }) => {
    expect.hasAssertions();
    const input = validStatus(status);
    const reduction = reduceStatus(current, input, OBSERVED_AT);
    expect(reduction.kind).toBe('apply');
    if (reduction.kind !== 'apply') return;
    expect(reduction.row).not.toBe(current.row);
    expect(reduction.row.status).not.toBe(current.row.status);
    expect(reduction.row.status.conditions).not.toBe(current.row.status.conditions);
  });
});
