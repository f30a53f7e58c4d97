/** The ws-manager keepalive settings: defaults, durations from the environment, refused values. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

describe('ws-manager keepalive settings', () => {
  it('defaults to a ping every 60 s, given up after 10 s', () => {
    expect(loadConfig({}, {}).wsman.keepalive).toEqual({ timeMs: 60_000, timeoutMs: 10_000 });
  });

  it.each([
    [{ WSMAN_KEEPALIVE_TIME_SECONDS: '20' }, { timeMs: 20_000, timeoutMs: 10_000 }],
    [{ WSMAN_KEEPALIVE_TIMEOUT_SECONDS: '2.5' }, { timeMs: 60_000, timeoutMs: 2_500 }],
    [
      { WSMAN_KEEPALIVE_TIME_SECONDS: '500ms', WSMAN_KEEPALIVE_TIMEOUT_SECONDS: '1s' },
      { timeMs: 500, timeoutMs: 1_000 },
    ],
    [{ WSMAN_KEEPALIVE_TIME_SECONDS: '' }, { timeMs: 60_000, timeoutMs: 10_000 }],
  ])('reads %o', (env, keepalive) => {
    expect(loadConfig({}, env).wsman.keepalive).toEqual(keepalive);
  });

  it.each([
    ['WSMAN_KEEPALIVE_TIME_SECONDS', '0'],
    ['WSMAN_KEEPALIVE_TIMEOUT_SECONDS', 'soon'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({}, { [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({}, { [name]: value })).toThrow(name);
  });
});
