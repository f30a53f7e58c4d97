/**
 * Every bad input a newcomer meets, run as a real child process: the exact exit code and the single
 * line on stderr, which names the flag, variable or file key to fix.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wsb-cli-errors-'));

/** Writes a config file into the test folder and returns its path. */
function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const files = {
  badJson: configFile(
    'bad.json',
    '{\n  "installation": "eu",\n  "staticBridges": [\n    {"name": "a",}\n  ]\n}\n',
  ),
  badRedis: configFile('redis.json', JSON.stringify({ redis: { address: 'redis host:6379' } })),
  httpCluster: configFile(
    'http.json',
    JSON.stringify({ staticBridges: [{ name: 'eu70', url: 'http://ws-manager:8080' }] }),
  ),
  plainCluster: configFile(
    'plain.json',
    JSON.stringify({ staticBridges: [{ name: 'eu70', url: 'dns:///ws-manager:8080' }] }),
  ),
};

/** Settings of the bridge that may be set where the tests run; a child starts without them. */
const BRIDGE_ENV = [
  'DATABASE_URL',
  'REDIS_URL',
  'LOG_LEVEL',
  'BRIDGE_HTTP_ADDR',
  'BRIDGE_HEALTH_ADDR',
  'BRIDGE_DEBUG_ADDR',
  'CLUSTER_SERVICE_ADDR',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'CLUSTER_SERVICE_TOKEN',
  'WSMAN_BRIDGE_CONFIGPATH',
  'ALLOW_PLAINTEXT_CLUSTERS',
  'GRPC_VERBOSITY',
  'GRPC_NODE_VERBOSITY',
  'GRPC_TRACE',
  'GRPC_NODE_TRACE',
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ws-manager-bridge <args>` from the sources, as `npx ws-manager-bridge` would from dist. */
function run(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json' };
  for (const name of BRIDGE_ENV) delete base[name];
  // Rows that get as far as listening must not compete for the fixed default ports.
  Object.assign(base, { BRIDGE_HEALTH_ADDR: '127.0.0.1:0', BRIDGE_DEBUG_ADDR: '127.0.0.1:0' });
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Ports the rows need: one held by another listener, one where nothing listens. */
interface Ports {
  taken: number;
  free: number;
}
const ports: Ports = { taken: 0, free: 0 };
let blocker: Server;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(portOf(server))));
}
function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

beforeAll(async () => {
  blocker = createServer();
  ports.taken = await listen(blocker);
  const probe = createServer();
  ports.free = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await new Promise((resolve) => blocker.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A quiet serve that binds loopback ports of its own and touches no file. */
const SERVE = ['serve', '--no-demo', '--http-addr', '127.0.0.1:0', '--cluster-service-addr', '127.0.0.1:0'];
const MEMORY = { DATABASE_URL: 'sqlite::memory:' };
const URL_FORMS =
  'use host:port, dns:///host:port, dns:host:port, ipv4:addr:port, ipv6:[addr]:port or unix:/path';

interface Row {
  args: string[];
  env?: Record<string, string>;
  code: number;
  stderr: string;
}

const rows: [string, (p: Ports) => Row][] = [
  [
    'DATABASE_URL=foo',
    () => ({
      args: SERVE,
      env: { DATABASE_URL: 'foo' },
      code: EXIT.usage,
      stderr:
        'DATABASE_URL: "foo" is not a supported database URL; use sqlite:PATH, sqlite::memory:, postgres://… or postgresql://… (unset: ./data/bridge.db)',
    }),
  ],
  [
    '--database-url with a password',
    () => ({
      args: ['migrate', '--database-url', 'mysql://bridge:hunter2@db/gitpod'],
      code: EXIT.usage,
      stderr:
        '--database-url: "mysql://bridge:***@db/gitpod" is not a supported database URL; use sqlite:PATH, sqlite::memory:, postgres://… or postgresql://… (unset: ./data/bridge.db)',
    }),
  ],
  [
    'a SQLite file in a missing folder',
    () => ({
      args: ['migrate'],
      env: { DATABASE_URL: `sqlite:${join(dir, 'missing', 'dir', 'x.db')}` },
      code: EXIT.usage,
      stderr: `DATABASE_URL: the folder ${join(dir, 'missing', 'dir')} does not exist; create it first (only the default ./data is created)`,
    }),
  ],
  [
    'REDIS_URL=localhost:56379',
    () => ({
      args: SERVE,
      env: { ...MEMORY, REDIS_URL: 'localhost:56379' },
      code: EXIT.usage,
      stderr:
        'REDIS_URL: unsupported scheme "localhost:" (expected redis://[user:password@]host[:port][/db] or rediss://...)',
    }),
  ],
  [
    'a bad redis.address in the file',
    () => ({
      args: [...SERVE, '--config', files.badRedis],
      env: MEMORY,
      code: EXIT.usage,
      stderr: `redis.address in config file ${files.badRedis}: not a Redis address; use host:port, e.g. redis:6379`,
    }),
  ],
  [
    'LOG_LEVEL=verbose',
    () => ({
      args: SERVE,
      env: { ...MEMORY, LOG_LEVEL: 'verbose' },
      code: EXIT.usage,
      stderr: 'LOG_LEVEL: unknown log level "verbose"; use trace, debug, info, warn, error, fatal, silent',
    }),
  ],
  [
    '--log-level verbose on migrate',
    () => ({
      args: ['migrate', '--log-level', 'verbose'],
      env: MEMORY,
      code: EXIT.usage,
      stderr: '--log-level: unknown log level "verbose"; use trace, debug, info, warn, error, fatal, silent',
    }),
  ],
  [
    'LOG_LEVEL=verbose on simulate',
    () => ({
      args: ['simulate'],
      env: { LOG_LEVEL: 'verbose' },
      code: EXIT.usage,
      stderr: 'LOG_LEVEL: unknown log level "verbose"; use trace, debug, info, warn, error, fatal, silent',
    }),
  ],
  [
    '--http-addr 9500 while BRIDGE_HTTP_ADDR is fine',
    () => ({
      args: [...SERVE, '--http-addr', '9500'],
      env: { ...MEMORY, BRIDGE_HTTP_ADDR: '127.0.0.1:9500' },
      code: EXIT.usage,
      stderr: '--http-addr: invalid address "9500": use host:port (e.g. 127.0.0.1:9500)',
    }),
  ],
  [
    'an invalid JSON file',
    () => ({
      args: ['migrate', '--config', files.badJson],
      env: MEMORY,
      code: EXIT.usage,
      stderr: `config file ${files.badJson} is not valid JSON: line 4, column 18: expected a key in double quotes, found "}"`,
    }),
  ],
  [
    'an http:// static cluster in the file',
    () => ({
      args: SERVE,
      env: { ...MEMORY, WSMAN_BRIDGE_CONFIGPATH: files.httpCluster },
      code: EXIT.usage,
      stderr: `staticBridges[0].url in config file ${files.httpCluster}: "http://ws-manager:8080" is an http(s) URL, not a gRPC target; ${URL_FORMS}`,
    }),
  ],
  [
    'an http:// --cluster',
    () => ({
      args: [...SERVE, '--cluster', 'dev=http://127.0.0.1:8081', '--allow-plaintext-clusters'],
      env: MEMORY,
      code: EXIT.usage,
      stderr: `--cluster "dev=http://127.0.0.1:8081": "http://127.0.0.1:8081" is an http(s) URL, not a gRPC target; ${URL_FORMS}`,
    }),
  ],
  [
    'a plain-text --cluster without --allow-plaintext-clusters',
    () => ({
      args: [...SERVE, '--cluster', 'dev=127.0.0.1:8081'],
      env: MEMORY,
      code: EXIT.usage,
      stderr:
        '--cluster "dev=127.0.0.1:8081": cluster "dev" has no TLS; allow plain text with --allow-plaintext-clusters or ALLOW_PLAINTEXT_CLUSTERS=true',
    }),
  ],
  [
    'a static cluster without tls in the file',
    () => ({
      args: [...SERVE, '--config', files.plainCluster],
      env: MEMORY,
      code: EXIT.usage,
      stderr: `staticBridges[0] in config file ${files.plainCluster}: cluster "eu70" has no TLS; give it tls.ca, tls.crt and tls.key, or allow plain text with --allow-plaintext-clusters or ALLOW_PLAINTEXT_CLUSTERS=true`,
    }),
  ],
  [
    'the ClusterService port in use',
    (p) => ({
      args: [
        'serve',
        '--no-demo',
        '--http-addr',
        '127.0.0.1:0',
        '--cluster-service-addr',
        `127.0.0.1:${p.taken}`,
      ],
      env: MEMORY,
      code: EXIT.failure,
      stderr: `cannot serve the cluster service on 127.0.0.1:${p.taken}: address already in use`,
    }),
  ],
  [
    'the HTTP port in use',
    (p) => ({
      args: [
        'serve',
        '--no-demo',
        '--http-addr',
        `127.0.0.1:${p.taken}`,
        '--cluster-service-addr',
        '127.0.0.1:0',
      ],
      env: MEMORY,
      code: EXIT.failure,
      stderr: `cannot serve the operator HTTP endpoints on 127.0.0.1:${p.taken}: address already in use`,
    }),
  ],
  [
    'the health port in use',
    (p) => ({
      args: [
        'serve',
        '--no-demo',
        '--health-addr',
        `127.0.0.1:${p.taken}`,
        '--cluster-service-addr',
        '127.0.0.1:0',
      ],
      env: MEMORY,
      code: EXIT.failure,
      stderr: `cannot serve health and readiness on 127.0.0.1:${p.taken}: address already in use`,
    }),
  ],
  [
    'a debug address off loopback',
    () => ({
      args: ['serve', '--no-demo', '--debug-addr', '0.0.0.0:6060'],
      env: MEMORY,
      code: EXIT.usage,
      stderr:
        '--debug-addr: the debug endpoint has no authentication and listens on loopback only; use 127.0.0.1:PORT or off, not 0.0.0.0',
    }),
  ],
  [
    'the simulator port in use',
    (p) => ({
      args: ['simulate', '--port', String(p.taken)],
      code: EXIT.failure,
      stderr: `cannot serve the simulated ws-manager on 127.0.0.1:${p.taken}: address already in use`,
    }),
  ],
  [
    'clusters list with no bridge running',
    (p) => ({
      args: ['clusters', '--addr', `127.0.0.1:${p.free}`, 'list'],
      code: EXIT.failure,
      stderr: `list: nothing listens at 127.0.0.1:${p.free} (connection refused); is the bridge running? Give its ClusterService address with --addr or CLUSTER_SERVICE_ADDR`,
    }),
  ],
  [
    'a connection flag after the verb',
    (p) => ({
      args: ['clusters', 'list', '--addr', `127.0.0.1:${p.free}`],
      code: EXIT.usage,
      stderr:
        "unknown option '--addr' (--addr is a connection flag and goes before the verb: ws-manager-bridge clusters --addr … list …); see ws-manager-bridge clusters list --help",
    }),
  ],
  [
    'the old --tls-crt spelling',
    () => ({
      args: ['clusters', 'register', '--name', 'eu70', '--url', 'ws:1', '--tls-crt', 'client.pem'],
      code: EXIT.usage,
      stderr:
        "unknown option '--tls-crt' (did you mean --tls-cert?) (connection flags (--addr, --token, --tls-ca, --tls-cert, --tls-key, --tls-server-name, --timeout) go before the verb: ws-manager-bridge clusters --addr HOST:PORT register …); see ws-manager-bridge clusters register --help",
    }),
  ],
  [
    'an unknown option of serve',
    () => ({
      args: ['serve', '--verbose'],
      code: EXIT.usage,
      stderr: "unknown option '--verbose'; see ws-manager-bridge serve --help",
    }),
  ],
];

describe('bad input', () => {
  test.for(rows)('%s exits with its code and one line', async ([, rowOf], { expect }) => {
    const row = rowOf(ports);
    const outcome = await run(row.args, row.env);
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({
      code: row.code,
      stderr: `ws-manager-bridge: ${row.stderr}\n`,
    });
  });

  it('creates no folder for a SQLite file in a missing one', async () => {
    const outcome = await run(['migrate'], { DATABASE_URL: `sqlite:${join(dir, 'nothere', 'x.db')}` });
    expect(outcome.code).toBe(EXIT.usage);
    expect(existsSync(join(dir, 'nothere'))).toBe(false);
  });
});

describe('--version', () => {
  it('prints the version of package.json', async () => {
    const outcome = await run(['--version']);
    expect(outcome).toEqual({ code: EXIT.ok, stdout: '0.1.0\n', stderr: '' });
  });
});
