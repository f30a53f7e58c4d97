/**
 * Notifier against the real Redis: exact payloads, order, a Redis outage (through a proxy that is
 * taken down and brought back), outbox recovery on start, a database outage, and shutdown.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { BackoffOptions } from '../../src/lifecycle/backoff.js';
import { silentLogger, type Logger } from '../../src/observability/logger.js';
import { InProcessPublisher } from '../../src/pubsub/in-process-publisher.js';
import { Notifier, type NotificationType, type NotifierOptions } from '../../src/pubsub/notifier.js';
import { headlessMessage, prebuildMessage } from '../../src/pubsub/payloads.js';
import type { Publisher } from '../../src/pubsub/ports.js';
import { RedisPublisher } from '../../src/pubsub/redis-publisher.js';
import type { InstanceNotification } from '../../src/store/ports.js';
import { Inbox } from '../helpers/inbox.js';
import { LogCapture } from '../helpers/log-capture.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { TcpProxy, unusedPort } from '../helpers/tcp-proxy.js';

const redisUrl = inject('redisUrl');
const FAST: BackoffOptions = { initialMs: 5, maxMs: 20, factor: 2 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const channel = (label: string): string => `test:${randomUUID()}:${label}`;
const inst = (id: string): InstanceNotification => ({
  ownerID: `owner-${id}`,
  instanceID: `inst-${id}`,
  workspaceID: `ws-${id}`,
});
const payloadOf = (id: string): string =>
  `{"ownerID":"owner-${id}","instanceID":"inst-${id}","workspaceID":"ws-${id}"}`;

function redis(url = redisUrl, logger: Logger = silentLogger()): RedisPublisher {
  const publisher = new RedisPublisher({ url, logger, reconnect: { initialMs: 10, maxMs: 50, factor: 2 } });
  cleanups.push(() => publisher.close());
  return publisher;
}

/** A subscriber on its own connection, as another service would be. */
async function observe(
  ...channels: string[]
): Promise<{ inbox: Inbox; fence: (via: Publisher) => Promise<void> }> {
  const observer = redis();
  const inbox = new Inbox();
  const fenceChannel = channel('fence');
  for (const ch of [...channels, fenceChannel]) await observer.subscribe(ch, inbox.handler);
  // Messages on one connection arrive in order: once the fence is in, everything sent before it is too.
  const fence = async (via: Publisher): Promise<void> => {
    const payload = `fence-${randomUUID()}`;
    await via.publish([{ channel: fenceChannel, payload }]);
    await inbox.waitForPayload(payload);
    inbox.messages.splice(
      inbox.messages.findIndex((m) => m.payload === payload),
      1,
    );
  };
  return { inbox, fence };
}

/** Records onPublished calls and lets a test wait for them. */
class PublishLog {
  readonly calls: [NotificationType, boolean, number][] = [];
  readonly #waiters: { done: () => boolean; resolve: () => void }[] = [];
  readonly hook = (type: NotificationType, ok: boolean, count: number): void => {
    this.calls.push([type, ok, count]);
    for (const waiter of this.#waiters.filter((w) => w.done())) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  total(ok: boolean): number {
    return this.calls.filter(([, callOk]) => callOk === ok).reduce((sum, [, , count]) => sum + count, 0);
  }
  failures(): number {
    return this.calls.filter(([, ok]) => !ok).length;
  }
  waitForFailures(count: number): Promise<void> {
    if (this.failures() >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ done: () => this.failures() >= count, resolve }));
  }
}

function notifier(options: NotifierOptions): Notifier {
  const created = new Notifier({ backoff: FAST, ...options });
  cleanups.push(() => created.stop());
  return created;
}

describe('Notifier over Redis', () => {
  it('publishes committed instance changes with the exact payloads', async () => {
    const ch = channel('instances');
    const { inbox } = await observe(ch);
    const publisher = redis();
    await publisher.whenReady();
    const published = new PublishLog();
    const n = notifier({
      publisher,
      logger: silentLogger(),
      instanceChannel: ch,
      onPublished: published.hook,
    });
    await n.start();
    n.notifyInstances([inst('1'), inst('2')]);
    await inbox.waitForCount(2);
    expect(inbox.payloads).toEqual([payloadOf('1'), payloadOf('2')]);
    expect(inbox.messages.every((m) => m.channel === ch)).toBe(true);
    expect(published.total(true)).toBe(2);
    expect(published.calls.every(([type]) => type === 'workspace-instance')).toBe(true);
    await n.stop();
    expect(n.pending).toBe(0);
    expect(n.state).toBe('stopped');
  });

  it('sends headless, prebuild and instance notifications in the order they were queued', async () => {
    const [hCh, pCh, iCh] = [channel('headless'), channel('prebuilds'), channel('instances')];
    const { inbox } = await observe(hCh, pCh, iCh);
    const publisher = redis();
    const published = new PublishLog();
    const n = notifier({
      publisher,
      logger: silentLogger(),
      instanceChannel: iCh,
      onPublished: published.hook,
    });
    await n.start();
    const started = headlessMessage('inst-1', { type: 'started', workspaceID: 'ws-1' }, hCh);
    const headless = headlessMessage('inst-1', { type: 'finish-success', workspaceID: 'ws-1' }, hCh);
    const prebuild = prebuildMessage(
      'inst-1',
      { projectID: 'p-1', prebuildID: 'pb-1', status: 'available', workspaceID: 'ws-1' },
      pCh,
    );
    // The second headless message of the instance replaces the first while both wait.
    n.notifyMessages([started, headless]);
    n.notifyMessages([prebuild]);
    n.notifyInstances([inst('1')]);
    await inbox.waitForCount(3);
    const sent = (m: { channel: string; payload: string }) => ({ channel: m.channel, payload: m.payload });
    expect(inbox.messages).toEqual([
      sent(headless),
      sent(prebuild),
      { channel: iCh, payload: payloadOf('1') },
    ]);
    expect(published.total(true)).toBe(3);
    expect(published.calls.some(([type]) => type === 'headless')).toBe(true);
    expect(published.calls.some(([type]) => type === 'prebuild')).toBe(true);
  });

  it('keeps notifications through a Redis outage, coalesced, and delivers them after recovery', async () => {
    const ch = channel('outage');
    const { inbox, fence } = await observe(ch);
    const target = new URL(redisUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const capture = new LogCapture();
    const publisher = redis(`redis://127.0.0.1:${proxy.port}`, capture.logger);
    await publisher.whenReady();
    const outbox = new MemoryOutbox();
    const published = new PublishLog();
    const n = notifier({
      publisher,
      logger: capture.logger,
      outbox,
      instanceChannel: ch,
      onPublished: published.hook,
    });
    await n.start();
    n.notifyInstances([inst('before')]);
    await inbox.waitForCount(1);

    await proxy.stop();
    await vi.waitFor(() => expect(publisher.healthy()).toBe(false));
    const updates = ['a', 'b', 'a', 'c', 'b', 'a'].map(inst);
    outbox.record(...updates);
    for (const update of updates) n.notifyInstances([update]);
    await published.waitForFailures(3);
    expect(n.pending).toBe(3);
    expect(published.calls.filter(([, ok]) => !ok).every(([, , count]) => count === 3)).toBe(true);

    await proxy.start();
    await publisher.whenReady();
    await outbox.whenEmpty();
    await fence(publisher);
    expect(inbox.payloads).toEqual([payloadOf('before'), payloadOf('c'), payloadOf('b'), payloadOf('a')]);
    expect(n.pending).toBe(0);
    expect(capture.matching('notifications: publish failed')).toHaveLength(1);
    expect(capture.matching('notifications: publish recovered')).toHaveLength(1);
  });

  it('sends what the outbox holds on start, once per instance, and acknowledges it', async () => {
    const ch = channel('outbox');
    const { inbox, fence } = await observe(ch);
    const publisher = redis();
    const outbox = new MemoryOutbox();
    outbox.record(inst('x'), inst('y'), inst('z'));
    const n = notifier({ publisher, logger: silentLogger(), outbox, maxBatch: 2, instanceChannel: ch });
    // A change committed after the crash but before start: it stands for the outbox row of "y".
    n.notifyInstances([inst('y')]);
    await publisher.whenReady();
    await n.start();
    await outbox.whenEmpty();
    await fence(publisher);
    expect([...inbox.payloads].sort()).toEqual([payloadOf('x'), payloadOf('y'), payloadOf('z')]);
    expect([...outbox.acked].sort()).toEqual(['inst-x', 'inst-y', 'inst-z']);
  });

  it('keeps publishing while the outbox is unavailable and acknowledges once it is back', async () => {
    const ch = channel('db-outage');
    const { inbox } = await observe(ch);
    const publisher = redis();
    await publisher.whenReady();
    const capture = new LogCapture();
    const outbox = new MemoryOutbox();
    outbox.record(inst('old'));
    outbox.failing = true;
    const n = notifier({ publisher, logger: capture.logger, outbox, instanceChannel: ch });
    await n.start();
    outbox.record(inst('live'));
    n.notifyInstances([inst('live')]);
    await inbox.waitForPayload(payloadOf('live'));
    await capture.waitFor('notifications: outbox failed');
    outbox.failing = false;
    await outbox.whenEmpty();
    await inbox.waitForPayload(payloadOf('old'));
    await capture.waitFor('notifications: outbox recovered');
    expect(capture.matching('notifications: outbox failed')).toHaveLength(1);
  });

  it('delivers what is queued when stopped', async () => {
    const ch = channel('stop');
    const { inbox } = await observe(ch);
    const publisher = redis();
    await publisher.whenReady();
    const n = notifier({ publisher, logger: silentLogger(), instanceChannel: ch });
    await n.start();
    n.notifyInstances(['1', '2', '3'].map(inst));
    await n.stop();
    expect(n.pending).toBe(0);
    await inbox.waitForCount(3);
    expect(inbox.payloads).toEqual(['1', '2', '3'].map(payloadOf));
  });

  it('waits for a Redis down at start without failed publishes, gives up after the grace period; the next start delivers from the outbox', async () => {
    const ch = channel('crash');
    const { inbox } = await observe(ch);
    const capture = new LogCapture();
    const down = redis(`redis://127.0.0.1:${await unusedPort()}`, capture.logger);
    const outbox = new MemoryOutbox();
    const first = notifier({
      publisher: down,
      logger: capture.logger,
      outbox,
      instanceChannel: ch,
      stopGraceMs: 20,
    });
    await first.start();
    outbox.record(inst('kept'));
    first.notifyInstances([inst('kept')]);
    await capture.waitFor('redis publish connection failed');
    await first.stop();
    // Never connected: nothing was tried against it, so no publish failure is reported.
    expect(capture.matching('notifications: publish failed')).toEqual([]);
    expect(first.state).toBe('stopped');
    expect(first.pending).toBe(1);
    expect(capture.matching('notifier stopped with undelivered notifications')).toHaveLength(1);
    expect(outbox.ids()).toEqual(['inst-kept']);

    const up = redis();
    const second = notifier({ publisher: up, logger: silentLogger(), outbox, instanceChannel: ch });
    await second.start();
    await inbox.waitForPayload(payloadOf('kept'));
    await outbox.whenEmpty();
  });
});

describe('Notifier lifecycle', () => {
  it('start is idempotent, stop is memoised, and a stopped notifier cannot start again', async () => {
    const n = notifier({ publisher: new InProcessPublisher(), logger: silentLogger() });
    await n.start();
    await n.start();
    expect(n.state).toBe('running');
    const stopping = n.stop();
    expect(n.stop()).toBe(stopping);
    await stopping;
    expect(n.state).toBe('stopped');
    await expect(n.start()).rejects.toThrow(/cannot start/);
  });

  it('accepts notifications before start and delivers them once started', async () => {
    const publisher = new InProcessPublisher();
    const inbox = new Inbox();
    const ch = channel('early');
    await publisher.subscribe(ch, inbox.handler);
    const n = notifier({ publisher, logger: silentLogger(), instanceChannel: ch });
    n.notifyInstances([inst('early'), inst('early')]);
    expect(n.pending).toBe(1);
    await n.start();
    await inbox.waitForCount(1);
    await n.stop();
    expect(inbox.payloads).toEqual([payloadOf('early')]);
  });
});
