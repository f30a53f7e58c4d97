/**
 * Fault case: a ws-manager that freezes without closing its connection. The simulator runs as a
 * process of its own under load and is stopped with SIGSTOP: its socket stays open and silent, so
 * only the HTTP/2 keepalive can notice. The stream must fail within the configured keepalive time
 * plus timeout, and come back once the process goes on (SIGCONT); the database then equals what
 * ws-manager lists and every instance that changed meanwhile is announced.
 *
 * The pipeline is the bridge's own classes (subscriber, engine, notifier, store) with the
 * keepalive read by the configuration loader from `WSMAN_KEEPALIVE_*`, as `serve` reads it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { InProcessPublisher } from '../../src/pubsub/in-process-publisher.js';
import { Notifier } from '../../src/pubsub/notifier.js';
import type { Message } from '../../src/pubsub/ports.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import { SyncEngine } from '../../src/sync/sync-engine.js';
import { validateStatus } from '../../src/sync/validate-status.js';
import { ClusterSubscriber, type SubscriberState } from '../../src/wsman/cluster-subscriber.js';
import { WsmanClient } from '../../src/wsman/wsman-client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { expectAnnounced, expectStoreMatchesTruth } from '../helpers/fault-truth.js';
import { SimulatorProcess } from '../helpers/simulator-process.js';

const KEEPALIVE_ENV = { WSMAN_KEEPALIVE_TIME_SECONDS: '1', WSMAN_KEEPALIVE_TIMEOUT_SECONDS: '1' };

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Subscriber states with the time each began (performance.now()). */
class StateLog {
  readonly entries: { state: SubscriberState; at: number }[] = [];

  record = (state: SubscriberState): void => {
    this.entries.push({ state, at: performance.now() });
  };

  /** The first time at or after `since` the state was one of `states`. */
  firstAfter(since: number, states: readonly SubscriberState[]): number | undefined {
    return this.entries.find((e) => e.at >= since && states.includes(e.state))?.at;
  }
}

describe('ws-manager frozen without closing its connection', () => {
  it('is noticed by keepalive within the configured time and streams again after SIGCONT', async () => {
    const { sim, port } = await SimulatorProcess.start([
      '--workspaces',
      '6',
      '--rate',
      '60',
      '--updates',
      '400',
      '--wait-subscribers',
      '1',
    ]);
    cleanup.push(() => sim.kill());
    const url = `127.0.0.1:${port}`;
    const db: TestDatabase = await createTestDatabase('sqlite');
    cleanup.push(() => db.drop());
    const store: Store = await openStore(db.url, { logger: silentLogger() });
    cleanup.push(() => store.close());
    await store.migrate();

    const config = loadConfig({ databaseUrl: db.url }, KEEPALIVE_ENV);
    const keepalive = config.wsman.keepalive;
    const logger = silentLogger();
    const publisher = new InProcessPublisher();
    const messages: Message[] = [];
    await publisher.subscribe('chan:workspace-instances', (m) => messages.push(m));
    const notifier = new Notifier({ publisher, logger });
    const backoff = { initialMs: 100, maxMs: 1_000, factor: 2 };
    const engine = new SyncEngine({
      store,
      notify: (committed) => {
        notifier.notifyMessages(committed.messages);
        notifier.notifyInstances(committed.instances);
      },
      validate: validateStatus,
      reduce: reduceStatus,
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
      adoptUnknown: true,
      backoff,
    });
    const states = new StateLog();
    const subscriber = new ClusterSubscriber({
      cluster: 'sim',
      target: { url, keepalive },
      sink: engine,
      logger,
      backoff,
      onState: states.record,
    });
    await notifier.start();
    await engine.start();
    await subscriber.start();
    cleanup.push(async () => {
      await subscriber.stop();
      await engine.stop();
      await notifier.stop();
    });

    await vi.waitFor(() => expect(engine.applied).toBeGreaterThanOrEqual(50), { timeout: 20_000 });
    expect(subscriber.state).toBe('streaming');

    const frozenAt = performance.now();
    sim.signal('SIGSTOP');
    await vi.waitFor(() => expect(subscriber.state).not.toBe('streaming'), { timeout: 20_000 });
    const noticedAt =
      states.firstAfter(frozenAt, ['backoff', 'connecting', 'resyncing']) ?? performance.now();
    const noticedAfter = noticedAt - frozenAt;
    // One ping interval until the unanswered ping, then its timeout; a little slack for timers.
    expect(noticedAfter).toBeLessThanOrEqual(keepalive.timeMs + keepalive.timeoutMs + 1_000);
    const storedWhileFrozen = await store.listInstances({ clusterName: 'sim' });
    const versionWhileFrozen = new Map(storedWhileFrozen.map((r) => [r.row.id, r.row.statusVersion]));
    const announcedBefore = messages.length;

    const resumedAt = performance.now();
    sim.signal('SIGCONT');
    await vi.waitFor(() => expect(states.firstAfter(resumedAt, ['streaming'])).toBeDefined(), {
      timeout: 20_000,
    });
    const streamingAfter = (states.firstAfter(resumedAt, ['streaming']) ?? resumedAt) - resumedAt;

    await sim.next('load-finished');
    const client = new WsmanClient({ url });
    cleanup.push(() => Promise.resolve(client.close()));
    const truth = () => client.getWorkspaces(AbortSignal.timeout(10_000), 10_000);
    await expectStoreMatchesTruth(store, truth);
    const changed = (await truth()).filter((s) => versionWhileFrozen.get(s.id) !== s.statusVersion);
    expect(changed.length).toBeGreaterThan(0);
    await expectAnnounced(
      messages,
      changed.map((s) => s.id),
      announcedBefore,
    );
    console.info(
      `ws-manager freeze: keepalive ${keepalive.timeMs} ms + ${keepalive.timeoutMs} ms, noticed after ${Math.round(noticedAfter)} ms, streaming ${Math.round(streamingAfter)} ms after SIGCONT, ${changed.length} instances changed meanwhile`,
    );
  });
});
