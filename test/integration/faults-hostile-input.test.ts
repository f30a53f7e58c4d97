/**
 * Fault case: a ws-manager that sends oversized or hostile statuses. Statuses over `STATUS_LIMITS`
 * (10,000 exposed ports, a megabyte of failure text, a 300-character id) are refused whole, logged
 * once per instance and counted; a message over the gRPC limit (16 MiB) ends the stream, which is
 * logged and reconnects. Memory stays where it was, and the other instances go on: their rows end
 * equal to ws-manager's statuses, and each change is announced.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { WorkspacePhase, type DeepPartial, type WorkspaceStatus } from '../../src/generated/wsman/core.js';
import { InProcessPublisher } from '../../src/pubsub/in-process-publisher.js';
import type { Message } from '../../src/pubsub/ports.js';
import { STATUS_LIMITS } from '../../src/sync/validate-status.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { metricValue } from '../helpers/engine-harness.js';
import { expectAnnounced, expectRecordMatchesStatus } from '../helpers/fault-truth.js';
import { LogCapture } from '../helpers/log-capture.js';
import { ScriptedWsman } from '../helpers/scripted-wsman.js';
import { wireStatus } from '../helpers/statuses.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;

let current: { wsman: ScriptedWsman; bridge: Bridge; db: TestDatabase } | undefined;

afterEach(async () => {
  if (!current) return;
  await current.bridge.stop();
  current.wsman.close();
  await current.db.drop();
  current = undefined;
});

/** A status of instance `id` (workspace `ws-<id>`, owner `owner-<id>`). */
function status(id: string, version: bigint, overrides: DeepPartial<WorkspaceStatus> = {}): WorkspaceStatus {
  return wireStatus({
    id,
    statusVersion: version,
    metadata: { owner: `owner-${id}`, metaId: `ws-${id}`, annotations: {} },
    spec: { url: `https://${id}.ws.example.test` },
    phase: WorkspacePhase.RUNNING,
    message: `${id} at ${version}`,
    ...overrides,
  });
}

const ports = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ port: 1024 + i, url: `https://${i}-p.test` }));

/** Heap in use after a full collection. */
function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

describe('oversized and hostile statuses', () => {
  it('are refused, logged once and counted; the stream survives a message over the gRPC limit', async () => {
    const wsman = await ScriptedWsman.start();
    const db = await createTestDatabase('sqlite');
    const logs = new LogCapture('info');
    const publisher = new InProcessPublisher();
    const messages: Message[] = [];
    await publisher.subscribe('chan:workspace-instances', (m) => messages.push(m));
    const bridge = await createBridge(testBridgeConfig(db.url, [wsman.port]), {
      logger: logs.logger,
      publisher,
      http: false,
    });
    current = { wsman, bridge, db };
    await bridge.start();
    await vi.waitFor(() => expect(wsman.subscribers).toBe(1), { timeout: 20_000 });
    const tooLarge = () =>
      metricValue(bridge.metrics, 'gitpod_ws_manager_bridge_invalid_status_updates_total', {
        reason: 'too-large',
      });

    const normal = ['n-0', 'n-1', 'n-2'];
    const hostile = ['h-ports', 'h-text'];
    for (const id of [...normal, ...hostile]) wsman.emit(status(id, 1n));
    await vi.waitFor(
      async () => expect((await bridge.store.loadInstances([...normal, ...hostile])).size).toBe(5),
      {
        timeout: 20_000,
      },
    );
    const firstRows = await bridge.store.loadInstances(hostile);
    const baseline = heapUsed();

    // Hostile statuses, repeated, among ordinary changes of the other instances.
    let version = 1n;
    for (let round = 0; round < 40; round++) {
      version += 1n;
      wsman.emit(status('h-ports', version, { spec: { exposedPorts: ports(10_000) } }));
      wsman.emit(status('h-text', version, { conditions: { failed: 'x'.repeat(MiB) } }));
      wsman.emit(status(`h-${'i'.repeat(STATUS_LIMITS.idLength + 44)}`, version));
      for (const id of normal) wsman.emit(status(id, version, { phase: WorkspacePhase.RUNNING }));
    }
    await vi.waitFor(async () => expect(await tooLarge()).toBeGreaterThanOrEqual(120), { timeout: 20_000 });
    const grownBy = heapUsed() - baseline;

    // One message over the 16 MiB limit, on the stream only: the stream ends and reconnects.
    wsman.emit(status('h-huge', 1n, { message: 'x'.repeat(17 * MiB) }), { listed: false });
    await logs.waitFor('ws-manager stream lost, reconnecting');
    await vi.waitFor(() => expect(wsman.subscribers).toBe(1), { timeout: 20_000 });
    version += 1n;
    for (const id of normal) wsman.emit(status(id, version, { phase: WorkspacePhase.STOPPING }));

    const truth = normal.map((id) => wsman.listed.get(id) as WorkspaceStatus);
    await vi.waitFor(
      async () => {
        const rows = await bridge.store.loadInstances(normal);
        for (const t of truth) expectRecordMatchesStatus(rows.get(t.id), t);
      },
      { timeout: 20_000 },
    );
    await expectAnnounced(messages, normal);
    // The refused instances keep what they had; the over-long id never reached the database.
    expect(await bridge.store.loadInstances(hostile)).toEqual(firstRows);
    expect((await bridge.store.listInstances({})).map((r) => r.row.id).sort()).toEqual(
      [...hostile, ...normal].sort(),
    );

    const refusals = logs.lines.filter((l) => l.msg.startsWith('invalid status'));
    expect(refusals.map((l) => l.msg).sort()).toEqual([
      `invalid status for instance h-${'i'.repeat(62)}…: the instance id has 302 characters, more than 256`,
      'invalid status for instance h-ports: spec.exposedPorts has 10000 entries, more than 1000',
      `invalid status for instance h-text: conditions.failed has ${MiB} characters, more than 65536`,
    ]);
    // No line carries a hostile id whole.
    for (const line of refusals) expect(String(line.instanceId).length).toBeLessThanOrEqual(64);
    const lost = logs.matching('ws-manager stream lost');
    expect(lost).toHaveLength(1);
    expect(String(lost[0]?.err)).toMatch(/RESOURCE_EXHAUSTED: Received message larger than max/);
    expect(
      await metricValue(bridge.metrics, 'gitpod_ws_manager_bridge_cluster_reconnects_total'),
    ).toBeGreaterThanOrEqual(1);
    // 120 refused statuses of up to a megabyte each went through; none of it stayed.
    expect(grownBy).toBeLessThan(16 * MiB);
    console.info(
      `hostile input: ${await tooLarge()} statuses refused, heap ${(grownBy / MiB).toFixed(1)} MiB after vs before, one reconnect after a ${17} MiB message`,
    );
  });
});
