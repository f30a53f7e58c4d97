/**
 * A PostgreSQL and a Redis of a test's own, started by scripts/services.sh on free loopback ports in
 * a temporary folder, so that a test can restart them without disturbing the servers every other
 * test shares. `stop()` stops both and removes the folder.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import type { TestDatabase } from './databases.js';
import { unusedPort } from './tcp-proxy.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));

/** PostgreSQL binaries as services.sh finds them. */
async function pgBin(): Promise<string> {
  const { stdout } = await run('bash', [
    '-c',
    'for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; exit 0; }; done; exit 1',
  ]);
  return stdout.trim();
}

export class PrivateServices {
  readonly pgUrl: string;
  readonly redisUrl: string;
  readonly #dir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #redisPort: number;

  private constructor(
    dir: string,
    env: NodeJS.ProcessEnv,
    pgUrl: string,
    redisUrl: string,
    redisPort: number,
  ) {
    this.#dir = dir;
    this.#env = env;
    this.pgUrl = pgUrl;
    this.redisUrl = redisUrl;
    this.#redisPort = redisPort;
  }

  /** Starts both servers (a fresh PostgreSQL cluster: initdb takes a few seconds). */
  static async start(): Promise<PrivateServices> {
    const dir = mkdtempSync(join(tmpdir(), 'wsb-private-services-'));
    // The postgres user (when this runs as root) must reach the data directory below.
    chmodSync(dir, 0o755);
    const pgPort = await unusedPort();
    const redisPort = await unusedPort();
    const env = {
      ...process.env,
      WSB_SERVICES_DIR: dir,
      WSB_PG_PORT: String(pgPort),
      WSB_REDIS_PORT: String(redisPort),
    };
    const { stdout } = await run(script, ['start'], { env });
    const vars = new Map(
      stdout
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const pgUrl = vars.get('WSB_PG_URL');
    const redisUrl = vars.get('WSB_REDIS_URL');
    if (!pgUrl || !redisUrl) throw new Error(`services.sh did not report its URLs: ${stdout}`);
    return new PrivateServices(dir, env, pgUrl, redisUrl, redisPort);
  }

  /** `pg_ctl restart -m fast`: every connection is cut, the server is down, then back with the same options. */
  async restartPostgres(): Promise<void> {
    const pgCtl = join(await pgBin(), 'pg_ctl');
    const pg = join(this.#dir, 'pg');
    // With a log file, as services.sh starts it: otherwise the server would keep pg_ctl's output open.
    const args = ['-D', join(pg, 'data'), '-l', join(pg, 'log'), '-m', 'fast', '-w', '-t', '60', 'restart'];
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await run('su', ['postgres', '-s', '/bin/sh', '-c', [pgCtl, ...args].join(' ')]);
    else await run(pgCtl, args);
  }

  /** A fresh database on the private PostgreSQL, dropped by `drop()`. */
  async database(): Promise<TestDatabase> {
    const name = `wsb_${randomBytes(6).toString('hex')}`;
    await this.#admin(`CREATE DATABASE ${name}`);
    const url = new URL(this.pgUrl);
    url.pathname = `/${name}`;
    return {
      kind: 'postgres',
      url: url.toString(),
      drop: () => this.#admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }

  async #admin(statement: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.pgUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  }

  /** Subscribers of `channel` on the private Redis now (`PUBSUB NUMSUB`). */
  async redisSubscribers(channel: string): Promise<number> {
    const { stdout } = await run('redis-cli', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.#redisPort),
      'pubsub',
      'numsub',
      channel,
    ]);
    return Number(stdout.trim().split('\n')[1] ?? 0);
  }

  /** Shuts Redis down (nothing saved: pub/sub keeps no state) and starts a fresh one on the same port. */
  async restartRedis(between: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.#redisPort), 'shutdown', 'nosave']).catch(
      () => undefined,
    );
    await between();
    await run(script, ['start'], { env: this.#env });
  }

  /** Stops both servers and removes their folder. */
  async stop(): Promise<void> {
    await run(script, ['stop'], { env: this.#env }).catch(() => undefined);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
