/**
 * Tracing over OTLP/HTTP to a real receiver, and off without the standard environment; a whole
 * bridge (simulated ws-manager over loopback gRPC, SQLite, ClusterService) traced end to end.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata } from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBridge } from '../../src/bridge.js';
import { ListRequest } from '../../src/generated/workspacemanagerbridge/cluster-service.js';
import { StartWorkspaceRequest, WorkspacePhase } from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { setupTracing, tracingRequested } from '../../src/observability/tracing.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { ApiClient } from '../helpers/cluster-service-harness.js';
import { createTestDatabase } from '../helpers/databases.js';
import { metricValue } from '../helpers/engine-harness.js';
import { LogCapture } from '../helpers/log-capture.js';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';

const TICKS = 'gitpod_ws_manager_bridge_controller_ticks_total';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('tracing', () => {
  it.each<[string, Record<string, string>, boolean]>([
    ['nothing set', {}, false],
    ['an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    ['a traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    ['an exporter', { OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [
      'the exporter none, despite an endpoint',
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'x' },
      false,
    ],
  ])('is requested with %s: %s', async (_name, env, requested) => {
    expect(tracingRequested(env)).toBe(requested);
    expect((await setupTracing(env, silentLogger(), 'test')).enabled).toBe(requested);
  });

  it('sends spans to the endpoint, continuing a W3C traceparent', async () => {
    const receiver = new OtlpReceiver();
    const endpoint = await receiver.start();
    cleanups.push(() => receiver.stop());
    const tracing = await setupTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, silentLogger(), 'test');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = tracing.parentFrom({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(parent).toBeDefined();
    tracing.tracer.startSpan('child', { attributes: { 'bridge.cluster': 'eu-1' } }, parent).end();
    await tracing.inSpan('work', { 'bridge.rows': 3 }, () => Promise.resolve());
    expect(tracing.parentFrom({})).toBeUndefined();
    expect(tracing.parentFrom({ traceparent: 'garbage' })).toBeUndefined();
    await tracing.shutdown();
    const child = await receiver.waitFor((s) => s.name === 'child');
    expect(child).toMatchObject({
      traceId,
      parentSpanId: '00f067aa0ba902b7',
      attributes: { 'bridge.cluster': 'eu-1' },
    });
    expect((await receiver.waitFor((s) => s.name === 'work')).attributes).toEqual({ 'bridge.rows': 3 });
  });
});

describe('tracing when the collector fails', () => {
  it('logs the failed export once and still shuts down, without throwing', async () => {
    const refusing = createServer((_req, res) => res.writeHead(400).end('{}'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => refusing.close(resolve)));
    const endpoint = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    const logs = new LogCapture();
    const tracing = await setupTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, logs.logger, 'test');
    for (let i = 0; i < 3; i++) tracing.tracer.startSpan(`span-${i}`).end();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
    const failed = logs.matching('tracing: spans could not be exported');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 40, spans: 3 });
  });

  it('gives up on the last spans after a grace when nothing answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      silent.closeAllConnections();
      return new Promise((resolve) => silent.close(resolve));
    });
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const logs = new LogCapture();
    const tracing = await setupTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, logs.logger, 'test');
    tracing.tracer.startSpan('unsent').end();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
    expect(logs.matching('tracing: the last spans were not sent in time')).toHaveLength(1);
  });
});

describe('a traced bridge', () => {
  it('sends spans for every stage, continues ws-manager and caller trace context, and carries no secret', async () => {
    const receiver = new OtlpReceiver();
    const endpoint = await receiver.start();
    cleanups.push(() => receiver.stop());
    const sim = new SimulatedWsManager({ phaseDelayMs: 5, retainStoppedMs: 600_000 });
    const simPort = await sim.listen(0, '127.0.0.1');
    cleanups.push(() => sim.close());
    // A traced ws-manager: one trace per instance, one span id per status version.
    const traceIdOf = (id: string): string => Buffer.from(id.padEnd(16, '.').slice(0, 16)).toString('hex');
    sim.hooks.headerOf = (status) => ({
      traceparent: `00-${traceIdOf(status.id)}-${status.statusVersion.toString(16).padStart(16, '0')}-01`,
    });
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    const token = 'cluster-service-secret-token';
    const config = testBridgeConfig(
      db.url,
      [simPort],
      {},
      { CLUSTER_SERVICE_TOKEN: token, CONTROLLER_INTERVAL_SECONDS: '1' },
    );
    const tracing = await setupTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, silentLogger(), 'test');
    const bridge = await createBridge(config, { logger: silentLogger(), http: false, tracing });
    cleanups.push(() => bridge.stop());
    await bridge.start();

    const ids = ['trace-a', 'trace-b'];
    for (const id of ids) {
      sim.startWorkspace(
        StartWorkspaceRequest.fromPartial({
          id,
          servicePrefix: id,
          metadata: { owner: `u-${id}`, metaId: `ws-${id}` },
          spec: {},
        }),
      );
    }
    await vi.waitFor(
      async () => {
        const rows = await bridge.store.loadInstances(ids);
        for (const id of ids) expect(rows.get(id)?.row.phase).toBe('running');
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(sim.truth().every((t) => t.phase === WorkspacePhase.RUNNING)).toBe(true);
    const api = new ApiClient(`127.0.0.1:${bridge.clusterServicePort}`);
    cleanups.push(() => Promise.resolve(api.close()));
    const callerTrace = 'abcdef0123456789abcdef0123456789';
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    md.set('traceparent', `00-${callerTrace}-1111111111111111-01`);
    await new Promise<void>((resolve, reject) =>
      api.raw.list(ListRequest.fromPartial({}), md, (error) => (error ? reject(error) : resolve())),
    );
    // One controller pass at least (every second).
    await vi.waitFor(
      async () =>
        expect(
          await metricValue(bridge.metrics, TICKS, { workspace_cluster: 'sim', outcome: 'ok' }),
        ).toBeGreaterThan(0),
      { timeout: 10_000, interval: 100 },
    );
    await bridge.stop();

    const names = new Set(receiver.spans.map((s) => s.name));
    for (const name of [
      'wsman.resync',
      'wsman.stream.batch',
      'wsman.status',
      'bridge.reduce',
      'bridge.commit',
      'bridge.notify',
      'bridge.controller.tick',
      'workspacemanagerbridge.ClusterService/List',
    ]) {
      expect(names, name).toContain(name);
    }
    const statusSpans = receiver.spans.filter((s) => s.name === 'wsman.status');
    for (const span of statusSpans) {
      const id = span.attributes['bridge.instance_id'] as string;
      expect(ids).toContain(id);
      expect(span.traceId).toBe(traceIdOf(id));
      expect(BigInt(`0x${span.parentSpanId}`)).toBe(
        BigInt(span.attributes['bridge.status_version'] as string),
      );
    }
    const commits = receiver.spans.filter((s) => s.name === 'bridge.commit');
    const applied = commits.reduce((n, s) => n + Number(s.attributes['bridge.applied'] ?? 0), 0);
    expect(applied).toBeGreaterThanOrEqual(ids.length);
    const list = receiver.spans.find((s) => s.name === 'workspacemanagerbridge.ClusterService/List');
    expect(list).toMatchObject({
      traceId: callerTrace,
      parentSpanId: '1111111111111111',
      attributes: { 'rpc.method': 'List', 'rpc.grpc.status_code': 0 },
    });
    const tick = receiver.spans.find(
      (s) => s.name === 'bridge.controller.tick' && s.attributes['bridge.cluster'] === 'sim',
    );
    expect(tick?.attributes['bridge.outcome']).toBe('ok');
    // Nothing secret in anything that left the process: owner tokens, the ClusterService token.
    const sent = receiver.bodies.join('\n');
    const owners = sim.truth().map((t) => t.auth?.ownerToken ?? '');
    expect(owners.every((o) => o.length > 10)).toBe(true);
    for (const secret of [token, ...owners]) expect(sent).not.toContain(secret);
  });
});
