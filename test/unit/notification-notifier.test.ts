/**
 * Notifier rules that need exact control over when a publish completes: a publisher double whose
 * calls the test settles one by one. (Delivery over real Redis is in test/integration/notifier.test.ts.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { Notifier, type NotifierOptions } from '../../src/pubsub/notifier.js';
import type { Message, Publisher } from '../../src/pubsub/ports.js';
import type { InstanceNotification } from '../../src/store/ports.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';

interface Call {
  messages: readonly Message[];
  settle(error?: Error): void;
}

/** Each publish call waits until the test settles it. */
class GatedPublisher implements Publisher {
  readonly durable = true;
  readonly calls: Call[] = [];
  readonly #waiters: (() => void)[] = [];

  publish(messages: readonly Message[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ messages, settle: (error) => (error ? reject(error) : resolve()) });
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Resolves with call number `index` (0-based) once it was made. */
  async call(index: number): Promise<Call> {
    while (this.calls.length <= index) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.calls[index] as Call;
  }

  subscribe(): Promise<() => Promise<void>> {
    return Promise.resolve(() => Promise.resolve());
  }
  healthy(): boolean {
    return true;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  downReason(): string | undefined {
    return undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const inst = (id: string): InstanceNotification => ({ ownerID: 'o', instanceID: id, workspaceID: 'w' });
const FAST = { initialMs: 1, maxMs: 2, factor: 2 };
const created: Notifier[] = [];
afterEach(async () => {
  await Promise.all(created.splice(0).map((n) => n.stop()));
});

/** A notifier (not started, stopped after the test) on a gated publisher and a memory outbox. */
function gatedNotifier(options: Partial<NotifierOptions> = {}) {
  const publisher = new GatedPublisher();
  const outbox = new MemoryOutbox();
  const notifier = new Notifier({ publisher, logger: silentLogger(), outbox, backoff: FAST, ...options });
  created.push(notifier);
  return { publisher, outbox, notifier };
}

describe('Notifier', () => {
  it('does not acknowledge an instance that was notified again while its message was in flight', async () => {
    const publisher = new GatedPublisher();
    const outbox = new MemoryOutbox();
    const notifier = new Notifier({ publisher, logger: silentLogger(), outbox, backoff: FAST });
    created.push(notifier);
    await notifier.start();
    outbox.record(inst('a'));
    notifier.notifyInstances([inst('a')]);
    const first = await publisher.call(0);
    outbox.record(inst('a'));
    notifier.notifyInstances([inst('a')]);
    first.settle();
    const second = await publisher.call(1);
    expect(outbox.acked).toEqual([]);
    expect(second.messages).toHaveLength(1);
    second.settle();
    await outbox.whenEmpty();
    expect(outbox.acked).toEqual(['a']);
  });

  it('acknowledges a change at the revision its commit handed over, without reading the outbox', async () => {
    const { publisher, outbox, notifier } = gatedNotifier({ acknowledgements: { ackDelayMs: 0 } });
    await notifier.start();
    notifier.notifyInstances([inst('a'), inst('b')], outbox.record(inst('a'), inst('b')));
    (await publisher.call(0)).settle();
    await outbox.whenEmpty();
    expect(outbox.acked).toEqual(['a', 'b']);
    expect(outbox.revisionReads).toBe(0);
  });

  it('leaves a row another writer rewrote after the commit whose revision the delivery covered', async () => {
    const { publisher, outbox, notifier } = gatedNotifier({ acknowledgements: { ackDelayMs: 0 } });
    await notifier.start();
    notifier.notifyInstances([inst('a'), inst('b')], outbox.record(inst('a'), inst('b')));
    const sending = await publisher.call(0);
    outbox.record(inst('a'));
    sending.settle();
    await vi.waitFor(() => expect(outbox.acked).toEqual(['a', 'b']));
    expect(outbox.ids()).toEqual(['a']);
  });

  it('stops reading left-overs at the rows committed since it started, however many are pending', async () => {
    // Pages and batches of three.
    const { publisher, outbox, notifier } = gatedNotifier({ maxBatch: 3 });
    outbox.record(inst('left-1'), inst('left-2'), inst('left-3'));
    await notifier.start();
    const leftOvers = await publisher.call(0);
    // A full page of this run's own rows is pending when the next page is read.
    notifier.notifyInstances(
      [inst('a'), inst('b'), inst('c')],
      outbox.record(inst('a'), inst('b'), inst('c')),
    );
    leftOvers.settle();
    const committed = await publisher.call(1);
    committed.settle();
    notifier.notifyInstances([inst('d')], outbox.record(inst('d')));
    const next = await publisher.call(2);
    next.settle();

    const ids = (call: Call) =>
      call.messages.map((m) => (JSON.parse(m.payload) as { instanceID: string }).instanceID);
    expect([leftOvers, committed, next].map(ids)).toEqual([
      ['left-1', 'left-2', 'left-3'],
      ['a', 'b', 'c'],
      ['d'],
    ]);
    // Instances: the full page of left-overs, then an empty one (this run's rows are not left-overs);
    // messages: one empty page.
    expect(outbox.pageReads).toBe(3);
  });

  it('keeps the outbox row of an instance committed again after delivery, until that change is delivered', async () => {
    const publisher = new GatedPublisher();
    const outbox = new MemoryOutbox();
    // The real clock plus a jump the test makes: an acknowledgement falls due exactly when it jumps.
    const clock = { skipped: 0 };
    const notifier = new Notifier({
      publisher,
      logger: silentLogger(),
      outbox,
      backoff: FAST,
      acknowledgements: { ackDelayMs: 250, now: () => performance.now() + clock.skipped },
    });
    created.push(notifier);
    await notifier.start();
    outbox.record(inst('a'));
    notifier.notifyInstances([inst('a')]);
    (await publisher.call(0)).settle();
    // `a` is delivered and owes an acknowledgement (they are batched). While `b` is being sent,
    // `a` commits again; the acknowledgement that follows `b` must not remove `a`'s new row.
    outbox.record(inst('b'));
    notifier.notifyInstances([inst('b')]);
    const sendingB = await publisher.call(1);
    outbox.record(inst('a'));
    notifier.notifyInstances([inst('a')]);
    clock.skipped += 300;
    sendingB.settle();
    const sendingA = await publisher.call(2);
    expect(outbox.ids()).toContain('a');
    sendingA.settle();
    await outbox.whenEmpty();
  });

  it('resends messages a crash left in the message outbox and acknowledges them by key', async () => {
    const publisher = new GatedPublisher();
    const outbox = new MemoryOutbox();
    const left = { key: 'prebuild:inst-1', channel: 'chan:prebuilds', payload: 'left over' };
    outbox.recordMessages(left);
    outbox.record(inst('a'));
    const published: [string, boolean, number][] = [];
    const notifier = new Notifier({
      publisher,
      logger: silentLogger(),
      outbox,
      backoff: FAST,
      onPublished: (type, ok, count) => published.push([type, ok, count]),
    });
    created.push(notifier);
    await notifier.start();
    const call = await publisher.call(0);
    expect(call.messages.map((m) => m.payload).sort()).toEqual(
      ['left over', '{"ownerID":"o","instanceID":"a","workspaceID":"w"}'].sort(),
    );
    call.settle();
    await outbox.whenEmpty();
    expect(outbox.ackedMessages).toEqual(['prebuild:inst-1']);
    expect(outbox.acked).toEqual(['a']);
    expect(published.map(([type]) => type).sort()).toEqual(['prebuild', 'workspace-instance']);
  });

  it('does not acknowledge a message key committed again while its older message was in flight', async () => {
    const publisher = new GatedPublisher();
    const outbox = new MemoryOutbox();
    const notifier = new Notifier({ publisher, logger: silentLogger(), outbox, backoff: FAST });
    created.push(notifier);
    await notifier.start();
    const older = { key: 'headless:inst-1', channel: 'chan:headless', payload: 'started' };
    const newer = { ...older, payload: 'finish-success' };
    outbox.recordMessages(older);
    notifier.notifyMessages([older]);
    const first = await publisher.call(0);
    outbox.recordMessages(newer);
    notifier.notifyMessages([newer]);
    first.settle();
    const second = await publisher.call(1);
    expect(outbox.ackedMessages).toEqual([]);
    expect(second.messages.map((m) => m.payload)).toEqual(['finish-success']);
    second.settle();
    await outbox.whenEmpty();
    expect(outbox.ackedMessages).toEqual(['headless:inst-1']);
  });

  it('retries a failed batch as one entry per instance, in one call', async () => {
    const publisher = new GatedPublisher();
    const published: [string, boolean, number][] = [];
    const notifier = new Notifier({
      publisher,
      logger: silentLogger(),
      backoff: FAST,
      onPublished: (type, ok, count) => published.push([type, ok, count]),
    });
    created.push(notifier);
    await notifier.start();
    notifier.notifyInstances([inst('a'), inst('b')]);
    const first = await publisher.call(0);
    notifier.notifyInstances([inst('a'), inst('c')]);
    first.settle(new Error('redis down'));
    const retry = await publisher.call(1);
    expect(retry.messages.map((m) => (JSON.parse(m.payload) as InstanceNotification).instanceID)).toEqual([
      'b',
      'a',
      'c',
    ]);
    retry.settle();
    expect(published[0]).toEqual(['workspace-instance', false, 2]);
  });

  it('publishes a deep queue in several calls at once; from the first failed call on, all go back in order', async () => {
    const published: [string, boolean, number][] = [];
    const { publisher, outbox, notifier } = gatedNotifier({
      maxBatch: 2,
      acknowledgements: { ackDelayMs: 0 },
      onPublished: (type, ok, count) => published.push([type, ok, count]),
    });
    const ids = ['a', 'b', 'c', 'd', 'e'];
    notifier.notifyInstances(ids.map(inst), outbox.record(...ids.map(inst)));
    await notifier.start();
    // All three calls are made before any of them settles.
    const [first, second, third] = await Promise.all([0, 1, 2].map((i) => publisher.call(i)));
    const idsOf = (call: Call | undefined) =>
      call?.messages.map((m) => (JSON.parse(m.payload) as InstanceNotification).instanceID);
    expect([first, second, third].map(idsOf)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    third?.settle();
    first?.settle();
    second?.settle(new Error('redis down'));
    const retries = await Promise.all([3, 4].map((i) => publisher.call(i)));
    // The failed call and the one after it (which went through) are sent again, in their order.
    expect(retries.map(idsOf)).toEqual([['c', 'd'], ['e']]);
    expect(outbox.acked).toEqual(['a', 'b']);
    expect(published).toEqual([
      ['workspace-instance', true, 2],
      ['workspace-instance', false, 2],
      ['workspace-instance', true, 1],
    ]);
    for (const call of retries) call.settle();
    await outbox.whenEmpty();
    expect(outbox.acked).toEqual(ids);
  });

  it('acknowledges every page a round delivered before the next round, not one page per round', async () => {
    // Only a full page makes acknowledgements due here, never the delay.
    const { publisher, outbox, notifier } = gatedNotifier({
      maxBatch: 2,
      acknowledgements: { ackDelayMs: 60_000 },
    });
    const first = ['a', 'b', 'c', 'd', 'e', 'f'];
    notifier.notifyInstances(first.map(inst), outbox.record(...first.map(inst)));
    await notifier.start();
    const round = await Promise.all([0, 1, 2].map((i) => publisher.call(i)));
    notifier.notifyInstances([inst('g')], outbox.record(inst('g')));
    for (const call of round) call.settle();
    const next = await publisher.call(3);
    expect(outbox.acked).toEqual(first);
    next.settle();
  });

  it('keeps going when the metrics hook throws', async () => {
    const publisher = new GatedPublisher();
    const notifier = new Notifier({
      publisher,
      logger: silentLogger(),
      onPublished: () => {
        throw new Error('hook failure');
      },
    });
    created.push(notifier);
    await notifier.start();
    notifier.notifyInstances([inst('a')]);
    (await publisher.call(0)).settle();
    notifier.notifyInstances([inst('b')]);
    (await publisher.call(1)).settle();
    expect(publisher.calls).toHaveLength(2);
  });

  it('keeps one queued message per key, so waiting messages stay bounded by instances', () => {
    const notifier = new Notifier({ publisher: new GatedPublisher(), logger: silentLogger() });
    const messages = ['1', '2', '3', '4'].map((payload, i) => ({
      key: `prebuild:inst-${i % 2}`,
      channel: 'chan:prebuilds',
      payload,
    }));
    notifier.notifyMessages(messages);
    notifier.notifyInstances([inst('a')]);
    expect(notifier.pending).toBe(3);
  });

  it('rejects a batch size or a number of calls per round below one', () => {
    expect(
      () => new Notifier({ publisher: new GatedPublisher(), logger: silentLogger(), maxBatch: 0 }),
    ).toThrow(/maxBatch/);
    expect(
      () => new Notifier({ publisher: new GatedPublisher(), logger: silentLogger(), callsPerRound: 0 }),
    ).toThrow(/callsPerRound/);
  });
});
