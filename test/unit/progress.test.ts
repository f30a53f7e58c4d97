import { describe, expect, it } from 'vitest';
import { formatProgress } from '../../src/cli/progress.js';

const base = {
  applied: 42,
  ratePerSecond: 3.25,
  clusters: new Map([['demo', 'streaming']]),
  pendingNotifications: 0,
};

describe('formatProgress', () => {
  it('orders phases and prebuild states by lifecycle, whatever order the counts come in', () => {
    const line = formatProgress({
      ...base,
      phases: new Map([
        ['stopped', 5],
        ['running', 2],
        ['pending', 1],
      ]),
      prebuilds: new Map([
        ['failed', 1],
        ['available', 3],
        ['building', 1],
      ]),
    });
    expect(line).toBe(
      'instances pending=1 running=2 stopped=5 | prebuilds building=1 available=3 failed=1 | ' +
        'updates applied 42 (3.3/s) | notifications pending 0 | clusters demo:streaming',
    );
  });

  it('leaves out prebuilds when there are none, and says when nothing is known yet', () => {
    expect(formatProgress({ ...base, phases: new Map(), prebuilds: new Map(), clusters: new Map() })).toBe(
      'instances (none yet) | updates applied 42 (3.3/s) | notifications pending 0 | clusters (none)',
    );
  });

  it('shows the leases this replica holds when replicas share the database', () => {
    const line = formatProgress({
      ...base,
      phases: new Map(),
      prebuilds: new Map(),
      leases: ['eu-1', 'us-2'],
    });
    expect(line).toMatch(/ \| leases eu-1,us-2$/);
    expect(formatProgress({ ...base, phases: new Map(), prebuilds: new Map(), leases: [] })).toMatch(
      / \| leases \(none\)$/,
    );
  });
});
