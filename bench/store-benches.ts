/**
 * What the store benchmarks share: realistic instances (a status JSON of about 600 bytes, two exposed
 * ports, image metrics) and their workspaces, a throw-away database of each kind to write them to,
 * and the machine to print with each figure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Store } from '../src/store/ports.js';
import type { InstanceRow, InstanceStatus, WorkspaceRow } from '../src/store/types.js';

export const T0 = '2026-01-02T03:04:05.678Z';

/** The status of instance `i` as written in round `round`. */
export function benchStatus(i: number, round: number): InstanceStatus {
  return {
    conditions: { deployed: true, pullingImages: false, firstUserActivity: T0, stoppedByRequest: false },
    message: `workspace is running (observed round ${round})`,
    exposedPorts: [
      {
        port: 3000,
        visibility: 'public',
        url: `https://3000-ws-${i}.eu-1.ws.example.org`,
        protocol: 'https',
      },
      {
        port: 8080,
        visibility: 'private',
        url: `https://8080-ws-${i}.eu-1.ws.example.org`,
        protocol: 'http',
      },
    ],
    timeout: '30m',
    nodeName: `workspace-node-${i % 40}-eu-1-pool-a`,
    podName: `ws-${i.toString(16).padStart(8, '0')}-4f3a-9b2e-1c7d`,
    nodeIp: `10.0.${(i >> 8) % 256}.${i % 256}`,
    ownerToken: 'tok_0123456789abcdefghijklmnopqrstuv',
    metrics: { image: { totalSize: 2_147_483_648 + i, workspaceImageSize: 1_073_741_824 } },
  };
}

/** Instance `i` as written in round `round` (round 0: pending, from then on running). */
export function benchRow(i: number, round: number): InstanceRow {
  const now = new Date(Date.parse(T0) + round * 1000).toISOString();
  return {
    id: `inst-${i}`,
    workspaceId: `ws-${i}`,
    clusterName: 'eu-1',
    phase: round === 0 ? 'pending' : 'running',
    statusVersion: BigInt(round),
    creationTime: T0,
    deployedTime: round === 0 ? null : T0,
    startedTime: round === 0 ? null : T0,
    stoppingTime: null,
    stoppedTime: null,
    ideUrl: `https://ws-${i}.eu-1.ws.example.org`,
    status: benchStatus(i, round),
    updatedAt: now,
  };
}

/**
 * Inserts `count` instances, each with its workspace, as `rowOf` gives them (by default round 0 of
 * `benchRow`, every instance pending on cluster eu-1), in one call per table.
 */
export async function seedInstances(
  store: Store,
  count: number,
  rowOf: (i: number) => InstanceRow = (i) => benchRow(i, 0),
): Promise<void> {
  const workspaces: WorkspaceRow[] = [];
  const instances: InstanceRow[] = [];
  for (let i = 0; i < count; i++) {
    const row = rowOf(i);
    workspaces.push({
      id: row.workspaceId,
      ownerId: `user-${i % 500}`,
      type: 'regular',
      projectId: null,
      organizationId: 'org-1',
      createdAt: T0,
    });
    instances.push(row);
  }
  await store.createWorkspaces(workspaces);
  await store.createInstances(instances);
}

/** Runs `run` against a database created for it on the server of `adminUrl`, dropped afterwards. */
async function withPostgresDatabase(adminUrl: string, run: (url: string) => Promise<void>): Promise<void> {
  const name = `wsb_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    await run(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** The machine a figure was measured on, printed with it. */
export function machine(): { node: string; cpu: string; cores: number } {
  return { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
}

/**
 * Runs `bench` on a new SQLite file, then on a new PostgreSQL database when WSB_PG_URL names a
 * server (`scripts/services.sh start` prints it); both are removed afterwards.
 */
export async function onEachDatabase(
  name: string,
  bench: (database: 'sqlite' | 'postgres', url: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wsb-bench-'));
  try {
    await bench('sqlite', `sqlite:${join(dir, 'bench.db')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pgUrl = process.env.WSB_PG_URL;
  if (pgUrl) await withPostgresDatabase(pgUrl, (url) => bench('postgres', url));
  else console.error(`${name}: WSB_PG_URL not set, PostgreSQL skipped (scripts/services.sh start prints it)`);
}
