import { describe, expect, it } from 'vitest';
import { NotificationQueue, type QueuedNotification } from '../../src/pubsub/notification-queue.js';
import type { InstanceNotification } from '../../src/store/ports.js';

const inst = (id: string): InstanceNotification => ({
  ownerID: `o-${id}`,
  instanceID: id,
  workspaceID: `w-${id}`,
});
const msg = (payload: string) => ({ channel: 'chan:test', payload });

/** A compact view of the queue's entries, in order. */
const describeEntries = (entries: readonly QueuedNotification[]): string[] =>
  entries.map((e) =>
    e.kind === 'instance' ? `i:${e.notification.instanceID}` : `${e.kind}:${e.message.payload}`,
  );

describe('NotificationQueue', () => {
  it('keeps one entry per instance, placed after everything queued before its latest change', () => {
    const queue = new NotificationQueue();
    for (const id of ['a', 'b', 'a', 'c', 'b', 'a']) queue.pushInstance(inst(id));
    expect(queue.size).toBe(3);
    expect(describeEntries(queue.take(10))).toEqual(['i:c', 'i:b', 'i:a']);
  });

  it('stays bounded by distinct instances, not by the number of updates', () => {
    const queue = new NotificationQueue();
    for (let i = 0; i < 100_000; i++) queue.pushInstance(inst(`i${i % 7}`));
    expect(queue.size).toBe(7);
  });

  it('keeps messages one by one, interleaved with instances in queue order', () => {
    const queue = new NotificationQueue();
    queue.pushMessage(msg('h1'), 'headless');
    queue.pushMessage(msg('p1'), 'prebuild');
    queue.pushInstance(inst('a'));
    queue.pushMessage(msg('p1'), 'prebuild');
    expect(queue.messageCount).toBe(3);
    expect(describeEntries(queue.take(10))).toEqual(['headless:h1', 'prebuild:p1', 'i:a', 'prebuild:p1']);
    expect(queue.messageCount).toBe(0);
  });

  it('takes at most max entries from the front', () => {
    const queue = new NotificationQueue();
    for (const id of ['a', 'b', 'c', 'd']) queue.pushInstance(inst(id));
    expect(describeEntries(queue.take(3))).toEqual(['i:a', 'i:b', 'i:c']);
    expect(describeEntries(queue.take(3))).toEqual(['i:d']);
    expect(queue.take(3)).toEqual([]);
  });

  it('adds an instance from the outbox only when none is queued', () => {
    const queue = new NotificationQueue();
    queue.pushInstance(inst('a'));
    expect(queue.pushInstanceIfAbsent(inst('a'))).toBe(false);
    expect(queue.pushInstanceIfAbsent(inst('b'))).toBe(true);
    expect(queue.hasInstance('b')).toBe(true);
    expect(queue.hasInstance('c')).toBe(false);
    expect(queue.size).toBe(2);
  });

  it('restores a failed batch at the front, dropping instances queued again meanwhile', () => {
    const queue = new NotificationQueue();
    queue.pushInstance(inst('a'));
    queue.pushMessage(msg('p1'), 'prebuild');
    queue.pushInstance(inst('b'));
    const batch = queue.take(10);
    expect(queue.messageCount).toBe(0);
    queue.pushInstance(inst('c'));
    queue.pushInstance(inst('a'));
    queue.restore(batch);
    expect(queue.size).toBe(4);
    expect(queue.messageCount).toBe(1);
    expect(describeEntries(queue.take(10))).toEqual(['prebuild:p1', 'i:b', 'i:c', 'i:a']);
  });
});
