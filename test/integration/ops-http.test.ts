/** The operator endpoints of a running bridge: /healthz, /readyz per part, /metrics, and nothing secret. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBridge } from '../../src/bridge.js';
import { StartWorkspaceRequest } from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase } from '../helpers/databases.js';
import { unusedPort } from '../helpers/tcp-proxy.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('operator HTTP endpoints', () => {
  it('report health, per-part readiness and metrics', async () => {
    const sim = new SimulatedWsManager({ phaseDelayMs: 5 });
    const port = await sim.listen(0, '127.0.0.1');
    cleanups.push(() => sim.close());
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    const bridge = await createBridge(testBridgeConfig(db.url, [port]), { logger: silentLogger() });
    await bridge.start();
    cleanups.push(() => bridge.stop());
    const http = bridge.httpPort as number;

    expect(await get(http, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    await vi.waitFor(async () => expect((await get(http, '/readyz')).status).toBe(200));
    const ready = JSON.parse((await get(http, '/readyz')).body) as {
      checks: Record<string, { ok: boolean }>;
    };
    expect(Object.keys(ready.checks).sort()).toEqual(['bridge', 'cluster:sim', 'database', 'notifications']);

    const token = sim.startWorkspace(
      StartWorkspaceRequest.fromPartial({ id: 'i-1', metadata: { owner: 'u', metaId: 'w-1' }, spec: {} }),
    ).ownerToken;
    await vi.waitFor(async () =>
      expect((await bridge.store.loadInstances(['i-1'])).get('i-1')?.row.phase).toBe('running'),
    );
    const metrics = (await get(http, '/metrics')).body;
    expect(metrics).toMatch(
      /gitpod_ws_manager_bridge_cluster_stream_state\{workspace_cluster="sim",state="streaming"\} 1/,
    );
    expect(metrics).toMatch(/gitpod_ws_manager_bridge_instances_tracked \d+/);
    expect(metrics).toMatch(/gitpod_ws_manager_bridge_notifications_pending 0/);
    expect(metrics).toMatch(
      /gitpod_ws_manager_bridge_status_updates_total\{workspace_cluster="sim",known_instance="true"\} [1-9]/,
    );
    expect(token.length).toBeGreaterThan(8);
    expect(metrics).not.toContain(token);

    // ws-manager goes away: the cluster check fails, the others stay ok.
    await sim.close();
    await vi.waitFor(async () => expect((await get(http, '/readyz')).status).toBe(503), { timeout: 10_000 });
    const down = JSON.parse((await get(http, '/readyz')).body) as { checks: Record<string, { ok: boolean }> };
    expect(down.checks['cluster:sim']?.ok).toBe(false);
    expect(down.checks.database?.ok).toBe(true);
    expect((await get(http, '/nope')).status).toBe(404);
  });

  it('says why it is not ready while Redis cannot be reached, with the password left out', async () => {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    const redisUrl = `redis://bridge:very-secret@127.0.0.1:${await unusedPort()}`;
    const bridge = await createBridge(testBridgeConfig(db.url, [], { redisUrl }), { logger: silentLogger() });
    await bridge.start();
    cleanups.push(() => bridge.stop());
    let body = '';
    await vi.waitFor(async () => {
      body = (await get(bridge.httpPort as number, '/readyz')).body;
      expect(body).toMatch(
        /"notifications":\{"ok":false,"detail":"redis connection [a-z]+: [^"]*ECONNREFUSED/,
      );
    });
    expect(body).not.toContain('very-secret');
  });
});
