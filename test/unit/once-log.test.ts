/** OnceLog: one line per key, with keys of hostile length cut so that they cannot hold much memory. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { boundedKey, MAX_KEY_LENGTH, OnceLog } from '../../src/observability/once-log.js';
import { LogCapture } from '../helpers/log-capture.js';

/** An instance id as long as a hostile ws-manager may send (the gRPC message limit allows megabytes). */
function hugeId(n: number, length = 1_000_000): string {
  return `${String(n).padStart(8, '0')}${'x'.repeat(length)}`;
}

describe('OnceLog', () => {
  it('logs the first occurrence of a key only, at the level asked for', () => {
    const logs = new LogCapture();
    const once = new OnceLog(logs.logger);
    once.warn('i-1:too-large', { instanceId: 'i-1' }, 'refused');
    once.warn('i-1:too-large', { instanceId: 'i-1' }, 'refused');
    once.error('i-2:too-large', {}, 'refused too');
    once.debug('i-1:too-large', {}, 'never');
    expect(logs.lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'refused'],
      [50, 'refused too'],
    ]);
  });

  it('keeps short keys as they are and cuts long ones to their two ends', () => {
    expect(boundedKey('5f8c2a4e-9b1d-4c7a-8e3f-2d6b0a1c9e7f:version-out-of-range')).toBe(
      '5f8c2a4e-9b1d-4c7a-8e3f-2d6b0a1c9e7f:version-out-of-range',
    );
    const key = `${hugeId(1, 300)}:version-out-of-range`;
    const cut = boundedKey(key);
    expect(cut).toHaveLength(MAX_KEY_LENGTH);
    expect(cut).toBe(`${key.slice(0, 32)}~${key.slice(-31)}`);
  });

  it('tells conditions of one long id apart, and logs long ids that share both ends once', () => {
    const logs = new LogCapture();
    const once = new OnceLog(logs.logger);
    const id = hugeId(1, 1000);
    once.warn(`${id}:too-large`, {}, 'too large');
    once.warn(`${id}:unknown-phase`, {}, 'unknown phase');
    once.warn(`${id}:too-large`, {}, 'too large again');
    once.warn(`${id.slice(0, 40)}y${id.slice(41)}:too-large`, {}, 'same ends');
    expect(logs.lines.map((l) => l.msg)).toEqual(['too large', 'unknown phase']);
  });

  it('does not keep hostile keys alive: memory stays flat after a flood of megabyte ids', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const logs = new LogCapture();
    const once = new OnceLog(logs.logger);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < 100; n++) once.warn(`${hugeId(n)}:too-large`, {}, 'refused');
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(logs.lines).toHaveLength(100);
    // 100 ids of 1 MB each: holding any of them would grow the heap by about 1 MB per id.
    expect(grown).toBeLessThan(20_000_000);
  });
});
