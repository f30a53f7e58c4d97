/** Which leases a replica takes, hands back or drops, one table row per situation. */
import { describe, expect, it } from 'vitest';
import { planLeases, type LeasePlan, type LeasePlanInput } from '../../src/clusters/lease-plan.js';

const clusters = (n: number): string[] => Array.from({ length: n }, (_, i) => `c${i + 1}`);

interface Case {
  name: string;
  input: Omit<LeasePlanInput, 'me' | 'held' | 'cooldown' | 'leases'> & {
    held?: string[];
    cooldown?: string[];
    /** name → holder, [holder, wantedBy], or [holder, null, 'expired'] */
    leases?: Record<string, string | [string, string | null] | [string, null, 'expired']>;
  };
  /** How many to acquire (the exact names depend on a per-replica order). */
  acquireCount: number;
  release?: string[];
  forget?: string[];
  /** Names that must not be among the acquired ones. */
  neverAcquire?: string[];
}

const cases: Case[] = [
  {
    name: 'alone, nothing held: takes every cluster',
    input: { desired: clusters(3), live: ['me'] },
    acquireCount: 3,
  },
  {
    name: 'three replicas, six clusters, nothing held: takes its share of two',
    input: { desired: clusters(6), live: ['me', 'r2', 'r3'] },
    acquireCount: 2,
  },
  {
    name: 'leases of a live replica are left alone, those of a dead one are taken',
    input: {
      desired: clusters(4),
      live: ['me', 'r2'],
      leases: { c1: 'r2', c2: 'r2', c3: 'dead', c4: 'dead' },
    },
    acquireCount: 2,
    neverAcquire: ['c1', 'c2'],
  },
  {
    name: 'a lease a live replica handed back (expired) is taken and not counted as its',
    input: { desired: clusters(2), live: ['me', 'r2'], leases: { c1: ['r2', null, 'expired'], c2: 'r2' } },
    acquireCount: 1,
    neverAcquire: ['c2'],
  },
  {
    name: 'own stale rows (a restart with the same id) are taken back',
    input: { desired: clusters(2), live: ['me'], leases: { c1: 'me', c2: 'me' } },
    acquireCount: 2,
  },
  {
    name: 'at its share: nothing to do',
    input: { desired: clusters(4), live: ['me', 'r2'], held: ['c1', 'c2'], leases: { c3: 'r2', c4: 'r2' } },
    acquireCount: 0,
  },
  {
    name: 'a new replica joined: the one holding everything hands one back per round',
    input: { desired: clusters(4), live: ['me', 'r2'], held: clusters(4) },
    acquireCount: 0,
    release: ['c4'],
  },
  {
    name: 'a spread of one never moves a lease',
    input: {
      desired: clusters(5),
      live: ['me', 'r2'],
      held: ['c1', 'c2', 'c3'],
      leases: { c4: 'r2', c5: 'r2' },
    },
    acquireCount: 0,
  },
  {
    name: 'at the share but two above the least: hands one back',
    input: {
      desired: clusters(7),
      live: ['me', 'r2', 'r3'],
      held: ['c1', 'c2', 'c3'],
      leases: { c4: 'r2', c5: 'r2', c6: 'r2', c7: 'r3' },
    },
    acquireCount: 0,
    release: ['c3'],
  },
  {
    name: 'a lease another live replica asked for is handed back; it is not taken by others',
    input: {
      desired: clusters(3),
      live: ['me', 'r2', 'r3'],
      held: ['c1'],
      leases: { c1: ['me', 'r3'], c2: ['r2', 'r3'] },
    },
    acquireCount: 0,
    release: ['c1'],
  },
  {
    name: 'a lease this replica asked for is a candidate even while another holds it',
    input: { desired: clusters(1), live: ['me', 'r2'], leases: { c1: ['r2', 'me'] } },
    acquireCount: 1,
  },
  {
    name: 'a request of a dead replica is ignored',
    input: { desired: clusters(2), live: ['me'], leases: { c1: ['gone', 'dead'] } },
    acquireCount: 2,
  },
  {
    name: 'held leases of clusters that no longer exist are forgotten',
    input: { desired: ['c1'], live: ['me'], held: ['c1', 'old'] },
    acquireCount: 0,
    forget: ['old'],
  },
  {
    name: 'a lease handed back lately is not taken again at once',
    input: { desired: clusters(2), live: ['me', 'r2'], held: ['c1'], cooldown: ['c2'] },
    acquireCount: 0,
  },
  {
    name: 'a lease handed back lately and still not taken by anyone else stays left for others',
    input: {
      desired: clusters(2),
      live: ['me', 'r2'],
      held: ['c1'],
      cooldown: ['c2'],
      leases: { c2: ['me', null, 'expired'] },
    },
    acquireCount: 0,
  },
  {
    name: 'a lease handed back lately is taken again once its new holder released it (that holder left)',
    input: {
      desired: clusters(3),
      live: ['me'],
      held: ['c1'],
      cooldown: ['c2'],
      leases: { c2: ['r2', null, 'expired'] },
    },
    acquireCount: 2,
  },
];

describe('planLeases', () => {
  it.each(cases)('$name', (c) => {
    expect.hasAssertions();
    const leases = Object.entries(c.input.leases ?? {}).map(([name, v]) =>
      typeof v === 'string'
        ? { name, holder: v, wantedBy: null, expired: false }
        : { name, holder: v[0], wantedBy: v[1], expired: v[2] === 'expired' },
    );
    const plan: LeasePlan = planLeases({
      me: 'me',
      desired: c.input.desired,
      live: c.input.live,
      leases,
      held: new Set(c.input.held ?? []),
      cooldown: new Set(c.input.cooldown ?? []),
    });
    expect(plan.acquire).toHaveLength(c.acquireCount);
    expect(new Set(plan.acquire).size).toBe(plan.acquire.length);
    for (const name of plan.acquire) expect(c.input.held ?? []).not.toContain(name);
    for (const name of c.neverAcquire ?? []) expect(plan.acquire).not.toContain(name);
    expect(plan.release).toEqual(c.release ?? []);
    expect(plan.forget).toEqual(c.forget ?? []);
  });

  it('orders free leases differently per replica, so that racing replicas tend to pick apart', () => {
    const input = {
      desired: clusters(20),
      live: ['a', 'b'],
      leases: [],
      held: new Set<string>(),
      cooldown: new Set<string>(),
    };
    const a = planLeases({ ...input, me: 'a' }).acquire;
    const b = planLeases({ ...input, me: 'b' }).acquire;
    expect(a).toHaveLength(10);
    expect(a).not.toEqual(b);
  });
});
