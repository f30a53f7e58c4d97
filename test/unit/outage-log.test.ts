/** One line when an outage starts and one when it ends, whatever the number of failures between. */
import { describe, expect, it } from 'vitest';
import { OutageLog } from '../../src/observability/outage-log.js';
import { LogCapture } from '../helpers/log-capture.js';

describe('OutageLog', () => {
  it('logs the first failure and the recovery once, with the failures counted', () => {
    const logs = new LogCapture();
    const outage = new OutageLog(logs.logger, 'redis publish');
    outage.recovered();
    expect(logs.lines).toEqual([]);
    outage.failed(new Error('connection refused'), { pending: 3 });
    outage.failed(new Error('connection refused again'));
    expect(outage.down).toBe(true);
    outage.recovered({ pending: 0 });
    expect(outage.down).toBe(false);
    expect(logs.lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'redis publish failed; retrying with backoff'],
      [30, 'redis publish recovered'],
    ]);
    expect(logs.lines[0]).toMatchObject({ err: 'connection refused', pending: 3 });
    expect(logs.lines[1]).toMatchObject({ failures: 2, pending: 0 });
  });

  it('takes the level and the wording of its lines from options', () => {
    const logs = new LogCapture();
    const outage = new OutageLog(logs.logger, 'ws-manager stream', {
      level: 'error',
      failed: 'stream lost, reconnecting',
      recovered: 'stream back',
    });
    outage.failed('stream ended');
    outage.recovered();
    expect(logs.lines.map((l) => [l.level, l.msg, l.err])).toEqual([
      [50, 'stream lost, reconnecting', 'stream ended'],
      [30, 'stream back', undefined],
    ]);
  });
});
