import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseHostPort } from '../../src/config/duration.js';
import { ConfigError, loadConfig, logFormat } from '../../src/config/load-config.js';

function file(contents: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsb-config-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return path;
}

describe('parseDuration', () => {
  it.each([
    ['250ms', 'ms', 250],
    ['30s', 'ms', 30_000],
    ['1.5m', 'ms', 90_000],
    ['2h', 'ms', 7_200_000],
    ['60', 's', 60_000],
    ['60', 'ms', 60],
    [5, 's', 5000],
  ] as const)('%s (default unit %s) is %i ms', (input, unit, ms) => {
    expect(parseDuration(input, unit)).toBe(ms);
  });

  it.each(['', 'soon', '-1s', '10d', '1e3'])('rejects %j', (input) => {
    expect(() => parseDuration(input)).toThrow(/invalid duration/);
  });
});

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:9500', '127.0.0.1', 9500],
    [':8080', '127.0.0.1', 8080],
    ['[::1]:80', '::1', 80],
    ['0.0.0.0:0', '0.0.0.0', 0],
  ])('%s', (input, host, port) => {
    expect(parseHostPort(input)).toEqual({ host, port });
  });
  it.each(['localhost', '1.2.3.4:99999', 'host:port'])('rejects %s', (input) => {
    expect(() => parseHostPort(input)).toThrow(/invalid (address|port)/);
  });
});

describe('logFormat', () => {
  it.each([
    [undefined, true, 'pretty'],
    [undefined, false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as const)('%s on a terminal=%s is %s', (value, tty, expected) => {
    expect(logFormat(value, tty)).toBe(expected);
  });
});

describe('loadConfig', () => {
  it('applies documented defaults and runs the demo when no cluster is configured', () => {
    const c = loadConfig({}, {});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.demo.enabled).toBe(true);
    expect(c.controllerIntervalMs).toBe(60_000);
    expect(c.controllerMaxDisconnectMs).toBe(150_000);
    expect(c.clusterReconcileIntervalMs).toBe(60_000);
    expect(c.wsman.tlsServerName).toBe('ws-manager');
    expect(c.wsman.backoff).toEqual({ initialMs: 250, maxMs: 30_000, factor: 2 });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9500 });
    expect(c.clusterService).toEqual({
      host: '127.0.0.1',
      port: 8080,
      token: undefined,
      tls: undefined,
      insecure: false,
    });
    expect(c.timeouts).toEqual({
      preparingMs: 3_600_000,
      buildingMs: 3_600_000,
      unknownMs: 600_000,
      pendingMs: 3_600_000,
      stoppingMs: 3_600_000,
    });
    expect(c.stopInstancesAfterDisconnectMs).toBeUndefined();
    expect(c.stoppedPrebuildStatuses).toBe(false);
    expect(c.installation).toBe('default');
    expect(c.clusterLeaseMs).toBe(15_000);
    expect(c.replicaId).toBe(`${hostname()}-${process.pid}`);
    expect(Object.isFrozen(c) && Object.isFrozen(c.wsman.backoff)).toBe(true);
  });

  it('takes phase timeouts from the file (original names), then from the environment', () => {
    const path = file({ timeouts: { pendingPhaseSeconds: 120, unknownPhaseSeconds: 30 } });
    const fromFile = loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path });
    expect(fromFile.timeouts).toMatchObject({ pendingMs: 120_000, unknownMs: 30_000, stoppingMs: 3_600_000 });
    const withEnv = loadConfig(
      {},
      {
        WSMAN_BRIDGE_CONFIGPATH: path,
        TIMEOUTS_PENDING_PHASE_SECONDS: '5m',
        TIMEOUTS_PREPARING_PHASE_SECONDS: '90',
        TIMEOUTS_BUILDING_PHASE_SECONDS: '2h',
        TIMEOUTS_STOPPING_PHASE_SECONDS: '1500ms',
        TIMEOUTS_UNKNOWN_PHASE_SECONDS: '',
      },
    );
    expect(withEnv.timeouts).toEqual({
      preparingMs: 90_000,
      buildingMs: 7_200_000,
      unknownMs: 30_000,
      pendingMs: 300_000,
      stoppingMs: 1500,
    });
  });

  it('takes the replica id and the lease duration from env over the file', () => {
    const path = file({ clusterLeaseSeconds: 30 });
    expect(loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path }).clusterLeaseMs).toBe(30_000);
    const c = loadConfig(
      {},
      { WSMAN_BRIDGE_CONFIGPATH: path, CLUSTER_LEASE_SECONDS: '6', BRIDGE_REPLICA_ID: 'r-1' },
    );
    expect(c.clusterLeaseMs).toBe(6000);
    expect(c.replicaId).toBe('r-1');
  });

  it('takes the disconnect policy and the prebuild variant from flags over env', () => {
    const env = { STOP_INSTANCES_AFTER_DISCONNECT: '30m', STOPPED_PREBUILD_STATUSES: 'true' };
    const fromEnv = loadConfig({}, env);
    expect(fromEnv.stopInstancesAfterDisconnectMs).toBe(1_800_000);
    expect(fromEnv.stoppedPrebuildStatuses).toBe(true);
    const fromFlags = loadConfig(
      { stopInstancesAfterDisconnect: '10m', stoppedPrebuildStatuses: false },
      env,
    );
    expect(fromFlags.stopInstancesAfterDisconnectMs).toBe(600_000);
    expect(fromFlags.stoppedPrebuildStatuses).toBe(false);
  });

  it('reads the original JSON file, then env wins over it, then flags win over env', () => {
    const path = file({
      installation: 'eu',
      controllerIntervalSeconds: 30,
      clusterService: { host: 'localhost', port: 8081 },
      redis: { address: 'redis.local:6379' },
      staticBridges: [{ name: 'eu70', url: 'dns:///ws-manager-mk2:8080' }],
      clusterSyncIntervalSeconds: 60,
      emulatePreparingIntervalSeconds: 10,
    });
    const fromFile = loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path });
    expect(fromFile.installation).toBe('eu');
    expect(fromFile.controllerIntervalMs).toBe(30_000);
    expect(fromFile.clusterService).toMatchObject({ host: 'localhost', port: 8081 });
    expect(fromFile.redisUrl).toBe('redis://redis.local:6379');
    expect(fromFile.staticClusters.map((s) => [s.name, s.url, s.score, s.state])).toEqual([
      ['eu70', 'dns:///ws-manager-mk2:8080', 50, 'available'],
    ]);
    expect(fromFile.demo.enabled).toBe(false);

    const withEnv = loadConfig(
      {},
      { WSMAN_BRIDGE_CONFIGPATH: path, CONTROLLER_INTERVAL_SECONDS: '5', REDIS_URL: 'redis://x:1' },
    );
    expect(withEnv.controllerIntervalMs).toBe(5000);
    expect(withEnv.redisUrl).toBe('redis://x:1');

    const withFlags = loadConfig(
      { redisUrl: 'redis://flag:2', clusters: ['b=127.0.0.1:1'] },
      { WSMAN_BRIDGE_CONFIGPATH: path, REDIS_URL: 'redis://x:1' },
    );
    expect(withFlags.redisUrl).toBe('redis://flag:2');
    expect(withFlags.staticClusters.map((s) => s.name)).toEqual(['eu70', 'b']);
  });

  it('reads TLS files of static clusters as base64 PEM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsb-tls-'));
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(dir, f), `-----BEGIN ${f}-----\n`);
    const path = file({
      staticBridges: [
        {
          name: 'a',
          url: 'x:1',
          tls: { ca: join(dir, 'ca.crt'), crt: join(dir, 'tls.crt'), key: join(dir, 'tls.key') },
        },
      ],
    });
    const tls = loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path }).staticClusters[0]?.tls;
    expect(Buffer.from(tls?.key ?? '', 'base64').toString()).toBe('-----BEGIN tls.key-----\n');
  });

  it.each([
    [{ unknownKey: 1 }, /unknownKey|Unrecognized/i],
    [{ controllerIntervalSeconds: -1 }, /controllerIntervalSeconds/],
    [{ timeouts: { pendingPhaseSeconds: 0 } }, /timeouts\.pendingPhaseSeconds/],
    [{ timeouts: { runningPhaseSeconds: 10 } }, /runningPhaseSeconds|Unrecognized/i],
    [{ staticBridges: [{ url: 'x:1' }] }, /staticBridges\.0\.name/],
    ['{not json', /not valid JSON/],
  ])('names the bad setting in the file: %j', (contents, message) => {
    expect(() => loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: file(contents) })).toThrow(message);
  });

  it.each([
    [{}, { CONTROLLER_INTERVAL_SECONDS: 'often' }, /CONTROLLER_INTERVAL_SECONDS/],
    [{}, { CONTROLLER_INTERVAL_SECONDS: '0' }, /CONTROLLER_INTERVAL_SECONDS/],
    [{}, { BRIDGE_HTTP_ADDR: 'nowhere' }, /BRIDGE_HTTP_ADDR/],
    [{}, { ADOPT_UNKNOWN_INSTANCES: 'maybe' }, /ADOPT_UNKNOWN_INSTANCES/],
    [{ clusters: ['no-url'] }, {}, /--cluster "no-url"/],
    [{ clusters: ['a=x:1', 'a=y:2'] }, {}, /configured twice/],
    [{ configPath: '/nonexistent/config.json' }, {}, /cannot read config file/],
    [{}, { LOG_FORMAT: 'xml' }, /LOG_FORMAT/],
    [{}, { TIMEOUTS_PENDING_PHASE_SECONDS: '0' }, /TIMEOUTS_PENDING_PHASE_SECONDS/],
    [{}, { TIMEOUTS_STOPPING_PHASE_SECONDS: 'soon' }, /TIMEOUTS_STOPPING_PHASE_SECONDS/],
    [{}, { STOP_INSTANCES_AFTER_DISCONNECT: 'later' }, /STOP_INSTANCES_AFTER_DISCONNECT/],
    [{ stopInstancesAfterDisconnect: '0' }, {}, /--stop-instances-after-disconnect/],
    [{}, { STOPPED_PREBUILD_STATUSES: 'sometimes' }, /STOPPED_PREBUILD_STATUSES/],
  ])('rejects flags %j env %j', (flags, env, message) => {
    expect(() => loadConfig(flags, env)).toThrow(ConfigError);
    expect(() => loadConfig(flags, env)).toThrow(message);
  });
});
