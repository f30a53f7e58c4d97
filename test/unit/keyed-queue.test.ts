import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue } from '../../src/lifecycle/keyed-queue.js';
import { deferred } from '../helpers/deferred.js';

describe('KeyedSerialQueue', () => {
  it('runs work of one key in order, one at a time, and other keys alongside', async () => {
    const queue = new KeyedSerialQueue();
    const events: string[] = [];
    const gate = deferred();
    const first = queue.run('a', async () => {
      events.push('a1 start');
      await gate.promise;
      events.push('a1 end');
      return 1;
    });
    const second = queue.run('a', () => {
      events.push('a2');
      return Promise.resolve(2);
    });
    const other = queue.run('b', () => {
      events.push('b1');
      return Promise.resolve(3);
    });
    expect(await other).toBe(3);
    expect(events).toEqual(['a1 start', 'b1']);
    gate.resolve();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(events).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('lets a failure through to its caller without blocking the next run', async () => {
    const queue = new KeyedSerialQueue();
    const failed = queue.run('a', () => Promise.reject(new Error('boom')));
    const next = queue.run('a', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ok');
  });

  it('forgets keys once their work is done', async () => {
    const queue = new KeyedSerialQueue();
    await Promise.all([queue.run('a', () => Promise.resolve()), queue.run('b', () => Promise.resolve())]);
    expect(queue.activeKeys).toBe(0);
  });
});
