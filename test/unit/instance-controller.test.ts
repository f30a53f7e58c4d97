/**
 * The instance controller's loop around `decideInstance`: what it asks ws-manager, what it stops, and
 * how it reports a manager it cannot reach. ws-manager and the engine are doubles here (unit scope);
 * the whole path over real gRPC and real databases is in test/integration/controllers.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PhaseTimeouts } from '../../src/config/config.js';
import { InstanceController } from '../../src/controllers/instance-controller.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import type { InstancePhase, InstanceRecord } from '../../src/store/types.js';
import type { StopRequest } from '../../src/sync/sync-engine.js';
import { metricValue } from '../helpers/engine-harness.js';
import { LogCapture } from '../helpers/log-capture.js';
import { instanceRecord } from '../helpers/statuses.js';

const HOUR = 3_600_000;
const TIMEOUTS: PhaseTimeouts = {
  preparingMs: HOUR,
  buildingMs: HOUR,
  unknownMs: 600_000,
  pendingMs: HOUR,
  stoppingMs: HOUR,
};
const START = Date.parse('2026-06-01T12:00:00.000Z');

interface Harness {
  controller: InstanceController;
  metrics: Metrics;
  logs: LogCapture;
  stopped: StopRequest[][];
  clock: { now: number };
  manager: { ids: Set<string>; down: boolean; calls: number };
}

const controllers: InstanceController[] = [];
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
});

function record(id: string, phase: InstancePhase, ageMs = 0): InstanceRecord {
  return instanceRecord({
    row: { id, phase, clusterName: 'eu-1', creationTime: new Date(START - ageMs).toISOString() },
  });
}

function harness(
  records: InstanceRecord[],
  options: {
    withManager?: boolean;
    stopAfterDisconnectMs?: number;
    /** The records as read after the decision. @default `records` */
    current?: InstanceRecord[];
  } = {},
): Harness {
  const metrics = createMetrics({ defaultMetrics: false });
  const logs = new LogCapture();
  const stopped: StopRequest[][] = [];
  const clock = { now: START };
  const manager = { ids: new Set<string>(), down: false, calls: 0 };
  const controller = new InstanceController({
    cluster: 'eu-1',
    listWorkspaces:
      options.withManager === false
        ? undefined
        : () => {
            manager.calls++;
            return manager.down
              ? Promise.reject(new Error('14 UNAVAILABLE: connection refused'))
              : Promise.resolve(new Set(manager.ids));
          },
    store: {
      listInstanceStates: ({ phase, after, limit }) =>
        Promise.resolve(
          records
            .map((r) => r.row)
            .filter((row) => row.phase === phase && (after === undefined || row.id > after))
            .sort((a, b) => (a.id < b.id ? -1 : 1))
            .slice(0, limit),
        ),
      loadInstances: (ids) => {
        const now = (options.current ?? records).filter((r) => ids.includes(r.row.id));
        return Promise.resolve(new Map(now.map((r) => [r.row.id, r])));
      },
    },
    stopInstances: (requests) => {
      stopped.push([...requests]);
      return Promise.resolve(requests.length);
    },
    timeouts: TIMEOUTS,
    intervalMs: HOUR,
    maxDisconnectMs: 150_000,
    stopAfterDisconnectMs: options.stopAfterDisconnectMs,
    metrics,
    logger: logs.logger,
    now: () => clock.now,
  });
  controllers.push(controller);
  return { controller, metrics, logs, stopped, clock, manager };
}

const ids = (requests: StopRequest[] | undefined): string[] => (requests ?? []).map((r) => r.record.row.id);

describe('InstanceController', () => {
  it('stops what ws-manager does not list, guarded by the version it saw, and leaves the rest', async () => {
    const h = harness([
      record('gone', 'running'),
      record('listed', 'running'),
      record('young', 'pending'),
      record('creating', 'creating', 10 * HOUR),
      record('stuck', 'preparing', 2 * HOUR),
    ]);
    h.manager.ids.add('listed');
    await h.controller.start();
    await h.controller.runNow();
    expect(h.stopped).toHaveLength(1);
    expect(ids(h.stopped[0]).sort()).toEqual(['gone', 'stuck']);
    expect(h.stopped[0]?.every((r) => r.guard === true)).toBe(true);
    expect(
      await metricValue(h.metrics, 'gitpod_ws_manager_bridge_controller_ticks_total', { outcome: 'ok' }),
    ).toBe(1);
  });

  it('leaves an instance that changed after the decision for the next pass', async () => {
    const decided = [record('moved', 'running'), record('gone', 'running'), record('same', 'running')];
    const moved = record('moved', 'running');
    moved.row.statusVersion = 7n;
    const h = harness(decided, { current: [moved, record('same', 'running')] });
    await h.controller.start();
    await h.controller.runNow();
    // Unlisted all three; one has a newer version by the time its record is read, one was deleted.
    expect(h.stopped.map(ids)).toEqual([['same']]);
    expect(h.stopped[0]?.[0]?.record.row.statusVersion).toBe(0n);
  });

  it('stops nothing for being unlisted while ws-manager is unreachable, and reports it disconnected once', async () => {
    const h = harness([record('a', 'running'), record('old', 'unknown', HOUR)]);
    h.manager.down = true;
    await h.controller.start();
    await h.controller.runNow();
    // The timeout rules still apply without an answer.
    expect(h.stopped.map(ids)).toEqual([['old']]);
    expect(h.controller.disconnectedForMs()).toBeUndefined();
    const gauge = () =>
      metricValue(h.metrics, 'gitpod_ws_manager_bridge_cluster_disconnected', { workspace_cluster: 'eu-1' });
    expect(await gauge()).toBe(0);
    h.clock.now += 151_000;
    await h.controller.runNow();
    h.clock.now += 60_000;
    await h.controller.runNow();
    expect(h.stopped.flatMap(ids)).not.toContain('a');
    expect(h.controller.disconnectedForMs()).toBe(211_000);
    expect(await gauge()).toBe(1);
    expect(h.logs.matching('cluster reported disconnected')).toHaveLength(1);
    expect(
      await metricValue(h.metrics, 'gitpod_ws_manager_bridge_controller_ticks_total', {
        outcome: 'unreachable',
      }),
    ).toBe(3);
    h.manager.down = false;
    h.manager.ids.add('a');
    await h.controller.runNow();
    expect(h.controller.disconnectedForMs()).toBeUndefined();
    expect(await gauge()).toBe(0);
    expect(h.logs.matching('ws-manager reachable again')).toHaveLength(1);
  });

  it('with the disconnect policy, stops every instance once disconnected that long', async () => {
    const h = harness([record('a', 'running'), record('b', 'creating')], { stopAfterDisconnectMs: 600_000 });
    h.manager.down = true;
    await h.controller.start();
    await h.controller.runNow();
    h.clock.now += 300_000;
    await h.controller.runNow();
    expect(h.stopped).toEqual([]);
    h.clock.now += 300_000;
    await h.controller.runNow();
    expect(h.stopped.map(ids)).toEqual([['a', 'b']]);
    expect(h.stopped[0]?.[0]?.reason).toMatch(/unreachable for 600 s/);
  });

  it("without a manager (the installation's own instances) applies the phase timeouts only", async () => {
    const h = harness(
      [record('prep', 'preparing', 2 * HOUR), record('run', 'running', 2 * HOUR), record('new', 'building')],
      { withManager: false },
    );
    await h.controller.start();
    await h.controller.runNow();
    expect(h.stopped.map(ids)).toEqual([['prep']]);
    expect(h.manager.calls).toBe(0);
  });
});
