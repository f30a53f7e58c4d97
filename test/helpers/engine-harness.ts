/**
 * A sync engine over a real store for integration tests, with recorded notifications and seeding of
 * what the platform would have created (workspace + pending instance rows).
 */
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { openStore } from '../../src/store/open-store.js';
import type { InstanceNotification, OutboxMessage, Store } from '../../src/store/ports.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import { SyncEngine } from '../../src/sync/sync-engine.js';
import { validateStatus } from '../../src/sync/validate-status.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';

export { seedInstances } from './seed.js';

export interface EngineHarness {
  db: TestDatabase;
  store: Store;
  engine: SyncEngine;
  metrics: Metrics;
  notifications: InstanceNotification[];
  /** Prebuild, headless and lifecycle messages handed over after commit, in order. */
  messages: OutboxMessage[];
  close(): Promise<void>;
}

/** Opens a fresh database of `kind`, migrates it and builds an engine on it. */
export async function engineHarness(
  kind: DatabaseKind,
  options: {
    adoptUnknown?: boolean;
    store?: (store: Store) => Store;
    maxBacklog?: number;
    maxInstances?: number;
  } = {},
): Promise<EngineHarness> {
  const db = await createTestDatabase(kind);
  const real = await openStore(db.url, { logger: silentLogger() });
  await real.migrate();
  const store = options.store ? options.store(real) : real;
  const metrics = createMetrics({ defaultMetrics: false });
  const notifications: InstanceNotification[] = [];
  const messages: OutboxMessage[] = [];
  const engine = new SyncEngine({
    store,
    notify: (committed) => {
      messages.push(...committed.messages);
      notifications.push(...committed.instances);
    },
    validate: validateStatus,
    reduce: reduceStatus,
    logger: silentLogger(),
    metrics,
    adoptUnknown: options.adoptUnknown ?? false,
    maxBacklog: options.maxBacklog,
    maxInstances: options.maxInstances,
    backoff: { initialMs: 5, maxMs: 50, factor: 2 },
  });
  await engine.start();
  return {
    db,
    store,
    engine,
    metrics,
    notifications,
    messages,
    close: async () => {
      try {
        await engine.stop();
        await real.close();
      } finally {
        await db.drop();
      }
    },
  };
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
