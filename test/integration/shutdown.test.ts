/**
 * Shutdown for real: a SIGTERM to a running `ws-manager-bridge serve` process drains what it holds and
 * exits 0; and in-process, a stop in the middle of a load leaves no received update unwritten.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBridge } from '../../src/bridge.js';
import type { WorkspaceStatus } from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openStore } from '../../src/store/open-store.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import { runSql } from '../helpers/sql.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('serve process', () => {
  it('drains and exits 0 on SIGTERM, with the demo workload written', async () => {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main.ts',
        'serve',
        '--allow-plaintext-clusters',
        '--demo-workspaces',
        '20',
        '--demo-rate',
        '400',
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          BRIDGE_HTTP_ADDR: '127.0.0.1:0',
          BRIDGE_HEALTH_ADDR: '127.0.0.1:0',
          BRIDGE_DEBUG_ADDR: '127.0.0.1:0',
          CLUSTER_SERVICE_ADDR: '127.0.0.1:0',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: { msg?: string; clean?: boolean }[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const running = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; clean?: boolean };
        lines.push(entry);
        if (entry.msg === 'ws-manager stream established') resolve();
      });
    });
    await running;
    // Once the demo's workspaces are in the database, ask the process to stop.
    await vi.waitFor(
      async () => {
        const [row] = await runSql<{ n: number | bigint }>(
          db,
          'SELECT count(*) AS n FROM workspace_instances',
        );
        expect(Number(row?.n ?? 0)).toBeGreaterThanOrEqual(20);
      },
      { timeout: 20_000, interval: 50 },
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.find((l) => l.msg === 'ws-manager-bridge stopped')?.clean).toBe(true);
    const store = await openStore(db.url, { logger: silentLogger() });
    const phases = await store.countInstancesByPhase();
    await store.close();
    expect([...phases.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
  });
});

for (const kind of DATABASES) {
  describe(`stop during a load on ${kind}`, () => {
    it('writes every received update before it resolves', async () => {
      const sim = new SimulatedWsManager({ retainStoppedMs: 600_000 });
      const port = await sim.listen(0, '127.0.0.1');
      cleanups.push(() => sim.close());
      const db: TestDatabase = await createTestDatabase(kind);
      cleanups.push(() => db.drop());
      // Per instance: statuses received and not yet settled (committed or skipped).
      const open = new Map<string, number>();
      const settle = (id: string): void => void open.delete(id);
      const config = testBridgeConfig(db.url, [port]);
      const bridge = await createBridge(config, {
        logger: silentLogger(),
        http: false,
        probe: {
          received: (s: WorkspaceStatus) => open.set(s.id, (open.get(s.id) ?? 0) + 1),
          skipped: (s: WorkspaceStatus) => {
            const left = (open.get(s.id) ?? 1) - 1;
            if (left === 0) settle(s.id);
            else open.set(s.id, left);
          },
          committed: (ids) => ids.forEach(settle),
        },
      });
      await bridge.start();
      const abort = new AbortController();
      const load = sim.runLoad({ workspaces: 200, updatesPerSecond: 3000, signal: abort.signal });
      // Stop in the middle of the load, with writes under way.
      await vi.waitFor(() => expect(bridge.engine.applied).toBeGreaterThan(300), { timeout: 20_000 });
      const states: string[] = [bridge.state];
      const stopping = bridge.stop();
      states.push(bridge.state);
      expect(await stopping).toBe(true);
      states.push(bridge.state);
      abort.abort();
      await load;
      expect(states).toEqual(['running', 'stopping', 'stopped']);
      expect(bridge.engine.applied).toBeGreaterThan(0);
      expect([...open.keys()]).toEqual([]);
    });
  });
}
