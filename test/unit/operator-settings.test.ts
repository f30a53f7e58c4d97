/** Settings of issue 8's compatibility: health and debug addresses, REDIS_USERNAME and REDIS_PASSWORD. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigFlags } from '../../src/config/load-config.js';
import { parseRedisUrl, redisUrlWithCredentials } from '../../src/pubsub/redis-url.js';
import { tempDir } from '../helpers/temp-dir.js';

type Env = Record<string, string>;

function load(flags: ConfigFlags = {}, env: Env = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ demo: false, ...flags }, env);
}

/** The message of the ConfigError `run` throws. */
function configError(run: () => unknown): string {
  try {
    run();
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('health and debug addresses', () => {
  it('default to the original: health on all interfaces at 9090, debug on loopback at 6060', () => {
    const config = load();
    expect(config.health).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.debug).toEqual({ host: '127.0.0.1', port: 6060 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9500 });
  });

  it.each<[string, ConfigFlags, Env, Partial<ReturnType<typeof load>>]>([
    ['env', {}, { BRIDGE_HEALTH_ADDR: '10.0.0.5:19090' }, { health: { host: '10.0.0.5', port: 19090 } }],
    [
      'flag over env',
      { healthAddr: '127.0.0.1:1' },
      { BRIDGE_HEALTH_ADDR: '10.0.0.5:19090' },
      { health: { host: '127.0.0.1', port: 1 } },
    ],
    ['health off', { healthAddr: 'off' }, {}, { health: undefined }],
    ['debug off by env', {}, { BRIDGE_DEBUG_ADDR: 'OFF' }, { debug: undefined }],
    ['debug on ::1', { debugAddr: '[::1]:7070' }, {}, { debug: { host: '::1', port: 7070 } }],
    [
      'debug on localhost',
      {},
      { BRIDGE_DEBUG_ADDR: 'localhost:0' },
      { debug: { host: 'localhost', port: 0 } },
    ],
  ])('%s', (_label, flags, env, expected) => {
    expect(load(flags, env)).toMatchObject(expected);
  });

  it.each<[string, ConfigFlags, Env, string]>([
    ['a health address without a port', { healthAddr: '9090' }, {}, '--health-addr: invalid address "9090"'],
    ['a bad env value', {}, { BRIDGE_HEALTH_ADDR: 'x:99999' }, 'BRIDGE_HEALTH_ADDR: invalid port'],
    [
      'a debug endpoint off loopback',
      { debugAddr: '0.0.0.0:6060' },
      {},
      '--debug-addr: the debug endpoint has no authentication and listens on loopback only',
    ],
    [
      'a debug address from env off loopback',
      {},
      { BRIDGE_DEBUG_ADDR: '10.1.2.3:6060' },
      'BRIDGE_DEBUG_ADDR:',
    ],
  ])('refuses %s, naming the setting', (_label, flags, env, text) => {
    expect(configError(() => load(flags, env))).toContain(text);
  });
});

describe('REDIS_USERNAME and REDIS_PASSWORD', () => {
  const hostile = 'p@ss:w/rd%41 #?';

  it.each<[string, Env, { username?: string; password?: string; host: string }]>([
    [
      'both added to REDIS_URL',
      { REDIS_URL: 'redis://cache:6380/2', REDIS_USERNAME: 'bridge', REDIS_PASSWORD: hostile },
      { username: 'bridge', password: hostile, host: 'cache' },
    ],
    [
      'a password alone (default user)',
      { REDIS_URL: 'redis://cache', REDIS_PASSWORD: 'pw' },
      { password: 'pw', host: 'cache' },
    ],
    [
      'the same password in the URL and the env',
      { REDIS_URL: 'redis://:pw@cache', REDIS_PASSWORD: 'pw' },
      { password: 'pw', host: 'cache' },
    ],
    [
      'a user name for the password in the URL',
      { REDIS_URL: 'redis://:pw@cache', REDIS_USERNAME: 'bridge' },
      { username: 'bridge', password: 'pw', host: 'cache' },
    ],
  ])('%s', (_label, env, expected) => {
    const url = load({}, env).redisUrl as string;
    expect(parseRedisUrl(url)).toMatchObject(expected);
  });

  it("are added to the config file's redis.address, as the original reads them", () => {
    const dir = tempDir('wsb-redis-');
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ redis: { address: 'redis.gitpod:6379' } }));
    const url = load({ configPath: path }, { REDIS_USERNAME: 'u', REDIS_PASSWORD: hostile })
      .redisUrl as string;
    expect(parseRedisUrl(url)).toMatchObject({
      host: 'redis.gitpod',
      port: 6379,
      username: 'u',
      password: hostile,
    });
  });

  it.each<[string, Env, string]>([
    ['a password without any Redis', { REDIS_PASSWORD: 'hunter2' }, 'REDIS_PASSWORD: is set but no Redis'],
    ['a user name without any Redis', { REDIS_USERNAME: 'bridge' }, 'REDIS_USERNAME: is set but no Redis'],
    [
      'a user name without a password',
      { REDIS_URL: 'redis://cache', REDIS_USERNAME: 'bridge' },
      'REDIS_USERNAME: needs a password',
    ],
    [
      'two different passwords',
      { REDIS_URL: 'redis://:hunter1@cache', REDIS_PASSWORD: 'hunter2' },
      'REDIS_PASSWORD and the one in REDIS_URL differ',
    ],
    [
      'two different user names',
      { REDIS_URL: 'redis://alice:hunter1@cache', REDIS_USERNAME: 'bob', REDIS_PASSWORD: 'hunter1' },
      'REDIS_USERNAME and the one in REDIS_URL differ',
    ],
  ])('refuse %s without echoing a secret', (_label, env, text) => {
    const message = configError(() => load({}, env));
    expect(message).toContain(text);
    expect(message).not.toMatch(/hunter/);
  });

  it('round-trip through the URL exactly, whatever characters the password holds', () => {
    for (const password of [hostile, 'ünïcødé', '%', '%25', 'a b', '::', '@@']) {
      const url = redisUrlWithCredentials('redis://h:1/3', { username: 'u@x', password });
      expect(parseRedisUrl(url)).toEqual({
        host: 'h',
        port: 1,
        db: 3,
        tls: false,
        username: 'u@x',
        password,
      });
    }
  });
});
