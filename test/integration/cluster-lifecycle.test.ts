/**
 * Cluster management through the whole bridge: a client generated from our proto registers a simulated
 * ws-manager (mTLS), the stream flows, List shows it, Deregister stops it; rows another party writes
 * into workspace_clusters are picked up by the reconciler; classes are refreshed; gauges follow.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StartWorkspaceRequest } from '../../src/generated/wsman/core.js';
import { Preferability } from '../../src/generated/workspacemanagerbridge/cluster-service.js';
import type { SimulatorOptions } from '../../src/wsman/simulator/index.js';
import {
  codeOf,
  type ApiClient,
  startBridgeHarness,
  startTlsSimulator,
} from '../helpers/cluster-service-harness.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import { metricValue } from '../helpers/engine-harness.js';
import { tempDir } from '../helpers/temp-dir.js';
import { clusterTlsOf, createTestPki, type TestPki } from '../helpers/test-pki.js';

const pki: TestPki = createTestPki();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function tlsSimulator(options: SimulatorOptions = {}) {
  const simulator = await startTlsSimulator(pki, { phaseDelayMs: 5, ...options });
  cleanups.push(simulator.close);
  return simulator;
}

async function bridgeOn(
  db: TestDatabase,
  env: Record<string, string> = {},
  api: ConstructorParameters<typeof ApiClient>[1] = {},
) {
  const harness = await startBridgeHarness(db, env, api);
  cleanups.push(harness.close);
  return harness;
}

function startRequest(id: string): StartWorkspaceRequest {
  return StartWorkspaceRequest.fromPartial({
    id,
    servicePrefix: id,
    metadata: { owner: 'u1', metaId: `ws-${id}` },
    spec: {},
  });
}

describe('static clusters', () => {
  it('are listed with static=true and the settings of the config file', async () => {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    const dir = tempDir('wsb-static-');
    const configPath = join(dir, 'bridge.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        staticBridges: [
          {
            name: 'eu70',
            url: 'dns:///ws-manager-mk2:8080',
            region: 'europe',
            score: 20,
            maxScore: 70,
            state: 'cordoned',
            admissionConstraints: [{ type: 'has-permission', permission: 'developer' }],
          },
        ],
      }),
    );
    const { api } = await bridgeOn(db, { WSMAN_BRIDGE_CONFIGPATH: configPath });
    const [listed] = await api.list();
    expect(listed).toMatchObject({
      name: 'eu70',
      url: 'dns:///ws-manager-mk2:8080',
      static: true,
      region: 'europe',
      score: 20,
      maxScore: 70,
      state: 2, // CORDONED
      admissionConstraint: [{ hasPermission: { permission: 'developer' } }],
    });
  });
});

for (const kind of DATABASES) {
  describe(`cluster lifecycle on ${kind}`, () => {
    it('register over the API -> stream flows -> list -> deregister with force stops its instances', async () => {
      const db = await createTestDatabase(kind);
      cleanups.push(() => db.drop());
      const { sim, url } = await tlsSimulator();
      const { bridge, api } = await bridgeOn(db);

      await api.register({
        name: 'eu-sim',
        url,
        tls: clusterTlsOf(pki),
        hints: { perfereability: Preferability.Prefer, cordoned: false },
      });
      expect(bridge.supervisor.states().get('eu-sim')).toBeDefined();
      sim.startWorkspace(startRequest('i-1'));
      await vi.waitFor(
        async () => expect((await bridge.store.loadInstances(['i-1'])).get('i-1')?.row.phase).toBe('running'),
        {
          timeout: 10_000,
        },
      );
      expect(bridge.supervisor.states().get('eu-sim')).toBe('streaming');

      const listed = await api.list();
      expect(listed.map((c) => [c.name, c.url, c.score, c.static])).toEqual([['eu-sim', url, 100, false]]);
      expect(JSON.stringify(listed)).not.toContain(clusterTlsOf(pki).key);
      expect(
        await metricValue(bridge.metrics, 'gitpod_ws_manager_bridge_cluster_score', {
          workspace_cluster: 'eu-sim',
        }),
      ).toBe(100);
      expect((await bridge.store.getCluster('eu-sim'))?.availableWorkspaceClasses.length).toBeGreaterThan(0);

      // A running regular instance blocks a plain deregistration...
      expect(await codeOf(api.deregister('eu-sim'))).toBe(status.FAILED_PRECONDITION);
      // ...and with force it is marked stopped through the sync engine, then the stream is closed.
      await api.deregister('eu-sim', true);
      const row = (await bridge.store.loadInstances(['i-1'])).get('i-1')?.row;
      expect(row?.phase).toBe('stopped');
      expect(row?.status.message).toBe('Stopped by ws-manager-bridge. Previously in phase running');
      expect(bridge.supervisor.states().has('eu-sim')).toBe(false);
      expect(await bridge.store.getCluster('eu-sim')).toBeUndefined();
      expect(
        await metricValue(bridge.metrics, 'gitpod_ws_manager_bridge_cluster_score', {
          workspace_cluster: 'eu-sim',
        }),
      ).toBe(0);
    });

    it('a forced deregister waits for its own stops only, while another cluster streams at full speed', async () => {
      const db = await createTestDatabase(kind);
      cleanups.push(() => db.drop());
      const busy = await tlsSimulator();
      const quiet = await tlsSimulator();
      const { bridge, api } = await bridgeOn(db, {}, { deadlineMs: 10_000 });
      await api.register({ name: 'busy', url: busy.url, tls: clusterTlsOf(pki) });
      await api.register({ name: 'quiet', url: quiet.url, tls: clusterTlsOf(pki) });
      const ids = ['q-1', 'q-2', 'q-3'];
      for (const id of ids) quiet.sim.startWorkspace(startRequest(id));
      await vi.waitFor(
        async () => {
          const rows = await bridge.store.loadInstances(ids);
          expect(ids.map((id) => rows.get(id)?.row.phase)).toEqual(['running', 'running', 'running']);
        },
        { timeout: 10_000 },
      );
      const abort = new AbortController();
      const loadRun = busy.sim.runLoad({ workspaces: 2000, updatesPerSecond: 0, signal: abort.signal });
      cleanups.push(async () => {
        abort.abort();
        await loadRun;
      });
      // The other cluster keeps the engine busy all the time: there is always something to write.
      await vi.waitFor(() => expect(bridge.engine.applied).toBeGreaterThan(2000), { timeout: 20_000 });
      const appliedBefore = bridge.engine.applied;

      // Within the call's 10 s deadline: the stops of `quiet` do not wait for `busy` to go quiet.
      await api.deregister('quiet', true);

      expect(bridge.engine.applied).toBeGreaterThan(appliedBefore);
      expect(bridge.engine.dirty + bridge.engine.tracked).toBeGreaterThan(0);
      const rows = await bridge.store.loadInstances(ids);
      expect(ids.map((id) => rows.get(id)?.row.phase)).toEqual(['stopped', 'stopped', 'stopped']);
      expect(await bridge.store.getCluster('quiet')).toBeUndefined();
      expect(bridge.supervisor.states().get('busy')).toBe('streaming');
    });

    it('follows rows written by another party: insert, URL change, delete; refreshes classes', async () => {
      const db = await createTestDatabase(kind);
      cleanups.push(() => db.drop());
      const first = await tlsSimulator();
      const second = await tlsSimulator({
        workspaceClasses: [{ id: 'xl', displayName: 'XL', description: '16 cores', creditsPerMinute: 1 }],
      });
      const { bridge } = await bridgeOn(db);
      const at = new Date().toISOString();
      await bridge.store.insertCluster({
        name: 'us-1',
        url: first.url,
        tls: clusterTlsOf(pki),
        state: 'cordoned',
        score: 7,
        maxScore: 100,
        govern: true,
        region: 'north-america',
        admissionConstraints: [],
        availableWorkspaceClasses: [],
        preferredWorkspaceClass: null,
        createdAt: at,
        updatedAt: at,
      });
      await vi.waitFor(() => expect(bridge.supervisor.states().get('us-1')).toBe('streaming'), {
        timeout: 10_000,
      });
      expect(
        await metricValue(bridge.metrics, 'gitpod_ws_manager_bridge_cluster_cordoned', {
          workspace_cluster: 'us-1',
        }),
      ).toBe(1);
      await vi.waitFor(async () =>
        expect((await bridge.store.getCluster('us-1'))?.availableWorkspaceClasses.map((c) => c.id)).toContain(
          'g1-standard',
        ),
      );

      // Another party moves the cluster to a new ws-manager: the stream follows the new URL.
      await bridge.store.updateCluster('us-1', { url: second.url });
      second.sim.startWorkspace(startRequest('moved-1'));
      await vi.waitFor(
        async () =>
          expect((await bridge.store.loadInstances(['moved-1'])).get('moved-1')?.row.phase).toBe('running'),
        {
          timeout: 10_000,
        },
      );
      await vi.waitFor(async () =>
        expect((await bridge.store.getCluster('us-1'))?.availableWorkspaceClasses.map((c) => c.id)).toEqual([
          'xl',
        ]),
      );
      await vi.waitFor(() => expect(first.sim.subscriberCount).toBe(0));

      await bridge.store.deleteCluster('us-1');
      await vi.waitFor(() => expect(bridge.supervisor.states().has('us-1')).toBe(false), { timeout: 10_000 });
      await vi.waitFor(() => expect(second.sim.subscriberCount).toBe(0));
    });
  });
}
