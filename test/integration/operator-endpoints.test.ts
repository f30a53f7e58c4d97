/**
 * The operator addresses of a running bridge: health and readiness alone on their own address, the
 * metrics address with metrics, status and health, the loopback debug endpoint that changes the log
 * level, and REDIS_USERNAME/REDIS_PASSWORD against a real Redis user.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import type { ConfigFlags } from '../../src/config/load-config.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase } from '../helpers/databases.js';
import { LogCapture } from '../helpers/log-capture.js';
import { unusedPort } from '../helpers/tcp-proxy.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function bridgeWith(
  flags: ConfigFlags,
  env: Record<string, string> = {},
  logs = new LogCapture('info'),
): Promise<Bridge> {
  const db = await createTestDatabase('sqlite');
  cleanups.push(() => db.drop());
  const bridge = await createBridge(testBridgeConfig(db.url, [], flags, env), { logger: logs.logger });
  cleanups.push(() => bridge.stop());
  await bridge.start();
  return bridge;
}

async function call(
  port: number | undefined,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; type: string; body: string }> {
  expect(port).toBeTypeOf('number');
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

function post(body: string): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body };
}

describe('health address', () => {
  it('serves only health and readiness, on all interfaces; the metrics address serves everything', async () => {
    const bridge = await bridgeWith({ healthAddr: '0.0.0.0:0' });
    const health = bridge.healthPort;
    expect(health).not.toBe(bridge.httpPort);

    expect(await call(health, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const ready = await call(health, '/readyz');
    expect(ready.type).toBe('application/json');
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, checks: { database: { ok: true } } });
    for (const path of ['/metrics', '/', '/status.json', '/debug/logging']) {
      expect((await call(health, path)).status).toBe(404);
    }

    const metrics = bridge.httpPort;
    expect((await call(metrics, '/metrics')).body).toContain(
      'gitpod_ws_manager_bridge_notifications_pending',
    );
    expect(await call(metrics, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await call(metrics, '/')).type).toBe('text/html; charset=utf-8');
    expect(JSON.parse((await call(metrics, '/status.json')).body)).toMatchObject({ bridge: 'running' });
    expect((await call(metrics, '/metrics', post('{}'))).status).toBe(405);
    expect((await call(metrics, '/debug/logging')).status).toBe(404);

    await bridge.stop();
    expect((await call(health, '/healthz').catch(() => ({ status: 0 }))).status).toBe(0);
  });

  it('is served by the metrics server when both name the same address, and can be switched off', async () => {
    const port = await unusedPort();
    const shared = await bridgeWith({ httpAddr: `127.0.0.1:${port}`, healthAddr: `127.0.0.1:${port}` });
    expect(shared.httpPort).toBe(port);
    expect(shared.healthPort).toBeUndefined();
    expect((await call(port, '/healthz')).status).toBe(200);

    const off = await bridgeWith({ healthAddr: 'off', debugAddr: 'off' });
    expect(off.healthPort).toBeUndefined();
    expect(off.debugPort).toBeUndefined();
    expect((await call(off.httpPort, '/readyz')).status).toBe(200);
  });
});

describe('debug endpoint', () => {
  it('changes the log level at run time, for loggers created before the change too', async () => {
    const logs = new LogCapture('info');
    const bridge = await bridgeWith({}, {}, logs);
    const earlier = logs.logger.child({ component: 'probe' });
    earlier.debug('before the change');
    expect(await call(bridge.debugPort, '/debug/logging')).toMatchObject({
      status: 200,
      body: '{"level":"info"}\n',
    });

    const changed = await call(bridge.debugPort, '/debug/logging', post('{"level":"debug"}'));
    expect(changed).toMatchObject({ status: 200, type: 'application/json' });
    expect(JSON.parse(changed.body)).toEqual({ level: 'debug', previous: 'info' });
    earlier.debug('after the change');
    expect(logs.matching('before the change')).toHaveLength(0);
    expect(logs.matching('after the change')).toHaveLength(1);
    expect(logs.matching('log level changed through the debug endpoint')[0]).toMatchObject({
      level: 40,
      logLevel: 'debug',
      previous: 'info',
    });

    await call(bridge.debugPort, '/debug/logging', post('{"level":"warn"}'));
    earlier.info('quiet now');
    expect(logs.matching('quiet now')).toHaveLength(0);
  });

  it.each([
    ['a body that is not JSON', 'level=debug', 'the body is not JSON; send {"level": "<level>"}'],
    ['no level', '{}', 'the body has no "level" string'],
    ['a level that is not a string', '{"level": 20}', 'the body has no "level" string'],
    ['null', 'null', 'the body has no "level" string'],
    ['an unknown level', '{"level": "verbose"}', 'unknown log level "verbose"; use trace, debug, info'],
  ])('answers 400 for %s and leaves the level alone', async (_label, body, message) => {
    const logs = new LogCapture('info');
    const bridge = await bridgeWith({}, {}, logs);
    const reply = await call(bridge.debugPort, '/debug/logging', post(body));
    expect(reply.status).toBe(400);
    expect(reply.body).toContain(message);
    expect(logs.logger.level).toBe('info');
  });

  it('refuses other methods, other paths and oversized bodies', async () => {
    const bridge = await bridgeWith({});
    expect((await call(bridge.debugPort, '/debug/logging', { method: 'PUT', body: '{}' })).status).toBe(405);
    expect((await call(bridge.debugPort, '/metrics')).status).toBe(404);
    const huge = JSON.stringify({ level: 'debug', pad: 'x'.repeat(100_000) });
    expect((await call(bridge.debugPort, '/debug/logging', post(huge))).status).toBe(413);
  });
});

describe('REDIS_USERNAME and REDIS_PASSWORD', () => {
  const redisUrl = inject('redisUrl');

  it('authenticate the bridge as that Redis user, and are never logged or shown', async () => {
    const admin = new Redis(redisUrl);
    const user = `wsb-test-${randomUUID()}`;
    const password = `pw-${randomUUID()}`;
    cleanups.push(async () => {
      await admin.call('ACL', 'DELUSER', user);
      await admin.quit();
    });
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '+@all', '~*', '&*');

    const logs = new LogCapture('debug');
    const bridge = await bridgeWith({ redisUrl }, { REDIS_USERNAME: user, REDIS_PASSWORD: password }, logs);
    await vi.waitFor(async () => {
      const ready = JSON.parse((await call(bridge.httpPort, '/readyz')).body) as {
        checks: Record<string, { ok: boolean }>;
      };
      expect(ready.checks.notifications?.ok).toBe(true);
    });
    expect(String(await admin.call('CLIENT', 'LIST'))).toContain(`user=${user}`);

    const wrong = new LogCapture('debug');
    const refused = await bridgeWith({ redisUrl }, { REDIS_USERNAME: user, REDIS_PASSWORD: 'not-it' }, wrong);
    let detail = '';
    await vi.waitFor(async () => {
      detail = (await call(refused.httpPort, '/readyz')).body;
      expect(detail).toMatch(
        /"notifications":\{"ok":false,"detail":"[^"]*(WRONGPASS|invalid username-password)/,
      );
    });
    for (const text of [
      ...logs.raw,
      ...wrong.raw,
      detail,
      (await call(bridge.httpPort, '/status.json')).body,
    ]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain('not-it');
    }
  });
});
