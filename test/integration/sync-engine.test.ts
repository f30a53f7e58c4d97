/**
 * The sync engine over real databases: statuses in, rows and notifications out. Statuses are built
 * with the shared test builders and fed straight into the engine (the gRPC path has its own suite).
 */
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import {
  WorkspaceConditionBool,
  WorkspacePhase,
  type WorkspaceStatus,
} from '../../src/generated/wsman/core.js';
import { DATABASES } from '../helpers/databases.js';
import { engineHarness, metricValue, seedInstances, type EngineHarness } from '../helpers/engine-harness.js';
import { wireStatus } from '../helpers/statuses.js';

function status(
  id: string,
  version: bigint,
  phase: number,
  extra: Parameters<typeof wireStatus>[0] = {},
): WorkspaceStatus {
  return wireStatus({
    id,
    statusVersion: version,
    phase: phase as WorkspaceStatus['phase'],
    metadata: { owner: `owner-${id}`, metaId: `ws-${id}` },
    spec: { url: `https://${id}.ws.test` },
    ...extra,
  });
}

for (const kind of DATABASES) {
  describe(`sync engine on ${kind}`, () => {
    let h: EngineHarness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('applies a lifecycle in order and announces each committed change with the original payload', async () => {
      h = await engineHarness(kind);
      await seedInstances(h.store, ['a', 'b']);
      const phases = [
        WorkspacePhase.PENDING,
        WorkspacePhase.CREATING,
        WorkspacePhase.INITIALIZING,
        WorkspacePhase.RUNNING,
      ];
      phases.forEach((phase, i) => h?.engine.status('eu-1', status('a', BigInt(10 + i), phase)));
      h.engine.status('eu-1', status('b', 5n, WorkspacePhase.RUNNING));
      await h.engine.whenIdle();
      const rows = await h.store.loadInstances(['a', 'b']);
      expect(rows.get('a')?.row).toMatchObject({
        phase: 'running',
        statusVersion: 13n,
        ideUrl: 'https://a.ws.test',
      });
      expect(rows.get('a')?.row.startedTime).not.toBeNull();
      expect(rows.get('b')?.row).toMatchObject({ phase: 'running', statusVersion: 5n });
      expect(h.notifications).toContainEqual({ ownerID: 'owner-a', instanceID: 'a', workspaceID: 'ws-a' });
      expect(h.notifications).toContainEqual({ ownerID: 'owner-b', instanceID: 'b', workspaceID: 'ws-b' });
    });

    it('skips stale and identical updates and counts them', async () => {
      h = await engineHarness(kind);
      await seedInstances(h.store, ['a']);
      h.engine.status('eu-1', status('a', 20n, WorkspacePhase.RUNNING));
      await h.engine.whenIdle();
      const before = h.notifications.length;
      h.engine.status('eu-1', status('a', 19n, WorkspacePhase.CREATING)); // stale
      h.engine.status('eu-1', status('a', 21n, WorkspacePhase.RUNNING)); // identical but for the version
      await h.engine.whenIdle();
      expect((await h.store.loadInstances(['a'])).get('a')?.row.phase).toBe('running');
      expect(h.notifications.length).toBe(before);
      expect(await metricValue(h.metrics, 'gitpod_ws_manager_bridge_stale_status_updates_total')).toBe(1);
      expect(
        await metricValue(h.metrics, 'gitpod_ws_manager_bridge_workspace_instance_update_completed_seconds', {
          outcome: 'skipped',
        }),
      ).toBeGreaterThan(0);
    });

    it('ignores unknown instances and counts them, or adopts them with adoptUnknown', async () => {
      h = await engineHarness(kind);
      h.engine.status('eu-1', status('ghost', 1n, WorkspacePhase.RUNNING));
      await h.engine.whenIdle();
      expect((await h.store.loadInstances(['ghost'])).size).toBe(0);
      expect(
        await metricValue(h.metrics, 'gitpod_ws_manager_bridge_status_updates_total', {
          known_instance: 'false',
        }),
      ).toBe(1);
      await h.close();

      h = await engineHarness(kind, { adoptUnknown: true });
      h.engine.status('eu-1', status('ghost', 1n, WorkspacePhase.PENDING));
      h.engine.status('eu-1', status('ghost', 2n, WorkspacePhase.RUNNING));
      await h.engine.whenIdle();
      const adopted = (await h.store.loadInstances(['ghost'])).get('ghost');
      expect(adopted).toMatchObject({ ownerId: 'owner-ghost', workspaceType: 'regular' });
      expect(adopted?.row).toMatchObject({
        phase: 'running',
        workspaceId: 'ws-ghost',
        clusterName: 'eu-1',
        statusVersion: 2n,
      });
    });

    it('rejects malformed statuses with a counted reason without stalling other instances', async () => {
      h = await engineHarness(kind);
      await seedInstances(h.store, ['good']);
      h.engine.status('eu-1', wireStatus({ id: 'bad', auth: undefined }));
      h.engine.status('eu-1', wireStatus({ id: '' }));
      h.engine.status('eu-1', { ...wireStatus({ id: 'bad2' }), phase: 42 as WorkspaceStatus['phase'] });
      h.engine.status('eu-1', status('good', 3n, WorkspacePhase.RUNNING));
      await h.engine.whenIdle();
      expect((await h.store.loadInstances(['good'])).get('good')?.row.phase).toBe('running');
      const invalid = (reason: string) =>
        metricValue((h as EngineHarness).metrics, 'gitpod_ws_manager_bridge_invalid_status_updates_total', {
          reason,
        });
      expect([
        await invalid('missing-auth'),
        await invalid('missing-id'),
        await invalid('unknown-phase'),
      ]).toEqual([1, 1, 1]);
    });

    it('keeps a stopped instance stopped unless a newer RUNNING arrives', async () => {
      h = await engineHarness(kind);
      await seedInstances(h.store, ['a']);
      h.engine.status('eu-1', status('a', 10n, WorkspacePhase.RUNNING));
      h.engine.status(
        'eu-1',
        status('a', 11n, WorkspacePhase.STOPPED, {
          conditions: { stoppedByRequest: WorkspaceConditionBool.TRUE },
        }),
      );
      h.engine.status('eu-1', status('a', 12n, WorkspacePhase.STOPPING));
      await h.engine.whenIdle();
      const stopped = (await h.store.loadInstances(['a'])).get('a')?.row;
      expect(stopped).toMatchObject({ phase: 'stopped' });
      expect(stopped?.stoppedTime).not.toBeNull();
      h.engine.status('eu-1', status('a', 13n, WorkspacePhase.RUNNING));
      await h.engine.whenIdle();
      expect((await h.store.loadInstances(['a'])).get('a')?.row).toMatchObject({
        phase: 'running',
        stoppedTime: null,
      });
    });

    it('marks instances stopped through their mailboxes and never regresses a newer row', async () => {
      h = await engineHarness(kind);
      await seedInstances(h.store, ['a', 'b']);
      h.engine.status('eu-1', status('a', 10n, WorkspacePhase.RUNNING));
      await h.engine.whenIdle();
      const records = await h.store.listInstances({ clusterName: 'eu-1' });
      const reason = 'cluster eu-1 was deregistered';
      const marked = await h.engine.stopInstances(records.map((record) => ({ record, reason })));
      expect(marked).toBe(2);
      const rows = await h.store.loadInstances(['a', 'b']);
      expect(rows.get('a')?.row.phase).toBe('stopped');
      expect(rows.get('a')?.row.status.message).toBe(
        'Stopped by ws-manager-bridge. Previously in phase running',
      );
      expect(rows.get('b')?.row.phase).toBe('stopped');
      expect(
        await metricValue(h.metrics, 'gitpod_ws_instances_marked_stopped_total', {
          previous_phase: 'running',
        }),
      ).toBe(1);
    });

    it('loses no update when a status arrives while its row is being read', async () => {
      h = await engineHarness(kind);
      const ids = Array.from({ length: 300 }, (_, i) => `i${i}`);
      await seedInstances(h.store, ids);
      // All first statuses miss the cache at once; later ones queue behind the read, in order.
      for (const [i, phase] of [
        WorkspacePhase.PENDING,
        WorkspacePhase.CREATING,
        WorkspacePhase.RUNNING,
      ].entries()) {
        for (const id of ids) h.engine.status('eu-1', status(id, BigInt(100 + i), phase));
      }
      await h.engine.whenIdle();
      const rows = await h.store.loadInstances(ids);
      expect(
        [...rows.values()].filter((r) => r.row.phase === 'running' && r.row.statusVersion === 102n),
      ).toHaveLength(300);
    });
  });
}

/** Makes the test database refuse service for real: a held write lock (SQLite) or closed doors (PostgreSQL). */
async function outage(db: EngineHarness['db']): Promise<() => Promise<void>> {
  if (db.kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const other = new Database(db.url.slice('sqlite:'.length));
    other.exec('BEGIN EXCLUSIVE');
    return () => {
      other.exec('ROLLBACK');
      other.close();
      return Promise.resolve();
    };
  }
  const { default: pg } = await import('pg');
  const name = new URL(db.url).pathname.slice(1);
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: inject('pgUrl') });
    await c.connect();
    await c.query(sql).finally(() => c.end());
  };
  await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
  await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
  return () => admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
}

for (const kind of DATABASES) {
  describe(`sync engine on ${kind} during a database outage`, () => {
    let h: EngineHarness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('keeps reducing in bounded memory and commits the latest state once the database is back', async () => {
      h = await engineHarness(kind);
      const ids = ['a', 'b', 'c'];
      await seedInstances(h.store, ids);
      for (const id of ids) h.engine.status('eu-1', status(id, 1n, WorkspacePhase.PENDING));
      await h.engine.whenIdle();
      const restore = await outage(h.db);
      const phases = [WorkspacePhase.CREATING, WorkspacePhase.INITIALIZING, WorkspacePhase.RUNNING];
      for (let round = 0; round < 50; round++) {
        for (const id of ids)
          h.engine.status('eu-1', status(id, BigInt(2 + round), phases[Math.min(2, round)] as number));
      }
      await vi.waitFor(async () =>
        expect(
          await metricValue((h as EngineHarness).metrics, 'gitpod_ws_manager_bridge_db_batches_total', {
            outcome: 'error',
          }),
        ).toBeGreaterThan(0),
      );
      // 150 updates of 3 instances: memory holds one pending row per instance, not one per update.
      expect(h.engine.tracked).toBe(3);
      await restore();
      await h.engine.whenIdle();
      const rows = await h.store.loadInstances(ids);
      // Version 4 is the first RUNNING; the 47 RUNNING updates after it change nothing and are skipped.
      for (const id of ids) expect(rows.get(id)?.row).toMatchObject({ phase: 'running', statusVersion: 4n });
      expect(h.notifications.filter((n) => n.instanceID === 'a').length).toBeGreaterThanOrEqual(2);
    });
  });
}

describe('sync engine memory', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await h?.close();
    h = undefined;
  });

  it('forgets stopped instances once written and quiet ones after 30 minutes', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    h = await engineHarness('sqlite');
    await seedInstances(h.store, ['quiet', 'done']);
    h.engine.status('eu-1', status('quiet', 1n, WorkspacePhase.RUNNING));
    h.engine.status('eu-1', status('done', 1n, WorkspacePhase.RUNNING));
    h.engine.status('eu-1', status('done', 2n, WorkspacePhase.STOPPED));
    await h.engine.whenIdle();
    expect(h.engine.tracked).toBe(1);
    vi.advanceTimersByTime(29 * 60_000);
    expect(h.engine.tracked).toBe(1);
    vi.advanceTimersByTime(2 * 60_000);
    expect(h.engine.tracked).toBe(0);
    // The next status reads the row again and carries on from it.
    h.engine.status('eu-1', status('quiet', 3n, WorkspacePhase.STOPPING));
    await h.engine.whenIdle();
    expect((await h.store.loadInstances(['quiet'])).get('quiet')?.row.phase).toBe('stopping');
  });
});
