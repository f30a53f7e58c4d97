import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envVar, flag } from '../../src/config/config-error.js';
import { parseDuration, parseHostPort } from '../../src/config/duration.js';
import { ConfigError, loadConfig, logFormat } from '../../src/config/load-config.js';
import { tempDir } from '../helpers/temp-dir.js';
import { createTestPki } from '../helpers/test-pki.js';

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

function file(contents: unknown): string {
  const dir = tempDir('wsb-config-');
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
    const setting = value === undefined ? undefined : { value, source: envVar('LOG_FORMAT') };
    expect(logFormat(setting, tty)).toBe(expected);
  });

  it('names the flag or variable of a bad format', () => {
    expect(() => logFormat({ value: 'xml', source: flag('--log-format') })).toThrow(
      '--log-format: use json or pretty, not "xml"',
    );
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
    expect(c.maxBacklog).toBeUndefined();
    expect(c.maxInstances).toBeUndefined();
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

  it('takes the backlog limit from the file, then from the environment', () => {
    const path = file({ maxBacklog: 5000 });
    expect(loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path }).maxBacklog).toBe(5000);
    expect(loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path, BRIDGE_MAX_BACKLOG: '800' }).maxBacklog).toBe(800);
    expect(() => loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: file({ maxBacklog: 0.5 }) })).toThrow(
      /maxBacklog/,
    );
  });

  it('takes the instance limit from the file, then from the environment', () => {
    const path = file({ maxInstances: 20_000 });
    expect(loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path }).maxInstances).toBe(20_000);
    const both = { WSMAN_BRIDGE_CONFIGPATH: path, BRIDGE_MAX_INSTANCES: '5000' };
    expect(loadConfig({}, both).maxInstances).toBe(5000);
    expect(() => loadConfig({}, { BRIDGE_MAX_INSTANCES: '-3' })).toThrow(
      'BRIDGE_MAX_INSTANCES: must be a whole number >= 1, not "-3"',
    );
    expect(() => loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: file({ maxInstances: 0 }) })).toThrow(
      /maxInstances/,
    );
  });

  it('reads TLS files of static clusters as base64 PEM, relative to the working directory', () => {
    const pki = createTestPki();
    const dir = tempDir('wsb-tls-');
    writeFileSync(join(dir, 'ca.crt'), pki.ca.cert);
    writeFileSync(join(dir, 'tls.crt'), pki.client.cert);
    writeFileSync(join(dir, 'tls.key'), pki.client.key);
    const path = file({
      staticBridges: [{ name: 'a', url: 'x:1', tls: { ca: 'ca.crt', crt: 'tls.crt', key: 'tls.key' } }],
    });
    const config = loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path, TELEPRESENCE_ROOT: dir });
    const tls = config.staticClusters[0]?.tls;
    expect(Buffer.from(tls?.key ?? '', 'base64').toString()).toBe(pki.client.key);
  });

  it('refuses a plain-text static cluster only for a command that connects to it', () => {
    const flags = { clusters: ['a=127.0.0.1:1'] };
    expect(loadConfig(flags, {}).staticClusters.map((c) => c.name)).toEqual(['a']);
    expect(() => loadConfig(flags, {}, { connectsToClusters: true })).toThrow(
      '--cluster "a=127.0.0.1:1": cluster "a" has no TLS; allow plain text with --allow-plaintext-clusters or ALLOW_PLAINTEXT_CLUSTERS=true',
    );
    const allowed = loadConfig(flags, { ALLOW_PLAINTEXT_CLUSTERS: 'true' }, { connectsToClusters: true });
    expect(allowed.allowPlaintextClusters).toBe(true);
    const path = file({ staticBridges: [{ name: 'eu70', url: 'dns:///ws-manager:8080' }] });
    expect(() => loadConfig({ configPath: path }, {}, { connectsToClusters: true })).toThrow(
      `staticBridges[0] in config file ${path}: cluster "eu70" has no TLS; give it tls.ca, tls.crt and tls.key, or allow plain text with --allow-plaintext-clusters or ALLOW_PLAINTEXT_CLUSTERS=true`,
    );
  });

  it.each([
    [{ unknownKey: 1 }, 'unknownKey in config file PATH: unknown key (see docs/configuration.md)'],
    [
      { controllerIntervalSeconds: -1 },
      'controllerIntervalSeconds in config file PATH: Too small: expected number to be >0',
    ],
    [
      { timeouts: { pendingPhaseSeconds: 0 } },
      'timeouts.pendingPhaseSeconds in config file PATH: Too small: expected number to be >0',
    ],
    [
      { timeouts: { runningPhaseSeconds: 10 } },
      'timeouts.runningPhaseSeconds in config file PATH: unknown key (see docs/configuration.md)',
    ],
    [
      { staticBridges: [{ url: 'x:1' }] },
      'staticBridges[0].name in config file PATH: expected string, received undefined',
    ],
    [
      { staticBridges: [{ name: 'a', url: 'http://ws-manager:8080' }] },
      'staticBridges[0].url in config file PATH: "http://ws-manager:8080" is an http(s) URL, not a gRPC target; use host:port, dns:///host:port, dns:host:port, ipv4:addr:port, ipv6:[addr]:port or unix:/path',
    ],
    [
      { staticBridges: [{ name: 'a b', url: 'x:1' }] },
      'staticBridges[0].name in config file PATH: may only contain letters, digits, ".", "_" and "-", and must start with a letter or digit',
    ],
    [
      { staticBridges: [{ name: 'a', url: 'x:1', region: 'mars' }] },
      'staticBridges[0].region in config file PATH: "mars" is not valid; use one of europe, north-america, south-america, africa, asia or ""',
    ],
    [
      { staticBridges: [{ name: 'a', url: 'x:1', tls: { ca: '/nonexistent/ca', crt: 'c', key: 'k' } }] },
      'staticBridges[0].tls.ca in config file PATH: cannot read /nonexistent/ca (ENOENT)',
    ],
    [
      {
        staticBridges: [
          { name: 'a', url: 'x:1' },
          { name: 'a', url: 'y:1' },
        ],
      },
      'staticBridges[1] in config file PATH: cluster "a" is configured twice',
    ],
    [
      { redis: { address: 'redis host:6379' } },
      'redis.address in config file PATH: not a Redis address; use host:port, e.g. redis:6379',
    ],
    [[1], 'config file PATH: expected object, received array'],
    [
      '{not json',
      'config file PATH is not valid JSON: line 1, column 2: expected a key in double quotes, found "n"',
    ],
    [
      '{\n  "installation": "eu",\n}\n',
      'config file PATH is not valid JSON: line 3, column 1: expected a key in double quotes, found "}"',
    ],
  ])('names the key or line of a bad file: %j', (contents, message) => {
    const path = file(contents);
    expect(configError(() => loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path }))).toBe(
      message.replace('PATH', path),
    );
  });

  it('refuses TLS material of a static cluster that is not a certificate and its key', () => {
    const dir = tempDir('wsb-tls-');
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
    expect(() => loadConfig({}, { WSMAN_BRIDGE_CONFIGPATH: path })).toThrow(
      `staticBridges[0] in config file ${path}: tls.ca is not a base64-encoded PEM certificate`,
    );
  });

  it.each<[string, Parameters<typeof loadConfig>[0], Record<string, string>, string]>([
    [
      'a bad interval',
      {},
      { CONTROLLER_INTERVAL_SECONDS: 'often' },
      'CONTROLLER_INTERVAL_SECONDS: invalid duration "often": use a number with ms, s, m or h (e.g. "30s")',
    ],
    ['a zero interval', {}, { CONTROLLER_INTERVAL_SECONDS: '0' }, 'CONTROLLER_INTERVAL_SECONDS: must be > 0'],
    [
      'a backlog limit that is not a count',
      {},
      { BRIDGE_MAX_BACKLOG: '1e3x' },
      'BRIDGE_MAX_BACKLOG: must be a whole number >= 1, not "1e3x"',
    ],
    [
      'a zero backlog limit',
      {},
      { BRIDGE_MAX_BACKLOG: '0' },
      'BRIDGE_MAX_BACKLOG: must be a whole number >= 1, not "0"',
    ],
    [
      'an address from env',
      {},
      { BRIDGE_HTTP_ADDR: 'nowhere' },
      'BRIDGE_HTTP_ADDR: invalid address "nowhere": use host:port (e.g. 127.0.0.1:9500)',
    ],
    [
      'an address from a flag',
      { httpAddr: '9500' },
      { BRIDGE_HTTP_ADDR: '127.0.0.1:1' },
      '--http-addr: invalid address "9500": use host:port (e.g. 127.0.0.1:9500)',
    ],
    [
      'a cluster service address',
      { clusterServiceAddr: 'x' },
      {},
      '--cluster-service-addr: invalid address "x": use host:port (e.g. 127.0.0.1:9500)',
    ],
    [
      'a boolean',
      {},
      { ADOPT_UNKNOWN_INSTANCES: 'maybe' },
      'ADOPT_UNKNOWN_INSTANCES: use true or false, not "maybe"',
    ],
    [
      'a cluster flag without url',
      { clusters: ['no-url'] },
      {},
      '--cluster "no-url": use NAME=URL, e.g. --cluster eu1=127.0.0.1:8081',
    ],
    [
      'an http cluster url',
      { clusters: ['a=https://x:1'] },
      {},
      '--cluster "a=https://x:1": "https://x:1" is an http(s) URL, not a gRPC target; use host:port, dns:///host:port, dns:host:port, ipv4:addr:port, ipv6:[addr]:port or unix:/path',
    ],
    [
      'a cluster url without port',
      { clusters: ['a=x'] },
      {},
      '--cluster "a=x": "x" needs host:port in "x" (IPv6 addresses in brackets); use host:port, dns:///host:port, dns:host:port, ipv4:addr:port, ipv6:[addr]:port or unix:/path',
    ],
    [
      'a cluster twice',
      { clusters: ['a=x:1', 'a=y:2'] },
      {},
      '--cluster "a=y:2": cluster "a" is configured twice',
    ],
    [
      'a missing file',
      { configPath: '/nonexistent/config.json' },
      {},
      '--config: cannot read config file /nonexistent/config.json (ENOENT)',
    ],
    [
      'a missing file from env',
      {},
      { WSMAN_BRIDGE_CONFIGPATH: '/nonexistent/c.json' },
      'WSMAN_BRIDGE_CONFIGPATH: cannot read config file /nonexistent/c.json (ENOENT)',
    ],
    ['a log format', {}, { LOG_FORMAT: 'xml' }, 'LOG_FORMAT: use json or pretty, not "xml"'],
    [
      'a log level',
      {},
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL: unknown log level "verbose"; use trace, debug, info, warn, error, fatal, silent',
    ],
    [
      'a log level flag',
      { logLevel: 'loud' },
      { LOG_LEVEL: 'info' },
      '--log-level: unknown log level "loud"; use trace, debug, info, warn, error, fatal, silent',
    ],
    [
      'a phase timeout',
      {},
      { TIMEOUTS_PENDING_PHASE_SECONDS: '0' },
      'TIMEOUTS_PENDING_PHASE_SECONDS: must be > 0',
    ],
    [
      'a disconnect policy',
      {},
      { STOP_INSTANCES_AFTER_DISCONNECT: 'later' },
      'STOP_INSTANCES_AFTER_DISCONNECT: invalid duration "later": use a number with ms, s, m or h (e.g. "30s")',
    ],
    [
      'a disconnect policy flag',
      { stopInstancesAfterDisconnect: '0' },
      {},
      '--stop-instances-after-disconnect: must be > 0',
    ],
    [
      'a prebuild flag from env',
      {},
      { STOPPED_PREBUILD_STATUSES: 'sometimes' },
      'STOPPED_PREBUILD_STATUSES: use true or false, not "sometimes"',
    ],
    [
      'a database url',
      {},
      { DATABASE_URL: 'foo' },
      'DATABASE_URL: "foo" is not a supported database URL; use sqlite:PATH, sqlite::memory:, postgres://… or postgresql://… (unset: ./data/bridge.db)',
    ],
    [
      'a database url flag',
      { databaseUrl: 'mysql://u:hunter2@db/x' },
      {},
      '--database-url: "mysql://u:***@db/x" is not a supported database URL; use sqlite:PATH, sqlite::memory:, postgres://… or postgresql://… (unset: ./data/bridge.db)',
    ],
    [
      'a SQLite file in a missing folder',
      {},
      { DATABASE_URL: 'sqlite:/nonexistent/dir/x.db' },
      'DATABASE_URL: the folder /nonexistent/dir does not exist; create it first (only the default ./data is created)',
    ],
    [
      'a redis url',
      {},
      { REDIS_URL: 'localhost:56379' },
      'REDIS_URL: unsupported scheme "localhost:" (expected redis://[user:password@]host[:port][/db] or rediss://...)',
    ],
    [
      'a redis url flag',
      { redisUrl: 'redis://h/x' },
      {},
      '--redis-url: the path must be a database number, got "/x"',
    ],
    [
      'a cluster service certificate without key',
      {},
      { CLUSTER_SERVICE_TLS_CERT: '/dev/null' },
      'the ClusterService certificate and key go together: give both --cluster-service-tls-cert and --cluster-service-tls-key (or CLUSTER_SERVICE_TLS_CERT and CLUSTER_SERVICE_TLS_KEY)',
    ],
    [
      'an unreadable cluster service key',
      { clusterServiceTlsKey: '/nonexistent/key' },
      {},
      '--cluster-service-tls-key: cannot read /nonexistent/key (ENOENT)',
    ],
  ])('rejects %s, naming its source', (_label, flags, env, message) => {
    expect(configError(() => loadConfig(flags, env))).toBe(message);
  });

  it('treats empty environment variables as unset', () => {
    const c = loadConfig({}, { BRIDGE_HTTP_ADDR: '', DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: '' });
    expect([c.http.port, c.databaseUrl, c.redisUrl, c.logLevel]).toEqual([
      9500,
      undefined,
      undefined,
      'info',
    ]);
  });

  it('keeps the redis address of the file unless REDIS_URL is given', () => {
    const path = file({ redis: { address: 'redis.local:6379' } });
    expect(loadConfig({ configPath: path }, {}).redisUrl).toBe('redis://redis.local:6379');
    expect(loadConfig({ configPath: path }, { REDIS_URL: 'redis://x:1' }).redisUrl).toBe('redis://x:1');
  });
});
