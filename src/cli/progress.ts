/**
 * The progress line `npm start` shows: instances per phase, prebuilds per state, updates applied,
 * cluster streams.
 */
import type { Bridge } from '../bridge.js';
import { Loop } from '../lifecycle/loop.js';
import { PREBUILD_STATES } from '../store/types.js';

const ORDER = [
  'pending',
  'creating',
  'initializing',
  'running',
  'stopping',
  'stopped',
  'interrupted',
  'unknown',
];

/** `name=count` for every key with a count, in the given order (unknown keys last). */
function counts(values: ReadonlyMap<string, number>, order: readonly string[]): string {
  const rank = (key: string): number => (order.includes(key) ? order.indexOf(key) : order.length);
  return [...values.entries()]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([key, n]) => `${key}=${n}`)
    .join(' ');
}

/** Formats one progress line from what the bridge reports. Pure. */
export function formatProgress(input: {
  phases: ReadonlyMap<string, number>;
  prebuilds: ReadonlyMap<string, number>;
  applied: number;
  ratePerSecond: number;
  clusters: ReadonlyMap<string, string>;
  pendingNotifications: number;
  /** Leases this replica holds, when replicas share the database. */
  leases?: readonly string[];
}): string {
  const phases = counts(input.phases, ORDER);
  const prebuilds = counts(input.prebuilds, PREBUILD_STATES);
  const clusters = [...input.clusters.entries()].map(([name, state]) => `${name}:${state}`).join(' ');
  return (
    `instances ${phases || '(none yet)'}${prebuilds ? ` | prebuilds ${prebuilds}` : ''}` +
    ` | updates applied ${input.applied} (${input.ratePerSecond.toFixed(1)}/s)` +
    ` | notifications pending ${input.pendingNotifications} | clusters ${clusters || '(none)'}` +
    (input.leases ? ` | leases ${input.leases.join(',') || '(none)'}` : '')
  );
}

/**
 * Prints a progress line every `intervalMs` until the returned function is called. A line is skipped
 * when the database cannot answer (the next tick tries again).
 */
export function startProgress(
  bridge: Bridge,
  write: (line: string) => void,
  intervalMs = 2000,
): () => Promise<void> {
  let last = bridge.engine.applied;
  let lastAt = performance.now();
  const loop = new Loop({
    intervalMs,
    immediate: false,
    tick: async () => {
      const [phases, prebuilds] = await Promise.all([
        bridge.store.countInstancesByPhase(),
        bridge.store.countPrebuildsByState(),
      ]);
      const now = performance.now();
      const applied = bridge.engine.applied;
      const rate = ((applied - last) * 1000) / Math.max(1, now - lastAt);
      last = applied;
      lastAt = now;
      write(
        formatProgress({
          phases,
          prebuilds,
          applied,
          ratePerSecond: rate,
          clusters: bridge.supervisor.states(),
          pendingNotifications: bridge.notifier.pending,
          leases: bridge.ownership.leases?.owned().sort(),
        }),
      );
    },
    onError: () => undefined,
  });
  void loop.start();
  return () => loop.stop();
}
