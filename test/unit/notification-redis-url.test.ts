import { describe, expect, it } from 'vitest';
import { InvalidRedisUrlError, parseRedisUrl, scrubSecret } from '../../src/pubsub/redis-url.js';

describe('parseRedisUrl', () => {
  it.each([
    ['redis://localhost', { host: 'localhost', port: 6379, db: 0, tls: false }],
    ['redis://10.0.0.5:6380/2', { host: '10.0.0.5', port: 6380, db: 2, tls: false }],
    ['redis://:only-pw@h', { host: 'h', port: 6379, db: 0, tls: false, password: 'only-pw' }],
    [
      'redis://us%40er:p%3Ass%2Fw@h:1/0',
      { host: 'h', port: 1, db: 0, tls: false, username: 'us@er', password: 'p:ss/w' },
    ],
    [
      'rediss://cache.example.com',
      { host: 'cache.example.com', port: 6379, db: 0, tls: true, servername: 'cache.example.com' },
    ],
    ['rediss://127.0.0.1:7000', { host: '127.0.0.1', port: 7000, db: 0, tls: true }],
    ['redis://[::1]:7001', { host: '::1', port: 7001, db: 0, tls: false }],
    ['  redis://h/  ', { host: 'h', port: 6379, db: 0, tls: false }],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it.each([
    ['not a url', 'redis://user:hunter2 pw@', /not a URL/],
    ['another scheme', 'http://user:hunter2@h', /unsupported scheme "http:"/],
    ['no host', 'redis://user:hunter2@', /not a URL|missing host/],
    ['query parameters', 'redis://user:hunter2@h?tls=true', /query parameters/],
    ['a path that is not a db number', 'redis://user:hunter2@h/cache', /database number/],
  ])('rejects %s without echoing the password', (_name, url, message) => {
    let caught: unknown;
    try {
      parseRedisUrl(url);
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRedisUrlError);
    expect((caught as InvalidRedisUrlError).code).toBe('INVALID_REDIS_URL');
    expect(String(caught)).toMatch(message);
    expect(String(caught)).not.toContain('hunter2');
  });
});

describe('scrubSecret', () => {
  it('replaces every occurrence of the secret', () => {
    expect(scrubSecret('auth pw failed for pw', 'pw')).toBe('auth *** failed for ***');
  });
  it('leaves text alone without a secret', () => {
    expect(scrubSecret('text', undefined)).toBe('text');
    expect(scrubSecret('text', '')).toBe('text');
  });
});
