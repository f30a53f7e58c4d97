/**
 * Instance controllers, prebuilds and lifecycle side effects through the whole bridge: a simulated
 * ws-manager over real loopback gRPC, a real SQLite file or PostgreSQL database, and (where messages
 * are asserted) a real Redis with a subscriber of its own. Controllers run every 100 ms.
 */
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import {
  StartWorkspaceRequest,
  WorkspacePhase,
  WorkspaceType,
  type WorkspaceStatus,
} from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openPublisher } from '../../src/pubsub/open-publisher.js';
import type { Message, Publisher } from '../../src/pubsub/ports.js';
import type { InstancePhase, InstanceRecord, WorkspaceType as RowType } from '../../src/store/types.js';
import {
  FAIL_AT_ANNOTATION,
  SimulatedWsManager,
  type SimulatorOptions,
} from '../../src/wsman/simulator/index.js';
import { instanceRow, prebuildRow, workspaceRow } from '../contract/store-fixtures.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase, DATABASES, type DatabaseKind, type TestDatabase } from '../helpers/databases.js';
import { metricValue } from '../helpers/engine-harness.js';
import { insertUserTokens, userTokenNames } from '../helpers/sql.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const STOPPED_MESSAGE = (phase: InstancePhase): string =>
  `Stopped by ws-manager-bridge. Previously in phase ${phase}`;

interface Setup {
  sim: SimulatedWsManager;
  bridge: Bridge;
  db: TestDatabase;
  /** Messages a subscriber of its own received, on every channel the bridge publishes. */
  messages: Message[];
  proxy: TcpProxy | undefined;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const CHANNELS = ['chan:workspace-instances', 'chan:prebuilds', 'chan:headless', 'chan:workspace-lifecycle'];

async function setup(
  kind: DatabaseKind,
  options: {
    redis?: boolean;
    sim?: SimulatorOptions;
    env?: Record<string, string>;
    /** Put a proxy between bridge and ws-manager, started or not. */
    proxy?: 'up' | 'down';
    http?: boolean;
  } = {},
): Promise<Setup> {
  const sim = new SimulatedWsManager({ manual: true, retainStoppedMs: 600_000, ...options.sim });
  const simPort = await sim.listen(0, '127.0.0.1');
  cleanups.push(() => sim.close());
  let proxy: TcpProxy | undefined;
  let port = simPort;
  if (options.proxy) {
    proxy = new TcpProxy('127.0.0.1', simPort);
    await proxy.start();
    port = proxy.port;
    cleanups.push(() => (proxy as TcpProxy).stop());
    if (options.proxy === 'down') await proxy.stop();
  }
  const db = await createTestDatabase(kind);
  cleanups.push(() => db.drop());
  const redisUrl = options.redis ? inject('redisUrl') : undefined;
  const publisher = await openPublisher(redisUrl, silentLogger());
  const config = testBridgeConfig(
    db.url,
    [port],
    { adoptUnknown: false },
    { CONTROLLER_INTERVAL_SECONDS: '100ms', CONTROLLER_MAX_DISCONNECT_SECONDS: '300ms', ...options.env },
  );
  const bridge = await createBridge(config, {
    logger: silentLogger(),
    publisher,
    http: options.http ?? false,
  });
  cleanups.push(() => bridge.stop());
  // Another service's subscriber: its own connection with Redis, the same publisher in-process.
  const observer: Publisher = redisUrl ? await openPublisher(redisUrl, silentLogger()) : publisher;
  if (observer !== publisher) cleanups.push(() => observer.close());
  const messages: Message[] = [];
  for (const channel of CHANNELS) await observer.subscribe(channel, (m) => messages.push(m));
  await bridge.start();
  return { sim, bridge, db, messages, proxy };
}

/** Seeds what the platform writes before a start: workspace `ws-<id>` and instance `<id>` on `sim`. */
async function seed(
  s: Setup,
  id: string,
  options: { phase?: InstancePhase; type?: RowType; createdAgoMs?: number; prebuildId?: string } = {},
): Promise<void> {
  const type = options.type ?? 'regular';
  await s.bridge.store.createWorkspaces([workspaceRow(`ws-${id}`, { ownerId: `owner-${id}`, type })]);
  const creationTime = new Date(Date.now() - (options.createdAgoMs ?? 0)).toISOString();
  await s.bridge.store.createInstances([
    instanceRow(id, { clusterName: 'sim', phase: options.phase ?? 'pending', creationTime }),
  ]);
  if (options.prebuildId) {
    await s.bridge.store.createPrebuilds([
      prebuildRow(options.prebuildId, { buildWorkspaceId: `ws-${id}`, projectId: 'project-7' }),
    ]);
  }
}

function startRequest(
  id: string,
  type: WorkspaceType = WorkspaceType.REGULAR,
  annotations: Record<string, string> = {},
): StartWorkspaceRequest {
  return StartWorkspaceRequest.fromPartial({
    id,
    servicePrefix: id,
    type,
    metadata: { owner: `owner-${id}`, metaId: `ws-${id}`, annotations },
    spec: { timeout: '30m0s' },
  });
}

async function load(s: Setup, id: string): Promise<InstanceRecord | undefined> {
  return (await s.bridge.store.loadInstances([id])).get(id);
}

async function waitForPhase(s: Setup, id: string, phase: InstancePhase): Promise<InstanceRecord> {
  let found: InstanceRecord | undefined;
  await vi.waitFor(
    async () => {
      found = await load(s, id);
      expect(found?.row.phase).toBe(phase);
    },
    { timeout: 10_000, interval: 20 },
  );
  return found as InstanceRecord;
}

/** Starts a seeded workspace in the simulator and steps it to RUNNING; returns its RUNNING status. */
async function runInSimulator(s: Setup, id: string, type?: WorkspaceType): Promise<WorkspaceStatus> {
  s.sim.startWorkspace(startRequest(id, type));
  let running: WorkspaceStatus | undefined;
  for (let i = 0; i < 3; i++) running = s.sim.advance(id);
  expect(running?.phase).toBe(WorkspacePhase.RUNNING);
  await waitForPhase(s, id, 'running');
  return running as WorkspaceStatus;
}

const ticks = (s: Setup, outcome: string): Promise<number> =>
  metricValue(s.bridge.metrics, 'gitpod_ws_manager_bridge_controller_ticks_total', {
    workspace_cluster: 'sim',
    outcome,
  });

/** Waits until the cluster's controller has run `count` more times with this outcome. */
async function waitForTicks(s: Setup, outcome: string, count: number): Promise<void> {
  const from = await ticks(s, outcome);
  await vi.waitFor(async () => expect(await ticks(s, outcome)).toBeGreaterThanOrEqual(from + count), {
    timeout: 10_000,
    interval: 20,
  });
}

const payloads = (s: Setup, channel: string, workspaceId: string): unknown[] =>
  s.messages
    .filter((m) => m.channel === channel)
    .map((m) => JSON.parse(m.payload) as Record<string, unknown>)
    .filter((p) => p.workspaceID === workspaceId || p.workspaceId === workspaceId);

for (const kind of DATABASES) {
  describe(`instance controller on ${kind}`, () => {
    it('marks a running instance stopped once ws-manager no longer knows it, and announces it', async () => {
      const s = await setup(kind);
      await seed(s, 'run-1');
      await runInSimulator(s, 'run-1');
      const announcedBefore = payloads(s, 'chan:workspace-instances', 'ws-run-1').length;
      s.sim.forget('run-1');
      const stopped = await waitForPhase(s, 'run-1', 'stopped');
      expect(stopped.row.status.message).toBe(STOPPED_MESSAGE('running'));
      expect(stopped.row.stoppingTime).not.toBeNull();
      expect(stopped.row.stoppedTime).not.toBeNull();
      expect(
        await metricValue(s.bridge.metrics, 'gitpod_ws_instances_marked_stopped_total', {
          previous_phase: 'running',
        }),
      ).toBe(1);
      await vi.waitFor(() =>
        expect(payloads(s, 'chan:workspace-instances', 'ws-run-1').length).toBeGreaterThan(announcedBefore),
      );
    });

    it('stops a pending instance past its timeout and leaves creating and young pending ones alone', async () => {
      const s = await setup(kind, { env: { TIMEOUTS_PENDING_PHASE_SECONDS: '60' } });
      await seed(s, 'old-pending', { createdAgoMs: 61_000 });
      await seed(s, 'old-creating', { phase: 'creating', createdAgoMs: 3_600_000 });
      await seed(s, 'young-pending', { createdAgoMs: 0 });
      const stopped = await waitForPhase(s, 'old-pending', 'stopped');
      expect(stopped.row.status.message).toBe(STOPPED_MESSAGE('pending'));
      await waitForTicks(s, 'ok', 3);
      expect((await load(s, 'old-creating'))?.row.phase).toBe('creating');
      expect((await load(s, 'young-pending'))?.row.phase).toBe('pending');
    });

    it('stops nothing while ws-manager is down, reports the cluster disconnected, and resumes after', async () => {
      const s = await setup(kind, { proxy: 'down', http: true });
      await seed(s, 'orphan', { phase: 'running' });
      await waitForTicks(s, 'unreachable', 4);
      expect((await load(s, 'orphan'))?.row.phase).toBe('running');
      const gauge = (): Promise<number> =>
        metricValue(s.bridge.metrics, 'gitpod_ws_manager_bridge_cluster_disconnected', {
          workspace_cluster: 'sim',
        });
      await vi.waitFor(async () => expect(await gauge()).toBe(1));
      const readyz = await fetch(`http://127.0.0.1:${s.bridge.httpPort}/readyz`);
      expect(readyz.status).toBe(503);
      expect(JSON.stringify(await readyz.json())).toMatch(
        /cluster:sim.*disconnected: ws-manager unreachable/,
      );

      await s.proxy?.start();
      const stopped = await waitForPhase(s, 'orphan', 'stopped');
      expect(stopped.row.status.message).toBe(STOPPED_MESSAGE('running'));
      expect(await gauge()).toBe(0);
    });

    it('keeps a controller-stopped instance stopped on a stale RUNNING; a newer RUNNING revives it', async () => {
      const s = await setup(kind);
      await seed(s, 'late-1');
      const running = await runInSimulator(s, 'late-1');
      s.sim.forget('late-1');
      await waitForPhase(s, 'late-1', 'stopped');
      const stale = (): Promise<number> =>
        metricValue(s.bridge.metrics, 'gitpod_ws_manager_bridge_stale_status_updates_total');
      const staleBefore = await stale();
      // On the next resync ws-manager "still" lists the workspace as it was when it ran.
      s.sim.hooks.afterSnapshot = (snapshot) => void snapshot.push(structuredClone(running));
      s.sim.dropSubscribers();
      await vi.waitFor(async () => expect(await stale()).toBeGreaterThan(staleBefore), { timeout: 10_000 });
      await s.bridge.engine.whenIdle();
      expect((await load(s, 'late-1'))?.row).toMatchObject({
        phase: 'stopped',
        statusVersion: running.statusVersion,
      });

      const newer = { ...structuredClone(running), statusVersion: running.statusVersion + 1_000n };
      s.sim.hooks.afterSnapshot = (snapshot) => void snapshot.push(newer);
      s.sim.dropSubscribers();
      const revived = await waitForPhase(s, 'late-1', 'running');
      expect(revived.row).toMatchObject({ stoppedTime: null, statusVersion: newer.statusVersion });
    });

    it("revokes a stopped instance's tokens, from the stream and from a controller stop, and keeps others", async () => {
      const s = await setup(kind);
      await seed(s, 'tok-a');
      await seed(s, 'tok-b');
      await insertUserTokens(s.db, [
        { tokenHash: 'h1', userId: 'owner-tok-a', name: 'tok-a-ide' },
        { tokenHash: 'h2', userId: 'owner-tok-a', name: 'tok-a-supervisor' },
        { tokenHash: 'h3', userId: 'owner-tok-a', name: 'personal' },
        { tokenHash: 'h4', userId: 'someone-else', name: 'tok-a-ide' },
        { tokenHash: 'h5', userId: 'owner-tok-b', name: 'tok-b-ide' },
        { tokenHash: 'h6', userId: 'owner-tok-b', name: 'tok-b2-ide' },
      ]);
      await runInSimulator(s, 'tok-a');
      await runInSimulator(s, 'tok-b');
      s.sim.stopWorkspace('tok-a');
      s.sim.advance('tok-a');
      await waitForPhase(s, 'tok-a', 'stopped');
      expect(await userTokenNames(s.db)).toEqual([
        'owner-tok-a/personal',
        'owner-tok-b/tok-b-ide',
        'owner-tok-b/tok-b2-ide',
        'someone-else/tok-a-ide',
      ]);
      s.sim.forget('tok-b');
      await waitForPhase(s, 'tok-b', 'stopped');
      expect(await userTokenNames(s.db)).toEqual([
        'owner-tok-a/personal',
        'owner-tok-b/tok-b2-ide',
        'someone-else/tok-a-ide',
      ]);
    });
  });

  describe(`prebuilds and lifecycle events on ${kind} (Redis)`, () => {
    it('finishes a successful and a failed prebuild and publishes their messages', async () => {
      const s = await setup(kind, { redis: true, sim: { manual: false, phaseDelayMs: 10 } });
      await seed(s, 'pb-ok', { type: 'prebuild', prebuildId: 'prebuild-ok' });
      await seed(s, 'pb-bad', { type: 'prebuild', prebuildId: 'prebuild-bad' });
      s.sim.startWorkspace(startRequest('pb-ok', WorkspaceType.PREBUILD));
      s.sim.startWorkspace(
        startRequest('pb-bad', WorkspaceType.PREBUILD, { [FAIL_AT_ANNOTATION]: 'running' }),
      );
      await waitForPhase(s, 'pb-ok', 'stopped');
      await waitForPhase(s, 'pb-bad', 'stopped');
      expect((await load(s, 'pb-ok'))?.prebuild).toMatchObject({
        id: 'prebuild-ok',
        state: 'available',
        snapshot: 'sim-snapshot-pb-ok',
        error: null,
      });
      expect((await load(s, 'pb-bad'))?.prebuild).toMatchObject({
        id: 'prebuild-bad',
        state: 'failed',
        error: 'simulated failure while running',
      });
      await vi.waitFor(
        () => {
          expect(payloads(s, 'chan:prebuilds', 'ws-pb-ok').at(-1)).toEqual({
            projectID: 'project-7',
            prebuildID: 'prebuild-ok',
            status: 'available',
            workspaceID: 'ws-pb-ok',
            organizationID: 'org-1',
          });
          expect(payloads(s, 'chan:prebuilds', 'ws-pb-bad').at(-1)).toMatchObject({ status: 'failed' });
          expect(payloads(s, 'chan:headless', 'ws-pb-ok').at(-1)).toEqual({
            type: 'finish-success',
            workspaceID: 'ws-pb-ok',
          });
          expect(payloads(s, 'chan:headless', 'ws-pb-bad').at(-1)).toEqual({
            type: 'failed',
            workspaceID: 'ws-pb-bad',
          });
          const lifecycle = payloads(s, 'chan:workspace-lifecycle', 'ws-pb-ok') as { messageId: string }[];
          expect(lifecycle.map((e) => e.messageId)).toEqual(['bridge-wsrun-pb-ok', 'bridge-wsstopped-pb-ok']);
        },
        { timeout: 10_000, interval: 20 },
      );
      // A `building` message may be replaced by `available` before it is sent (one pending message
      // per instance and channel), so only the final state is certain on the channel.
      expect(JSON.stringify(s.messages)).not.toContain((await load(s, 'pb-ok'))?.row.status.ownerToken);
      for (const [state, count] of [
        ['available', 1],
        ['failed', 1],
      ] as const) {
        expect(await metricValue(s.bridge.metrics, 'gitpod_prebuilds_completed_total', { state })).toBe(
          count,
        );
      }
    });

    it('aborts a building prebuild when a controller stops its instance', async () => {
      const s = await setup(kind, { redis: true });
      await seed(s, 'pb-gone', { type: 'prebuild', prebuildId: 'prebuild-gone' });
      await runInSimulator(s, 'pb-gone', WorkspaceType.PREBUILD);
      await vi.waitFor(async () => expect((await load(s, 'pb-gone'))?.prebuild?.state).toBe('building'));
      s.sim.forget('pb-gone');
      await waitForPhase(s, 'pb-gone', 'stopped');
      expect((await load(s, 'pb-gone'))?.prebuild?.state).toBe('aborted');
      await vi.waitFor(() => {
        expect(payloads(s, 'chan:prebuilds', 'ws-pb-gone').at(-1)).toMatchObject({ status: 'aborted' });
        expect(payloads(s, 'chan:headless', 'ws-pb-gone').at(-1)).toEqual({
          type: 'aborted',
          workspaceID: 'ws-pb-gone',
        });
      });
      expect(
        await metricValue(s.bridge.metrics, 'gitpod_prebuilds_completed_total', { state: 'aborted' }),
      ).toBe(1);
    });
  });
}
