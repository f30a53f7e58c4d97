/** The signal owner, driven with emitted signals: one request per Ctrl-C, a real second signal forces. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { onShutdownSignal } from '../../src/cli/shutdown.js';
import { silentLogger } from '../../src/observability/logger.js';

interface Run {
  code: Promise<number>;
  stops: number;
  exits: number[];
  /** Lets the orderly teardown finish with the given outcome. */
  finish(clean: boolean | Error): void;
}

const finishers: (() => void)[] = [];
afterEach(() => {
  // Every run ends its teardown, which removes its handlers before the next test.
  for (const finish of finishers.splice(0)) finish();
  vi.useRealTimers();
});

function run(options: { duplicateWindowMs?: number; forceAfterMs?: number } = {}): Run {
  let settle: (clean: boolean | Error) => void = () => undefined;
  const state: Run = {
    stops: 0,
    exits: [],
    finish: (clean) => settle(clean),
    code: Promise.resolve(0),
  };
  state.code = onShutdownSignal({
    logger: silentLogger(),
    ...options,
    exit: (code) => state.exits.push(code),
    stop: () => {
      state.stops += 1;
      return new Promise<boolean>((resolve, reject) => {
        settle = (clean) => (clean instanceof Error ? reject(clean) : resolve(clean));
      });
    },
  });
  finishers.push(() => state.finish(true));
  return state;
}

describe('onShutdownSignal', () => {
  it.each([
    [true, EXIT.ok],
    [false, EXIT.failure],
    [new Error('store did not close'), EXIT.failure],
  ] as const)('stops once and exits by the outcome of the teardown (%s)', async (outcome, code) => {
    const r = run();
    process.emit('SIGTERM', 'SIGTERM');
    expect(r.stops).toBe(1);
    r.finish(outcome);
    expect(await r.code).toBe(code);
    expect(r.exits).toEqual([]);
  });

  it('takes the same signal arriving twice at once (terminal and npm) as one request', async () => {
    const r = run({ duplicateWindowMs: 60_000 });
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    expect([r.stops, r.exits]).toEqual([1, []]);
    r.finish(true);
    expect(await r.code).toBe(EXIT.ok);
  });

  it.each([
    ['the same signal after the window', 'SIGINT', 0],
    ['another signal at once', 'SIGTERM', 60_000],
  ] as const)('forces the exit on %s', (_label, second, duplicateWindowMs) => {
    const r = run({ duplicateWindowMs });
    process.emit('SIGINT', 'SIGINT');
    process.emit(second, second);
    expect([r.stops, r.exits]).toEqual([1, [EXIT.forced]]);
  });

  it('forces the exit when the teardown takes longer than the limit', () => {
    vi.useFakeTimers();
    const r = run({ forceAfterMs: 30_000 });
    process.emit('SIGTERM', 'SIGTERM');
    vi.advanceTimersByTime(29_999);
    expect(r.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(r.exits).toEqual([EXIT.forced]);
  });

  it('removes its handlers once the teardown has finished', async () => {
    const before = process.listenerCount('SIGTERM');
    const r = run();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    process.emit('SIGTERM', 'SIGTERM');
    r.finish(true);
    await r.code;
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
