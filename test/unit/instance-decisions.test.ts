/**
 * The controller's stop rules, one table row per case: a phase timeout stops an instance whether or
 * not ws-manager lists it; an instance ws-manager does not list stops at once when running, after its
 * timeout when pending or stopping, and is kept while ws-manager cannot be reached.
 */
import { describe, expect, it } from 'vitest';
import type { PhaseTimeouts } from '../../src/config/config.js';
import { decideInstance, type StopRule } from '../../src/controllers/instance-decisions.js';
import type { InstancePhase } from '../../src/store/types.js';
import { instanceRow } from '../contract/store-fixtures.js';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const S = 1000;
const TIMEOUTS: PhaseTimeouts = {
  preparingMs: 3600 * S,
  buildingMs: 1800 * S,
  unknownMs: 600 * S,
  pendingMs: 3600 * S,
  stoppingMs: 900 * S,
};

/** ISO time `seconds` before NOW. */
const ago = (seconds: number): string => new Date(NOW - seconds * S).toISOString();

interface Case {
  name: string;
  phase: InstancePhase;
  /** Seconds since creation. */
  age: number;
  /** Seconds since the stopping time; null: none recorded. */
  stoppingAge?: number | null;
  listed: boolean | undefined;
  expected: StopRule | 'keep';
}

const cases: Case[] = [
  // 6.1: ws-manager answered and does not list the instance.
  {
    name: 'running, unlisted: at once',
    phase: 'running',
    age: 1,
    listed: false,
    expected: 'unlisted-running',
  },
  { name: 'running, listed', phase: 'running', age: 99_999, listed: true, expected: 'keep' },
  {
    name: 'running, manager unreachable',
    phase: 'running',
    age: 99_999,
    listed: undefined,
    expected: 'keep',
  },
  {
    name: 'pending, unlisted, past its timeout',
    phase: 'pending',
    age: 3601,
    listed: false,
    expected: 'unlisted-pending-timeout',
  },
  {
    name: 'pending, unlisted, exactly at its timeout (strict)',
    phase: 'pending',
    age: 3600,
    listed: false,
    expected: 'keep',
  },
  { name: 'pending, unlisted, young', phase: 'pending', age: 60, listed: false, expected: 'keep' },
  { name: 'pending, listed, old', phase: 'pending', age: 99_999, listed: true, expected: 'keep' },
  {
    name: 'pending, manager unreachable, old',
    phase: 'pending',
    age: 99_999,
    listed: undefined,
    expected: 'keep',
  },
  {
    name: 'stopping, unlisted, stopping past its timeout',
    phase: 'stopping',
    age: 99_999,
    stoppingAge: 901,
    listed: false,
    expected: 'unlisted-stopping-timeout',
  },
  {
    name: 'stopping, unlisted, young stop of an old instance',
    phase: 'stopping',
    age: 99_999,
    stoppingAge: 60,
    listed: false,
    expected: 'keep',
  },
  {
    name: 'stopping, unlisted, no stopping time',
    phase: 'stopping',
    age: 99_999,
    stoppingAge: null,
    listed: false,
    expected: 'keep',
  },
  {
    name: 'stopping, listed, long stop',
    phase: 'stopping',
    age: 99_999,
    stoppingAge: 99_999,
    listed: true,
    expected: 'keep',
  },
  { name: 'creating, unlisted, old', phase: 'creating', age: 99_999, listed: false, expected: 'keep' },
  {
    name: 'initializing, unlisted, old',
    phase: 'initializing',
    age: 99_999,
    listed: false,
    expected: 'keep',
  },
  { name: 'interrupted, unlisted, old', phase: 'interrupted', age: 99_999, listed: false, expected: 'keep' },
  { name: 'stopped', phase: 'stopped', age: 99_999, listed: false, expected: 'keep' },
  // 6.2: whatever ws-manager says.
  {
    name: 'preparing past its timeout, listed',
    phase: 'preparing',
    age: 3600,
    listed: true,
    expected: 'preparing-timeout',
  },
  {
    name: 'preparing past its timeout, no manager',
    phase: 'preparing',
    age: 4000,
    listed: undefined,
    expected: 'preparing-timeout',
  },
  { name: 'preparing, young', phase: 'preparing', age: 3599, listed: false, expected: 'keep' },
  {
    name: 'building at its timeout (inclusive)',
    phase: 'building',
    age: 1800,
    listed: undefined,
    expected: 'building-timeout',
  },
  { name: 'building, young', phase: 'building', age: 1799, listed: false, expected: 'keep' },
  {
    name: 'unknown past its timeout, listed',
    phase: 'unknown',
    age: 601,
    listed: true,
    expected: 'unknown-timeout',
  },
  { name: 'unknown, young, unlisted', phase: 'unknown', age: 599, listed: false, expected: 'keep' },
];

describe('decideInstance', () => {
  it.each(cases)('$name → $expected', (c) => {
    const stoppingTime = c.stoppingAge === undefined || c.stoppingAge === null ? null : ago(c.stoppingAge);
    const row = instanceRow('inst-1', { phase: c.phase, creationTime: ago(c.age), stoppingTime });
    const decision = decideInstance(row, c.listed, NOW, TIMEOUTS);
    if (c.expected === 'keep') {
      expect(decision).toEqual({ stop: false });
    } else {
      expect(decision).toMatchObject({ stop: true, rule: c.expected });
      expect(decision.stop && decision.reason).toMatch(/\S/);
    }
  });

  it('covers every phase at least once', () => {
    const phases = new Set(cases.map((c) => c.phase));
    expect([...phases].sort()).toEqual(
      [
        'building',
        'creating',
        'initializing',
        'interrupted',
        'pending',
        'preparing',
        'running',
        'stopped',
        'stopping',
        'unknown',
      ].sort(),
    );
  });
});
