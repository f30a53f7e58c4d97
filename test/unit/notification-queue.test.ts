import { describe, expect, it } from 'vitest';
import {
  instanceEntry,
  instanceKey,
  messageEntry,
  NotificationQueue,
  type QueuedNotification,
} from '../../src/pubsub/notification-queue.js';
import type { InstanceNotification } from '../../src/store/ports.js';

const inst = (id: string): InstanceNotification => ({
  ownerID: `o-${id}`,
  instanceID: id,
  workspaceID: `w-${id}`,
});
const msg = (key: string, payload: string) => messageEntry({ key, channel: 'chan:test', payload });
const push = (queue: NotificationQueue, id: string): void => queue.push(instanceEntry(inst(id)));

/** A compact view of the queue's entries, in order. */
const describeEntries = (entries: readonly QueuedNotification[]): string[] =>
  entries.map((e) =>
    e.kind === 'instance' ? `i:${e.notification.instanceID}` : `${e.message.key}=${e.message.payload}`,
  );

describe('NotificationQueue', () => {
  it('keeps one entry per instance, placed after everything queued before its latest change', () => {
    const queue = new NotificationQueue();
    for (const id of ['a', 'b', 'a', 'c', 'b', 'a']) push(queue, id);
    expect(queue.size).toBe(3);
    expect(describeEntries(queue.take(10))).toEqual(['i:c', 'i:b', 'i:a']);
  });

  it('stays bounded by distinct instances, not by the number of updates', () => {
    const queue = new NotificationQueue();
    for (let i = 0; i < 100_000; i++) push(queue, `i${i % 7}`);
    expect(queue.size).toBe(7);
  });

  it('keeps one message per key, interleaved with instances in queue order', () => {
    const queue = new NotificationQueue();
    queue.push(msg('headless:a', 'h1'));
    queue.push(msg('prebuild:a', 'p1'));
    push(queue, 'a');
    queue.push(msg('prebuild:a', 'p2'));
    queue.push(msg('prebuild:b', 'p1'));
    expect(queue.size).toBe(4);
    expect(describeEntries(queue.take(10))).toEqual([
      'headless:a=h1',
      'i:a',
      'prebuild:a=p2',
      'prebuild:b=p1',
    ]);
    expect(queue.size).toBe(0);
  });

  it('takes at most max entries from the front', () => {
    const queue = new NotificationQueue();
    for (const id of ['a', 'b', 'c', 'd']) push(queue, id);
    expect(describeEntries(queue.take(3))).toEqual(['i:a', 'i:b', 'i:c']);
    expect(describeEntries(queue.take(3))).toEqual(['i:d']);
    expect(queue.take(3)).toEqual([]);
  });

  it('adds an entry from the outbox only when none of its key is queued', () => {
    const queue = new NotificationQueue();
    push(queue, 'a');
    expect(queue.pushIfAbsent(instanceEntry(inst('a')))).toBe(false);
    expect(queue.pushIfAbsent(instanceEntry(inst('b')))).toBe(true);
    expect(queue.pushIfAbsent(msg('prebuild:a', 'p1'))).toBe(true);
    expect(queue.pushIfAbsent(msg('prebuild:a', 'p2'))).toBe(false);
    expect(queue.has(instanceKey('b'))).toBe(true);
    expect(queue.has(instanceKey('c'))).toBe(false);
    expect(queue.size).toBe(3);
  });

  it('restores a failed batch at the front, dropping keys queued again meanwhile', () => {
    const queue = new NotificationQueue();
    push(queue, 'a');
    queue.push(msg('prebuild:a', 'p1'));
    push(queue, 'b');
    const batch = queue.take(10);
    expect(queue.size).toBe(0);
    push(queue, 'c');
    push(queue, 'a');
    queue.restore(batch);
    expect(queue.size).toBe(4);
    expect(describeEntries(queue.take(10))).toEqual(['prebuild:a=p1', 'i:b', 'i:c', 'i:a']);
  });
});
