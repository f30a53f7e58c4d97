import { describe, expect, it } from 'vitest';
import { Wakeup } from '../../src/lifecycle/wakeup.js';

describe('Wakeup', () => {
  it('ends an endless wait on wake()', async () => {
    const wakeup = new Wakeup();
    const waiting = wakeup.wait(Infinity, new AbortController().signal);
    expect(wakeup.waiting).toBe(true);
    wakeup.wake();
    await waiting;
    expect(wakeup.waiting).toBe(false);
  });

  it('ends a wait when the signal aborts, and returns at once when already aborted', async () => {
    const wakeup = new Wakeup();
    const controller = new AbortController();
    const waiting = wakeup.wait(Infinity, controller.signal);
    controller.abort();
    await waiting;
    await wakeup.wait(Infinity, controller.signal);
    expect(wakeup.waiting).toBe(false);
  });

  it('ends a wait after its delay', async () => {
    const wakeup = new Wakeup();
    await wakeup.wait(1, new AbortController().signal);
    expect(wakeup.waiting).toBe(false);
  });

  it('ignores wake() when nobody waits', () => {
    expect(() => new Wakeup().wake()).not.toThrow();
  });
});
