import { describe, expect, it } from 'vitest';
import { isAbortError, untilAborted } from '../../src/lifecycle/abort.js';

describe('untilAborted', () => {
  it('passes the work through when no signal fires', async () => {
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('boom')), undefined)).rejects.toThrow('boom');
  });

  it('stops waiting with an AbortError when the signal fires first, or has fired already', async () => {
    const never = new Promise<number>(() => undefined);
    const controller = new AbortController();
    const waiting = untilAborted(never, controller.signal);
    controller.abort();
    const error: unknown = await waiting.catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    const late: unknown = await untilAborted(never, controller.signal).catch((e: unknown) => e);
    expect(isAbortError(late)).toBe(true);
  });
});
