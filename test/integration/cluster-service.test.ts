/**
 * The ClusterService over real gRPC on 127.0.0.1, a real store (SQLite and PostgreSQL) and a real
 * ws-manager endpoint (TLS) for the reachability probe.
 */
import { seedInstances } from '../helpers/seed.js';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StaticCluster } from '../../src/config/config.js';
import {
  ClusterState,
  Preferability,
  type RegisterRequest,
} from '../../src/generated/workspacemanagerbridge/cluster-service.js';
import type { Store } from '../../src/store/ports.js';
import { DEFAULT_WORKSPACE_CLASSES } from '../../src/wsman/simulator/index.js';
import type { InstancePhase, WorkspaceType } from '../../src/store/types.js';
import {
  ApiClient,
  codeOf,
  startHarness,
  startTlsSimulator,
  type Harness,
  type HarnessOptions,
} from '../helpers/cluster-service-harness.js';
import { DATABASES } from '../helpers/databases.js';
import {
  FAKE_CLASSES,
  startDescribeOnlyWsman,
  type DescribeOnlyWsman,
} from '../helpers/describe-only-wsman.js';
import { b64, clusterTlsOf, createTestPki } from '../helpers/test-pki.js';
import { deferred } from '../helpers/deferred.js';

const pki = createTestPki();
const foreign = createTestPki('foreign-ca');
const TLS = clusterTlsOf(pki);
const TOKEN = 'cluster-service-token-s3cr3t';

const STATIC: StaticCluster = {
  name: 'static-1',
  url: 'static-ws-manager:8080',
  tls: TLS,
  state: 'available',
  score: 30,
  maxScore: 100,
  govern: true,
  region: 'asia',
  admissionConstraints: [{ type: 'has-permission', permission: 'developer' }],
};

async function seed(
  store: Store,
  cluster: string,
  rows: [string, InstancePhase, WorkspaceType][],
): Promise<void> {
  await seedInstances(
    store,
    rows.map(([id, phase, type]) => ({ id, phase, type })),
    { cluster, owner: 'owner' },
  );
}

describe.each(DATABASES)('ClusterService over %s', (kind) => {
  let wsman: DescribeOnlyWsman;
  const open: { close(): unknown }[] = [];

  beforeAll(async () => {
    wsman = await startDescribeOnlyWsman(pki);
  });
  afterAll(() => wsman.close());
  afterEach(async () => {
    wsman.behaviour = 'answer';
    for (const item of open.splice(0).reverse()) await item.close();
  });

  async function harness(options: HarnessOptions = {}): Promise<Harness> {
    const h = await startHarness(kind, { staticClusters: [STATIC], ...options });
    open.push(h);
    return h;
  }

  function client(h: Harness, options: ConstructorParameters<typeof ApiClient>[1] = {}): ApiClient {
    const c = new ApiClient(`127.0.0.1:${h.port}`, options);
    open.push(c);
    return c;
  }

  function registration(overrides: Partial<RegisterRequest> = {}): Partial<RegisterRequest> {
    return { name: 'eu-1', url: wsman.url, tls: TLS, region: 'europe', ...overrides };
  }

  it('registers a TLS cluster after probing it, stores its classes and lists it without TLS', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(
      registration({
        hints: { perfereability: 1, cordoned: true },
        admissionConstraints: [{ hasFeaturePreview: {} }, { hasPermission: { permission: 'admin-users' } }],
      }),
    );
    const row = await h.store.getCluster('eu-1');
    expect(row).toMatchObject({
      url: wsman.url,
      tls: TLS,
      state: 'cordoned',
      score: 100,
      maxScore: 100,
      govern: true,
      region: 'europe',
      admissionConstraints: [
        { type: 'has-feature-preview' },
        { type: 'has-permission', permission: 'admin-users' },
      ],
      availableWorkspaceClasses: FAKE_CLASSES.workspaceClasses,
      preferredWorkspaceClass: 'g1-standard',
    });
    expect(h.changed).toEqual(['eu-1']);
    const listed = await api.list();
    expect(listed).toEqual([
      {
        name: 'eu-1',
        url: wsman.url,
        state: ClusterState.CORDONED,
        score: 100,
        maxScore: 100,
        governed: true,
        admissionConstraint: [{ hasFeaturePreview: {} }, { hasPermission: { permission: 'admin-users' } }],
        static: false,
        region: 'europe',
        leaseHolder: '',
      },
      {
        name: 'static-1',
        url: 'static-ws-manager:8080',
        state: ClusterState.AVAILABLE,
        score: 30,
        maxScore: 100,
        governed: true,
        admissionConstraint: [{ hasPermission: { permission: 'developer' } }],
        static: true,
        region: 'asia',
        leaseHolder: '',
      },
    ]);
    const requested = h.logs.matching('requested clusters.register')[0];
    expect(requested).toMatchObject({ clientName: 'test-client' });
    expect(requested?.clientIP).toContain('127.0.0.1');
  });

  it('registers a simulated ws-manager served with mTLS end to end', async () => {
    const simulator = await startTlsSimulator(pki, { manual: true });
    open.push(simulator);
    const url = `dns:///${simulator.url}`;
    const h = await harness();
    const api = client(h);
    expect(await codeOf(api.register(registration({ name: 'sim', url, tls: clusterTlsOf(foreign) })))).toBe(
      status.FAILED_PRECONDITION,
    );
    await api.register(
      registration({
        name: 'sim',
        url,
        hints: { perfereability: Preferability.DontSchedule, cordoned: false },
      }),
    );
    expect(await h.store.getCluster('sim')).toMatchObject({
      url,
      score: 0,
      availableWorkspaceClasses: DEFAULT_WORKSPACE_CLASSES,
      preferredWorkspaceClass: DEFAULT_WORKSPACE_CLASSES[0]?.id,
    });
    expect((await api.list()).find((c) => c.name === 'sim')).toMatchObject({ url, score: 0, static: false });
    await api.deregister('sim');
    expect(await h.store.getCluster('sim')).toBeUndefined();
    expect(h.changed).toEqual(['sim', 'sim']);
  });

  it.each<[string, Partial<RegisterRequest>, string]>([
    ['empty name', { name: '' }, 'name is empty'],
    ['over-long name', { name: 'n'.repeat(65) }, 'longer than 64'],
    ['name with a space', { name: 'eu 1' }, 'may only contain'],
    ['empty url', { url: '' }, 'url is empty'],
    ['http url', { url: 'https://ws-manager:8080' }, 'http(s) URL'],
    ['url without port', { url: 'ws-manager' }, 'needs host:port'],
    ['url with a space', { url: 'ws manager:8080' }, 'whitespace'],
    ['unknown region', { region: 'europe-west1' }, 'region "europe-west1"'],
    [
      'unknown preferability',
      { hints: { perfereability: 7 as Preferability, cordoned: false } },
      'unknown preferability 7',
    ],
    ['missing TLS', { tls: undefined }, 'missing required TLS config'],
    ['TLS part empty', { tls: { ...TLS, ca: '' } }, 'missing required TLS config'],
    ['TLS not base64', { tls: { ...TLS, crt: '%%%' } }, 'tls.crt is not base64'],
    ['TLS not PEM', { tls: { ...TLS, ca: b64('not a pem') } }, 'tls.ca is not a base64-encoded PEM'],
    ['TLS key of another cert', { tls: { ...TLS, key: b64(foreign.client.key) } }, 'tls.key does not match'],
    [
      'a permission with whitespace',
      { admissionConstraints: [{ hasPermission: { permission: 'admin users' } }] },
      'without whitespace',
    ],
  ])('refuses a registration with %s: INVALID_ARGUMENT, nothing stored', async (_label, overrides, text) => {
    const h = await harness();
    const api = client(h);
    const probes = wsman.calls;
    const error = await api
      .register(registration(overrides))
      .catch((e: unknown) => e as { code: number; details: string });
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(error?.details).toContain(text);
    expect(error?.details).not.toContain(TLS.key.slice(0, 16));
    expect(await h.store.listClusters()).toEqual([]);
    expect(wsman.calls).toBe(probes);
    expect(h.changed).toEqual([]);
  });

  it('accepts a plain-text registration only with allowPlaintextClusters', async () => {
    const plain = await startDescribeOnlyWsman();
    open.push(plain);
    const strict = await harness();
    expect(await codeOf(client(strict).register(registration({ url: plain.url, tls: undefined })))).toBe(
      status.INVALID_ARGUMENT,
    );
    const relaxed = await harness({ allowPlaintextClusters: true });
    await client(relaxed).register(registration({ url: plain.url, tls: undefined }));
    expect((await relaxed.store.getCluster('eu-1'))?.tls).toBeNull();
  });

  it('refuses duplicate names and urls with ALREADY_EXISTS', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(registration());
    const sameName = await api.register(registration({ url: 'other:8080' })).catch((e: unknown) => e);
    expect(sameName).toMatchObject({
      code: status.ALREADY_EXISTS,
      details: expect.stringContaining('"eu-1"') as string,
    });
    const sameUrl = await api.register(registration({ name: 'eu-2' })).catch((e: unknown) => e);
    expect(sameUrl).toMatchObject({
      code: status.ALREADY_EXISTS,
      details: expect.stringContaining('already uses url') as string,
    });
    expect(await codeOf(api.register(registration({ name: 'static-1', url: 'x:1' })))).toBe(
      status.ALREADY_EXISTS,
    );
    expect((await h.store.listClusters()).map((c) => c.name)).toEqual(['eu-1']);
  });

  it('lets exactly one of several concurrent registrations of one name succeed', async () => {
    const h = await harness();
    const api = client(h);
    const codes = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        codeOf(api.register(registration({ region: i % 2 ? 'asia' : '' }))),
      ),
    );
    expect(codes.filter((c) => c === undefined)).toHaveLength(1);
    expect(codes.filter((c) => c === status.ALREADY_EXISTS)).toHaveLength(4);
    expect(await h.store.listClusters()).toHaveLength(1);
  });

  it('lets exactly one of concurrent registrations of one url under different names succeed', async () => {
    const h = await harness();
    const api = client(h);
    const codes = await Promise.all(
      ['eu-1', 'eu-2', 'eu-3'].map((name) => codeOf(api.register(registration({ name })))),
    );
    expect(codes.filter((c) => c === undefined)).toHaveLength(1);
    expect(codes.filter((c) => c === status.ALREADY_EXISTS)).toHaveLength(2);
    expect(await h.store.listClusters()).toHaveLength(1);
  });

  it.each<[string, (w: DescribeOnlyWsman) => Partial<RegisterRequest>, string]>([
    [
      'ws-manager answers with an error',
      (w) => {
        w.behaviour = 'fail';
        return {};
      },
      'ws-manager is restarting',
    ],
    ['nothing listens', () => ({ url: '127.0.0.1:1' }), 'cannot reach 127.0.0.1:1'],
    ['TLS of a foreign CA', () => ({ tls: clusterTlsOf(foreign) }), 'cannot reach'],
    [
      'no answer before the deadline',
      (w) => {
        w.behaviour = 'hang';
        return {};
      },
      'no answer to DescribeCluster within 300 ms',
    ],
  ])('refuses an unreachable cluster (%s) with FAILED_PRECONDITION', async (_label, arrange, text) => {
    const h = await harness({ describeDeadlineMs: 300 });
    const overrides = arrange(wsman);
    const error = await client(h)
      .register(registration(overrides))
      .catch((e: unknown) => e as { code: number; details: string });
    expect(error).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(error?.details).toContain(text);
    expect(await h.store.listClusters()).toEqual([]);
  });

  it('updates each oneof member, writing only that column', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(registration({ admissionConstraints: [{ hasPermission: { permission: 'a' } }] }));
    // Stands for a concurrent class refresh: Update must not write it back.
    await h.store.updateCluster('eu-1', { preferredWorkspaceClass: 'refreshed' });
    await api.update({ name: 'eu-1', score: 0 });
    await api.update({ name: 'eu-1', maxScore: 70 });
    await api.update({ name: 'eu-1', cordoned: true });
    expect(await h.store.getCluster('eu-1')).toMatchObject({ score: 0, maxScore: 70, state: 'cordoned' });
    await h.store.updateCluster('eu-1', { state: 'draining' });
    await api.update({ name: 'eu-1', cordoned: false });
    await api.update({
      name: 'eu-1',
      admissionConstraint: { add: true, constraint: { hasFeaturePreview: {} } },
    });
    await api.update({
      name: 'eu-1',
      admissionConstraint: { add: true, constraint: { hasPermission: { permission: 'b' } } },
    });
    await api.update({
      name: 'eu-1',
      admissionConstraint: { add: false, constraint: { hasPermission: { permission: 'a' } } },
    });
    const row = await h.store.getCluster('eu-1');
    expect(row).toMatchObject({
      state: 'available',
      admissionConstraints: [{ type: 'has-feature-preview' }, { type: 'has-permission', permission: 'b' }],
      preferredWorkspaceClass: 'refreshed',
    });
    expect(h.changed).toEqual(['eu-1', 'eu-1', 'eu-1', 'eu-1', 'eu-1', 'eu-1', 'eu-1', 'eu-1']);
  });

  it('updates TLS only after the new material reaches the stored url', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(registration());
    const callsBefore = wsman.calls;
    await api.update({ name: 'eu-1', tls: TLS });
    expect(wsman.calls).toBe(callsBefore);
    const refused = await api.update({ name: 'eu-1', tls: clusterTlsOf(foreign) }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining(`cannot reach ${wsman.url}`) as string,
    });
    expect((await h.store.getCluster('eu-1'))?.tls).toEqual(TLS);
    // A CA bundle is different material that still verifies the ws-manager.
    const bundled = { ...TLS, ca: b64(pki.ca.cert + foreign.ca.cert) };
    await api.update({ name: 'eu-1', tls: bundled });
    expect((await h.store.getCluster('eu-1'))?.tls).toEqual(bundled);
    expect(await codeOf(api.update({ name: 'eu-1', tls: { ...TLS, key: '' } }))).toBe(
      status.INVALID_ARGUMENT,
    );
  });

  it('drops empty admission constraints in Register and Update instead of refusing them', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(
      registration({
        admissionConstraints: [
          { hasPermission: { permission: '' } },
          {},
          { hasPermission: { permission: 'developer' } },
        ],
      }),
    );
    expect((await h.store.getCluster('eu-1'))?.admissionConstraints).toEqual([
      { type: 'has-permission', permission: 'developer' },
    ]);
    const before = await h.store.getCluster('eu-1');
    await api.update({
      name: 'eu-1',
      admissionConstraint: { add: true, constraint: { hasPermission: { permission: '' } } },
    });
    expect(await h.store.getCluster('eu-1')).toEqual(before);
    expect(h.logs.matching('cluster update changes nothing')).toHaveLength(1);
    expect(h.changed).toEqual(['eu-1']);
  });

  it('answers NOT_FOUND for unknown and FAILED_PRECONDITION for static clusters', async () => {
    const h = await harness();
    const api = client(h);
    const missing = await api.update({ name: 'nope', score: 1 }).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: status.NOT_FOUND,
      details: expect.stringContaining('"nope"') as string,
    });
    expect(await codeOf(api.update({ name: 'static-1', score: 1 }))).toBe(status.FAILED_PRECONDITION);
    expect(await codeOf(api.deregister('static-1'))).toBe(status.FAILED_PRECONDITION);
    expect(await codeOf(api.deregister('static-1', true))).toBe(status.FAILED_PRECONDITION);
    expect(await codeOf(api.update({ name: '', score: 1 }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(api.update({ name: 'nope', score: 1, maxScore: 2 }))).toBe(status.INVALID_ARGUMENT);
    expect(h.changed).toEqual([]);
  });

  it('refuses to deregister a cluster with running regular instances unless forced', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(registration());
    await seed(h.store, 'eu-1', [
      ['i-running', 'running', 'regular'],
      ['i-pending', 'pending', 'regular'],
      ['i-stopping', 'stopping', 'regular'],
      ['i-stopped', 'stopped', 'regular'],
      ['i-prebuild', 'running', 'prebuild'],
    ]);
    await seed(h.store, 'other', [['i-elsewhere', 'running', 'regular']]);
    const refused = await api
      .deregister('eu-1')
      .catch((e: unknown) => e as { code: number; details: string });
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(refused?.details).toMatch(
      /^cluster is not empty \(2 instances remaining\)\[i-(running|pending),i-(running|pending)\]/,
    );
    expect(h.stopCalls).toEqual([]);
    expect(await h.store.getCluster('eu-1')).toBeDefined();

    await api.deregister('eu-1', true);
    expect(h.stopCalls).toEqual([
      { name: 'eu-1', reason: expect.stringContaining('deregistered with force') as string },
    ]);
    expect(await h.store.getCluster('eu-1')).toBeUndefined();
    expect(h.changed).toEqual(['eu-1', 'eu-1']);
  });

  it('names the first 20 instances that keep a cluster from deregistering and counts the rest', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(registration());
    const ids = Array.from({ length: 23 }, (_, i) => `i-${String(i).padStart(2, '0')}`);
    await seed(
      h.store,
      'eu-1',
      ids.map((id): [string, InstancePhase, WorkspaceType] => [id, 'running', 'regular']),
    );
    const refused = await api
      .deregister('eu-1')
      .catch((e: unknown) => e as { code: number; details: string });
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(refused?.details).toContain(
      `cluster is not empty (23 instances remaining)[${ids.slice(0, 20).join(',')},…(3 more)]`,
    );
  });

  it('deregisters an unknown name successfully, with or without force, so that a retry succeeds', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(registration());
    await api.deregister('eu-1');
    await api.deregister('eu-1');
    await api.deregister('eu-1', true);
    await api.deregister('never-registered');
    expect(await h.store.getCluster('eu-1')).toBeUndefined();
    expect(h.stopCalls).toEqual([]);
    expect(h.changed).toEqual(['eu-1', 'eu-1']);
    expect(h.logs.matching('no cluster of that name, nothing to do')).toHaveLength(3);
  });

  it('deregisters an empty cluster without force', async () => {
    const h = await harness();
    const api = client(h);
    await api.register(registration());
    await seed(h.store, 'eu-1', [['i-done', 'stopped', 'regular']]);
    await api.deregister('eu-1');
    expect(await api.list()).toEqual([expect.objectContaining({ name: 'static-1', static: true })]);
    expect(h.stopCalls).toEqual([]);
  });

  it('lists a stored cluster that shadows a static one of the same name once, as stored', async () => {
    const h = await harness();
    const now = new Date().toISOString();
    await h.store.insertCluster({
      ...STATIC,
      tls: null,
      url: 'db:1',
      availableWorkspaceClasses: [],
      preferredWorkspaceClass: null,
      createdAt: now,
      updatedAt: now,
    });
    expect(await client(h).list()).toEqual([
      expect.objectContaining({ name: 'static-1', url: 'db:1', static: false }),
    ]);
  });

  describe('bearer token', () => {
    it.each<[string, string | undefined]>([
      ['no token', undefined],
      ['a wrong token', 'wrong'],
      ['a token with another length', `${TOKEN}x`],
    ])('refuses %s with UNAUTHENTICATED and changes nothing', async (_label, token) => {
      const h = await harness({ config: { token: TOKEN } });
      const api = client(h, { token });
      const probes = wsman.calls;
      expect(await codeOf(api.register(registration()))).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(api.list())).toBe(status.UNAUTHENTICATED);
      expect(await h.store.listClusters()).toEqual([]);
      expect(wsman.calls).toBe(probes);
      expect(h.logs.raw.join('\n')).not.toContain(TOKEN);
    });

    it('accepts the right token', async () => {
      const h = await harness({ config: { token: TOKEN } });
      const api = client(h, { token: TOKEN });
      await api.register(registration());
      expect((await api.list()).map((c) => c.name)).toEqual(['eu-1', 'static-1']);
      expect(h.logs.raw.join('\n')).not.toContain(TOKEN);
    });
  });

  describe('listening', () => {
    it('refuses to start on a non-loopback address without TLS, token or insecure', async () => {
      await expect(harness({ config: { host: '0.0.0.0' } })).rejects.toThrow(
        /CLUSTER_SERVICE_TOKEN.*--insecure-cluster-service/,
      );
    });

    it.each<[string, HarnessOptions['config']]>([
      ['a token', { host: '0.0.0.0', token: TOKEN }],
      ['insecure', { host: '0.0.0.0', insecure: true }],
    ])('starts on a non-loopback address with %s', async (_label, config) => {
      const h = await harness({ config });
      expect(h.server.state).toBe('serving');
      expect(await codeOf(client(h, { token: TOKEN }).list())).toBeUndefined();
    });

    it('serves TLS with client certificates (mTLS): accepts ours, refuses none or foreign', async () => {
      const h = await harness({
        config: {
          tls: {
            cert: Buffer.from(pki.server.cert),
            key: Buffer.from(pki.server.key),
            clientCa: Buffer.from(pki.ca.cert),
          },
        },
      });
      const ca = Buffer.from(pki.ca.cert);
      const ours = client(h, {
        credentials: credentials.createSsl(ca, Buffer.from(pki.client.key), Buffer.from(pki.client.cert)),
        serverName: 'localhost',
      });
      expect(await codeOf(ours.list())).toBeUndefined();
      const none = client(h, { credentials: credentials.createSsl(ca), serverName: 'localhost' });
      expect(await codeOf(none.list())).toBe(status.UNAVAILABLE);
      const theirs = client(h, {
        credentials: credentials.createSsl(
          ca,
          Buffer.from(foreign.client.key),
          Buffer.from(foreign.client.cert),
        ),
      });
      expect(await codeOf(theirs.list())).toBe(status.UNAVAILABLE);
      const plain = client(h);
      expect(await codeOf(plain.list())).toBe(status.UNAVAILABLE);
    });

    it('serves TLS without client certificates when no client CA is set', async () => {
      const h = await harness({
        config: {
          tls: { cert: Buffer.from(pki.server.cert), key: Buffer.from(pki.server.key), clientCa: undefined },
        },
      });
      const api = client(h, {
        credentials: credentials.createSsl(Buffer.from(pki.ca.cert)),
        serverName: 'localhost',
      });
      expect(await codeOf(api.list())).toBeUndefined();
    });
  });

  describe('stop', () => {
    it('ends a call in flight with UNAVAILABLE, is idempotent and refuses a restart', async () => {
      const probing = deferred();
      const h = await harness({
        describeDeadlineMs: 60_000,
        describeCluster: (_target, signal) =>
          new Promise((_resolve, reject) => {
            probing.resolve();
            signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          }),
      });
      const pending = codeOf(client(h).register(registration()));
      await probing.promise;
      const first = h.server.stop();
      expect(h.server.stop()).toBe(first);
      await first;
      expect(h.server.state).toBe('stopped');
      expect(await pending).toBe(status.UNAVAILABLE);
      expect(await h.store.listClusters()).toEqual([]);
      await expect(h.server.start()).rejects.toThrow(/was stopped/);
    });
  });
});
