/**
 * A sync engine over a real store for integration tests, with recorded notifications and seeding of
 * what the platform would have created (workspace + pending instance rows).
 */
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { openStore } from '../../src/store/open-store.js';
import type { InstanceNotification, Store } from '../../src/store/ports.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import { SyncEngine } from '../../src/sync/sync-engine.js';
import { validateStatus } from '../../src/sync/validate-status.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';

export interface EngineHarness {
  db: TestDatabase;
  store: Store;
  engine: SyncEngine;
  metrics: Metrics;
  notifications: InstanceNotification[];
  close(): Promise<void>;
}

/** Opens a fresh database of `kind`, migrates it and builds an engine on it. */
export async function engineHarness(
  kind: DatabaseKind,
  options: { adoptUnknown?: boolean; store?: (store: Store) => Store } = {},
): Promise<EngineHarness> {
  const db = await createTestDatabase(kind);
  const real = await openStore(db.url, { logger: silentLogger() });
  await real.migrate();
  const store = options.store ? options.store(real) : real;
  const metrics = createMetrics({ defaultMetrics: false });
  const notifications: InstanceNotification[] = [];
  const engine = new SyncEngine({
    store,
    notify: (n) => notifications.push(...n),
    validate: validateStatus,
    reduce: reduceStatus,
    logger: silentLogger(),
    metrics,
    adoptUnknown: options.adoptUnknown ?? false,
    backoff: { initialMs: 5, maxMs: 50, factor: 2 },
  });
  return {
    db,
    store,
    engine,
    metrics,
    notifications,
    close: async () => {
      engine.stop();
      await real.close();
      await db.drop();
    },
  };
}

/** Seeds the workspace and pending instance rows the platform creates before a start. */
export async function seedInstances(
  store: Store,
  ids: readonly string[],
  options: { cluster?: string; owner?: string } = {},
): Promise<void> {
  const at = '2026-01-01T00:00:00.000Z';
  await store.createWorkspaces(
    ids.map((id) => ({
      id: `ws-${id}`,
      ownerId: options.owner ?? `owner-${id}`,
      type: 'regular' as const,
      projectId: null,
      organizationId: null,
      createdAt: at,
    })),
  );
  await store.createInstances(
    ids.map((id) => ({
      id,
      workspaceId: `ws-${id}`,
      clusterName: options.cluster ?? 'eu-1',
      phase: 'pending' as const,
      statusVersion: 0n,
      creationTime: at,
      deployedTime: null,
      startedTime: null,
      stoppingTime: null,
      stoppedTime: null,
      ideUrl: '',
      status: { conditions: {} },
      updatedAt: at,
    })),
  );
}

/** Current value of a counter or gauge (summed over the label sets matching `labels`). */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
