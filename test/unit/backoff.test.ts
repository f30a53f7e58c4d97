import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from '../../src/lifecycle/backoff.js';

describe('backoffDelay', () => {
  it.each([
    // attempt, random, expected: ceiling = min(30000, 250 * 2^attempt), delay = floor(random * ceiling)
    [0, 0.999999, 249],
    [1, 0.5, 250],
    [2, 0.5, 500],
    [6, 0.5, 8000],
    [7, 0.999999, 29999],
    [8, 0.999999, 29999],
    [50, 0.5, 15000],
    [3, 0, 0],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => random)).toBe(expected);
  });

  it('spreads delays over the whole window (full jitter)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(Math.floor(backoffDelay(4, DEFAULT_BACKOFF) / 400));
    // ceiling 4000 ms cut into ten 400 ms slices: random delays land in most of them
    expect(seen.size).toBeGreaterThanOrEqual(8);
  });
});

describe('Backoff', () => {
  it('grows per failure and starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2 }, () => 0.999);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([99, 199, 399, 799, 999]);
    expect(b.attempt).toBe(5);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(99);
  });
});
