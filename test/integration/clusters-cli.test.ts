/**
 * `ws-manager-bridge clusters …` against a real ClusterServiceServer: in-process through the same
 * commander wiring main.ts uses, and as a child process for exit codes, env and stderr.
 */
import { seedInstances } from '../helpers/seed.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { CliError, EXIT } from '../../src/cli/exit-codes.js';
import { startHarness, type Harness, type HarnessOptions } from '../helpers/cluster-service-harness.js';
import { DATABASES } from '../helpers/databases.js';
import { startDescribeOnlyWsman, type DescribeOnlyWsman } from '../helpers/describe-only-wsman.js';
import { b64, createTestPki } from '../helpers/test-pki.js';

const pki = createTestPki();
const TOKEN = 'cli-token-s3cr3t';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wsb-cli-'));
const files = {
  ca: join(dir, 'ca.pem'),
  crt: join(dir, 'client.pem'),
  key: join(dir, 'client-key.pem'),
  serverCrt: join(dir, 'server.pem'),
  serverKey: join(dir, 'server-key.pem'),
};
writeFileSync(files.ca, pki.ca.cert);
writeFileSync(files.crt, pki.client.cert);
writeFileSync(files.key, pki.client.key);

interface Outcome {
  code: number;
  stdout: string;
  /** The one-line message main.ts would print for a CliError. */
  error?: string;
}

/** Runs `clusters <args>` in-process, as main.ts would, and captures stdout and the exit code. */
async function cli(args: string[]): Promise<Outcome> {
  let work: Promise<number> | undefined;
  // The real program, so that top-level parser settings (positional options) are exercised too.
  const program = buildProgram((w) => {
    work = w();
  });
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['clusters', ...args], { from: 'user' });
    const code = await (work ?? Promise.resolve(EXIT.usage));
    return { code, stdout: chunks.join('') };
  } catch (error: unknown) {
    if (!(error instanceof CliError)) throw error;
    return { code: error.exitCode, stdout: chunks.join(''), error: `ws-manager-bridge: ${error.message}` };
  } finally {
    spy.mockRestore();
  }
}

/** Runs the real entry point as a child process. */
function child(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'clusters', ...args],
      { cwd: ROOT, env: { ...process.env, CLUSTER_SERVICE_TOKEN: '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(DATABASES)('clusters CLI over %s', (kind) => {
  let wsman: DescribeOnlyWsman;
  const open: { close(): unknown }[] = [];

  beforeAll(async () => {
    wsman = await startDescribeOnlyWsman(pki);
  });
  afterAll(() => wsman.close());
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });

  async function harness(options: HarnessOptions = {}): Promise<Harness> {
    const h = await startHarness(kind, options);
    open.push(h);
    return h;
  }

  const tlsFlags = ['--tls-ca', files.ca, '--tls-cert', files.crt, '--tls-key', files.key];

  it('registers, lists, updates and deregisters a cluster', async () => {
    const h = await harness();
    const addr = ['--addr', `127.0.0.1:${h.port}`];
    const registered = await cli([
      ...addr,
      'register',
      '--name=eu-1',
      `--url=${wsman.url}`,
      ...tlsFlags,
      '--region=europe',
      '--prefer',
      '--cordoned',
      '--permission=admin-users',
      '--permission=developer',
      '--feature-preview',
    ]);
    expect(registered).toEqual({ code: EXIT.ok, stdout: 'registered cluster "eu-1"\n' });
    expect(await h.store.getCluster('eu-1')).toMatchObject({
      tls: { ca: b64(pki.ca.cert), crt: b64(pki.client.cert), key: b64(pki.client.key) },
      state: 'cordoned',
      score: 100,
      region: 'europe',
    });

    const table = await cli([...addr, 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^NAME\s+URL\s+REGION\s+STATE\s+SCORE\s+MAX SCORE\s+GOVERNED\s+STATIC\s+CONSTRAINTS\s+HOLDER$/,
    );
    expect(table.stdout).toContain('permission:admin-users,permission:developer,feature-preview');

    for (const change of [
      ['score', '7'],
      ['max-score', '80'],
      ['uncordon'],
      ['remove-permission', 'developer'],
      ['add-permission', 'x'],
    ]) {
      expect((await cli([...addr, 'update', 'eu-1', ...change])).code).toBe(EXIT.ok);
    }
    await cli([...addr, 'update', 'eu-1', 'remove-feature-preview']);
    const json = JSON.parse((await cli([...addr, 'list', '--json'])).stdout) as unknown;
    expect(json).toEqual([
      {
        name: 'eu-1',
        url: wsman.url,
        region: 'europe',
        state: 'available',
        score: 7,
        maxScore: 80,
        governed: true,
        static: false,
        admissionConstraints: ['permission:admin-users', 'permission:x'],
        holder: null,
      },
    ]);
    expect(JSON.stringify(json)).not.toContain(b64(pki.client.key).slice(0, 24));

    const caBundle = join(dir, 'bundle.pem');
    writeFileSync(caBundle, pki.ca.cert + pki.server.cert);
    const tls = await cli([
      ...addr,
      'update',
      'eu-1',
      'tls',
      '--tls-ca',
      caBundle,
      '--tls-cert',
      files.crt,
      '--tls-key',
      files.key,
    ]);
    expect(tls.code).toBe(EXIT.ok);
    expect((await h.store.getCluster('eu-1'))?.tls?.ca).toBe(b64(pki.ca.cert + pki.server.cert));

    expect(await cli([...addr, 'deregister', 'eu-1'])).toEqual({
      code: EXIT.ok,
      stdout: 'deregistered cluster "eu-1"\n',
    });
    expect(await h.store.listClusters()).toEqual([]);
  });

  it.each<[string, string[], number, RegExp]>([
    [
      'an unknown cluster',
      ['update', 'nope', 'score', '1'],
      EXIT.failure,
      /^ws-manager-bridge: update failed: NOT_FOUND: no cluster named "nope"/,
    ],
    [
      'a refused registration',
      ['register', '--name=eu 1', '--url=x:1'],
      EXIT.usage,
      /^ws-manager-bridge: register failed: INVALID_ARGUMENT: name may only/,
    ],
    [
      'a score that is not a number',
      ['update', 'eu-1', 'score', 'high'],
      EXIT.usage,
      /update score needs a whole number/,
    ],
    [
      'an unknown property',
      ['update', 'eu-1', 'colour', 'red'],
      EXIT.usage,
      /unknown property "colour"; use one of score/,
    ],
    [
      'partial TLS files',
      ['register', '--name=a', '--url=x:1', '--tls-ca', files.ca],
      EXIT.usage,
      /--tls-ca, --tls-cert and --tls-key together/,
    ],
    [
      'a missing TLS file',
      ['update', 'eu-1', 'tls', '--tls-ca', '/nonexistent', '--tls-cert', files.crt, '--tls-key', files.key],
      EXIT.usage,
      /cannot read --tls-ca \/nonexistent \(ENOENT\)/,
    ],
  ])('fails with one line for %s', async (_label, args, code, message) => {
    const h = await harness();
    const outcome = await cli(['--addr', `127.0.0.1:${h.port}`, ...args]);
    expect(outcome.code).toBe(code);
    expect(outcome.error).toMatch(message);
    expect(outcome.error).not.toContain('\n');
  });

  it('refuses to deregister a busy cluster until --force', async () => {
    const h = await harness();
    const addr = ['--addr', `127.0.0.1:${h.port}`];
    await cli([...addr, 'register', '--name=eu-1', `--url=${wsman.url}`, ...tlsFlags]);
    await seedInstances(h.store, [{ id: 'i-1', phase: 'running' }], { cluster: 'eu-1' });
    const refused = await cli([...addr, 'deregister', 'eu-1']);
    expect(refused.error).toMatch(
      /FAILED_PRECONDITION: cluster is not empty \(1 instances remaining\)\[i-1\]/,
    );
    expect((await cli([...addr, 'deregister', 'eu-1', '--force'])).code).toBe(EXIT.ok);
    expect(h.stopCalls.map((c) => c.name)).toEqual(['eu-1']);
  });

  it('connects with mTLS using the connection flags', async () => {
    writeFileSync(files.serverCrt, pki.server.cert);
    writeFileSync(files.serverKey, pki.server.key);
    const h = await harness({
      config: {
        tls: {
          cert: Buffer.from(pki.server.cert),
          key: Buffer.from(pki.server.key),
          clientCa: Buffer.from(pki.ca.cert),
        },
      },
    });
    const connection = [
      '--addr',
      `127.0.0.1:${h.port}`,
      '--tls-ca',
      files.ca,
      '--tls-server-name',
      'localhost',
    ];
    expect((await cli([...connection, '--tls-cert', files.crt, '--tls-key', files.key, 'list'])).code).toBe(
      EXIT.ok,
    );
    const withoutCert = await cli([...connection, '--timeout', '5s', 'list']);
    expect(withoutCert.code).toBe(EXIT.failure);
    expect(withoutCert.error).toMatch(
      /^ws-manager-bridge: list: the cluster service at 127\.0\.0\.1:\d+ requires a client certificate; give --tls-cert and --tls-key$/,
    );
  });

  it('runs as a child process with address and token from the environment', async () => {
    const h = await harness({ config: { token: TOKEN }, allowPlaintextClusters: true });
    const env = { CLUSTER_SERVICE_ADDR: `127.0.0.1:${h.port}` };
    const refused = await child(['list'], env);
    expect(refused.code).toBe(EXIT.failure);
    expect(refused.stderr).toMatch(
      /^ws-manager-bridge: list failed: UNAUTHENTICATED: missing credentials[^\n]*\n$/,
    );
    const listed = await child(['list', '--json'], { ...env, CLUSTER_SERVICE_TOKEN: TOKEN });
    expect(listed).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(JSON.parse(listed.stdout)).toEqual([]);
    expect(h.logs.raw.join('\n')).not.toContain(TOKEN);
  });

  it('calls a TLS service by IP address without a deprecation warning on stderr', async () => {
    const h = await harness({
      config: {
        tls: { cert: Buffer.from(pki.server.cert), key: Buffer.from(pki.server.key), clientCa: undefined },
      },
    });
    // Node warns (DEP0123) when an IP address is the TLS server name, which grpc-js does for an IP target.
    const listed = await child(['--tls-ca', files.ca, '--addr', `127.0.0.1:${h.port}`, 'list', '--json'], {});
    expect(listed).toEqual({ code: EXIT.ok, stdout: '[]\n', stderr: '' });
  });

  it('keeps the ws-manager TLS flags of register apart from the connection flags', async () => {
    // Address from the environment, so nothing stands between `clusters` and the verb.
    const h = await harness();
    process.env.CLUSTER_SERVICE_ADDR = `127.0.0.1:${h.port}`;
    try {
      const registered = await cli(['register', '--name=eu-2', `--url=${wsman.url}`, ...tlsFlags]);
      expect(registered).toEqual({ code: EXIT.ok, stdout: 'registered cluster "eu-2"\n' });
    } finally {
      delete process.env.CLUSTER_SERVICE_ADDR;
    }
    expect((await h.store.getCluster('eu-2'))?.tls?.ca).toBe(b64(pki.ca.cert));
  });
});
