/** The last warnings the status page shows: taken from the real logger's output, redacted. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { RecentLog } from '../../src/observability/recent-log.js';

function logged(
  capacity = 20,
  level = 'info',
): { recent: RecentLog; lines: string[]; logger: ReturnType<typeof createLogger> } {
  const recent = new RecentLog({ capacity });
  const lines: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { recent, lines, logger: createLogger({ level, destination, recent }) };
}

describe('RecentLog through createLogger', () => {
  it('keeps warn and error lines, newest first, and every line still reaches the output', () => {
    const { recent, lines, logger } = logged();
    logger.info('starting');
    logger.warn({ cluster: 'eu-1' }, 'ws-manager stream lost, reconnecting');
    logger.child({ component: 'notifier' }).error('publish failed');
    expect(lines).toHaveLength(3);
    expect(recent.total).toBe(2);
    expect(recent.entries()).toEqual([
      {
        time: expect.any(String) as string,
        level: 'error',
        msg: 'publish failed',
        detail: '{"component":"notifier"}',
      },
      {
        time: expect.any(String) as string,
        level: 'warn',
        msg: 'ws-manager stream lost, reconnecting',
        detail: '{"cluster":"eu-1"}',
      },
    ]);
    expect(Number.isNaN(Date.parse(recent.entries()[0]?.time ?? ''))).toBe(false);
  });

  it('holds what the logger redacted as redacted', () => {
    const { recent, lines, logger } = logged();
    logger.warn(
      { password: 'hunter2', tls: { key: 'PRIVATE' }, instance: { ownerToken: 'tok-123' } },
      'something with secrets',
    );
    const detail = recent.entries()[0]?.detail ?? '';
    expect(detail).toContain('[redacted]');
    for (const secret of ['hunter2', 'PRIVATE', 'tok-123']) {
      expect(detail).not.toContain(secret);
      expect(lines.join('')).not.toContain(secret);
    }
  });

  it('forgets the oldest lines beyond its capacity and truncates a huge detail', () => {
    const { recent, logger } = logged(3);
    for (let i = 1; i <= 5; i += 1) logger.warn({ big: 'x'.repeat(i === 5 ? 5000 : 1) }, `warning ${i}`);
    expect(recent.total).toBe(5);
    expect(recent.entries().map((e) => e.msg)).toEqual(['warning 5', 'warning 4', 'warning 3']);
    expect(recent.entries()[0]?.detail.length).toBeLessThanOrEqual(401);
  });

  it('follows a level changed at run time on the root, children included', () => {
    const { recent, logger } = logged(20, 'error');
    const child = logger.child({ component: 'sync' });
    child.warn('hidden at error');
    logger.level = 'debug';
    child.warn('shown at debug');
    expect(recent.entries().map((e) => e.msg)).toEqual(['shown at debug']);
  });
});
