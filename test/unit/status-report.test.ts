/** The status page's data: rate samples from counter readings, and the report built from its sources. */
import { describe, expect, it } from 'vitest';
import { RateHistory, readCounters } from '../../src/observability/rate-history.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { buildStatusReport, type StatusSources } from '../../src/observability/status-report.js';

describe('RateHistory', () => {
  it('turns successive readings into per-second rates, plus the running interval', () => {
    const history = new RateHistory({ capacity: 3 });
    expect(history.samples({ at: 5_000, updates: 9, commits: 9 })).toEqual([]);
    history.record({ at: 0, updates: 0, commits: 0 });
    history.record({ at: 10_000, updates: 50, commits: 10 });
    history.record({ at: 20_000, updates: 50, commits: 10 });
    expect(history.samples()).toEqual([
      { at: 10_000, updatesPerSecond: 5, commitsPerSecond: 1, partial: false },
      { at: 20_000, updatesPerSecond: 0, commitsPerSecond: 0, partial: false },
    ]);
    expect(history.samples({ at: 25_000, updates: 60, commits: 15 }).at(-1)).toEqual({
      at: 25_000,
      updatesPerSecond: 2,
      commitsPerSecond: 1,
      partial: true,
    });
  });

  it('keeps the last `capacity` samples and never shows a negative rate', () => {
    const history = new RateHistory({ capacity: 2 });
    for (const [at, updates] of [
      [0, 0],
      [10_000, 10],
      [20_000, 30],
      [30_000, 5],
    ] as const)
      history.record({ at, updates, commits: 0 });
    expect(history.samples().map((s) => [s.at, s.updatesPerSecond])).toEqual([
      [20_000, 2],
      [30_000, 0],
    ]);
  });

  it('reads valid updates and committed transactions from the metrics', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.updateStartedTotal.inc({ workspace_cluster: 'a', workspace_instance_type: 'regular' }, 3);
    metrics.updateStartedTotal.inc({ workspace_cluster: 'b', workspace_instance_type: 'prebuild' }, 4);
    metrics.dbBatchesTotal.inc({ outcome: 'ok' }, 2);
    metrics.dbBatchesTotal.inc({ outcome: 'error' }, 5);
    expect(await readCounters(metrics, 42)).toEqual({ at: 42, updates: 7, commits: 2 });
  });
});

function sources(overrides: Partial<StatusSources> = {}): StatusSources {
  return {
    replica: 'r1',
    bridgeState: () => 'running',
    streams: () => new Map([['eu-1', 'streaming']]),
    knownClusters: () =>
      Promise.resolve([
        { name: 'eu-1', static: false },
        { name: 'us-1', static: true },
      ]),
    leaseHolders: () => Promise.resolve(new Map([['eu-1', 'r1']])),
    activeInstances: () =>
      Promise.resolve([
        { clusterName: 'eu-1', phase: 'running', count: 40 },
        { clusterName: 'eu-1', phase: 'pending', count: 1 },
        { clusterName: 'gone', phase: 'stopping', count: 1 },
      ]),
    notificationsPending: () => 7,
    rates: () => Promise.resolve([]),
    rateIntervalSeconds: 10,
    lastUpdate: (name) => (name === 'eu-1' ? 1_000 : undefined),
    warnings: () => ({ total: 1, recent: [{ time: 't', level: 'warn', msg: 'm', detail: '' }] }),
    now: () => 4_400,
    ...overrides,
  };
}

describe('buildStatusReport', () => {
  it('lists every known cluster, and clusters that only hold instances, with their phases', async () => {
    const report = await buildStatusReport(sources());
    expect(report).toMatchObject({
      generatedAt: new Date(4_400).toISOString(),
      replica: 'r1',
      bridge: 'running',
      notificationsPending: 7,
      rates: { intervalSeconds: 10, samples: [] },
      warnings: { total: 1 },
    });
    expect(report.clusters).toEqual([
      {
        name: 'eu-1',
        static: false,
        stream: 'streaming',
        lastUpdateAgeSeconds: 3,
        leaseHolder: 'r1',
        phases: { running: 40, pending: 1 },
      },
      {
        name: 'gone',
        static: false,
        stream: 'not here',
        lastUpdateAgeSeconds: null,
        leaseHolder: null,
        phases: { stopping: 1 },
      },
      {
        name: 'us-1',
        static: true,
        stream: 'not here',
        lastUpdateAgeSeconds: null,
        leaseHolder: null,
        phases: {},
      },
    ]);
  });

  it('rejects when the database cannot answer', async () => {
    const down = sources({ activeInstances: () => Promise.reject(new Error('connection refused')) });
    await expect(buildStatusReport(down)).rejects.toThrow('connection refused');
  });
});
