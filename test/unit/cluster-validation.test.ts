import { describe, expect, it } from 'vitest';
import { FailedPreconditionError, InvalidArgumentError } from '../../src/cluster-api/errors.js';
import { toServiceError, INTERNAL_MESSAGE } from '../../src/cluster-api/grpc-status.js';
import { validateGrpcTarget } from '../../src/cluster-api/grpc-target.js';
import { isLoopbackHost, assertListenAllowed, bindAddress } from '../../src/cluster-api/listen-security.js';
import {
  applyConstraintChange,
  clusterRowToStatus,
  constraintsFromProto,
  constraintsToProto,
  staticClusterToStatus,
} from '../../src/cluster-api/mapping.js';
import { parseClusterChange, patchForChange } from '../../src/cluster-api/update-change.js';
import {
  scoreForPreferability,
  validateClusterName,
  validateRegion,
  validateRegisterRequest,
  validateRegistrationTls,
  validateTls,
} from '../../src/cluster-api/validation.js';
import type { ClusterServiceConfig } from '../../src/config/config.js';
import {
  ClusterState,
  Preferability,
  RegisterRequest,
  UpdateRequest,
} from '../../src/generated/workspacemanagerbridge/cluster-service.js';
import type { AdmissionConstraint, ClusterRow } from '../../src/store/types.js';
import { b64, clusterTlsOf, createTestPki } from '../helpers/test-pki.js';

const pki = createTestPki();
const other = createTestPki('other-ca');
const goodTls = clusterTlsOf(pki);
/** A number no Preferability member has, as an outdated or hostile client might send. */
const UNKNOWN_PREFERABILITY = 9 as Preferability;

function rejects(fn: () => unknown, text: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error: unknown) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  expect((caught as Error).message).toContain(text);
}

describe('cluster name', () => {
  it.each(['a', 'eu-1', 'Cluster_2.prod', '0abc', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(validateClusterName(name)).toBe(name);
  });
  it.each([
    ['', 'name is empty'],
    ['x'.repeat(65), 'longer than 64'],
    ['-eu', 'must start with a letter or digit'],
    ['.eu', 'must start with a letter or digit'],
    ['eu 1', 'may only contain'],
    ['eu/1', 'may only contain'],
    ['ünï', 'may only contain'],
  ])('rejects %j', (name, text) => rejects(() => validateClusterName(name), text));
});

describe('cluster url (gRPC target)', () => {
  it.each([
    'ws-manager:8080',
    'localhost:1',
    '127.0.0.1:65535',
    '[::1]:8080',
    'ws-manager.default.svc.cluster.local:8080',
    'dns:///ws-manager:8080',
    'dns:ws-manager:8080',
    'dns:///[2001:db8::1]:443',
    'ipv4:10.0.0.1:8080',
    'ipv4:10.0.0.1:8080,10.0.0.2:8081',
    'ipv6:[::1]:8080',
    'ipv6:[::1]:8080,[2001:db8::2]:9',
    'unix:/run/ws-manager.sock',
    'unix:///run/ws-manager.sock',
    'unix:relative.sock',
  ])('accepts %j', (url) => expect(validateGrpcTarget(url)).toBe(url));

  it.each([
    ['', 'url is empty'],
    ['x'.repeat(251) + ':8080', 'longer than 255'],
    ['http://ws-manager:8080', 'http(s) URL'],
    ['https://ws-manager:8080', 'http(s) URL'],
    ['HTTPS://user:secret@ws-manager:8080', 'http(s) URL'],
    ['ws manager:8080', 'whitespace'],
    ['ws-manager:8080 ', 'whitespace'],
    ['ws-manager', 'needs host:port'],
    ['ws-manager:', 'port from 1 to 65535'],
    ['ws-manager:0', 'port from 1 to 65535'],
    ['ws-manager:65536', 'port from 1 to 65535'],
    ['ws-manager:80a', 'port from 1 to 65535'],
    [':8080', 'needs host:port'],
    ['::1:8080', 'needs host:port'],
    ['[::1:8080', 'needs host:port'],
    ['[not-v6]:8080', 'invalid host'],
    ['ws_-:8080', 'invalid host'],
    ['dns:///', 'needs host:port'],
    ['dns://8.8.8.8/ws-manager:8080', 'DNS authority'],
    ['ipv4:', 'names no ipv4'],
    ['ipv4:ws-manager:8080', 'invalid ipv4'],
    ['ipv4:10.0.0.1:8080,', 'needs host:port'],
    ['ipv6:::1:8080', 'needs host:port'],
    ['ipv6:[10.0.0.1]:8080', 'invalid ipv6'],
    ['unix:', 'no socket path'],
    ['xds:///ws-manager', 'unsupported scheme'],
  ])('rejects %j', (url, text) => rejects(() => validateGrpcTarget(url), text));

  it('never echoes a password', () => {
    let message = '';
    try {
      validateGrpcTarget('https://user:hunter2@ws-manager:8080');
    } catch (error: unknown) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('hunter2');
  });

  it('says which forms are accepted', () => rejects(() => validateGrpcTarget('nope'), 'dns:///host:port'));
});

describe('region and preferability', () => {
  it.each(['europe', 'north-america', 'south-america', 'africa', 'asia', ''])('accepts region %j', (r) =>
    expect(validateRegion(r)).toBe(r),
  );
  it.each(['Europe', 'europe-west1', 'mars', ' '])('rejects region %j', (r) =>
    rejects(() => validateRegion(r), 'use one of europe'),
  );
  it.each([
    [0, 50],
    [1, 100],
    [2, 0],
  ])('preferability %i scores %i', (p, score) => expect(scoreForPreferability(p)).toBe(score));
  it.each([3, -1, 99])('rejects preferability %i', (p) =>
    rejects(() => scoreForPreferability(p), `unknown preferability ${p}`),
  );
});

describe('TLS material', () => {
  it('accepts matching base64 PEM', () => expect(validateTls(goodTls)).toEqual(goodTls));

  it.each([
    ['absent', undefined, 'missing required TLS config'],
    ['empty ca', { ...goodTls, ca: '' }, 'missing required TLS config'],
    ['empty key', { ...goodTls, key: '' }, 'missing required TLS config'],
    ['ca not base64', { ...goodTls, ca: '#### not base64' }, 'tls.ca is not base64'],
    ['crt plain PEM, not base64', { ...goodTls, crt: pki.client.cert }, 'tls.crt is not base64'],
    ['crt base64 of junk', { ...goodTls, crt: b64('hello') }, 'tls.crt is not a base64-encoded PEM'],
    ['key is a certificate', { ...goodTls, key: b64(pki.client.cert) }, 'tls.key does not parse'],
    ['key of another cert', { ...goodTls, key: b64(other.client.key) }, 'tls.key does not match'],
    ['ca is a key', { ...goodTls, ca: b64(pki.ca.key) }, 'tls.ca is not a base64-encoded PEM'],
  ])('rejects %s', (_label, tls, text) => rejects(() => validateTls(tls), text));

  it('never echoes key material', () => {
    expect.hasAssertions();
    const bad = { ...goodTls, key: b64(other.client.key) };
    try {
      validateTls(bad);
    } catch (error: unknown) {
      expect((error as Error).message).not.toContain(bad.key.slice(0, 20));
    }
  });

  it.each([
    [false, undefined, 'missing required TLS config'],
    [false, { ca: '', crt: '', key: '' }, 'allow-plaintext-clusters'],
    [true, { ...goodTls, key: '' }, 'missing required TLS config'],
  ])('registration with allowPlaintext=%s rejects %j', (allow, tls, text) =>
    rejects(() => validateRegistrationTls(tls, allow), text),
  );
  it.each([undefined, { ca: '', crt: '', key: '' }])('plain text allowed: %j means no TLS', (tls) =>
    expect(validateRegistrationTls(tls, true)).toBeNull(),
  );
});

describe('admission constraints', () => {
  it('maps both ways, dropping kinds without a wire form', () => {
    const stored = constraintsFromProto(
      [{ hasFeaturePreview: {} }, { hasPermission: { permission: 'admin-users' } }],
      'admission_constraints',
    );
    expect(stored).toEqual([
      { type: 'has-feature-preview' },
      { type: 'has-permission', permission: 'admin-users' },
    ]);
    const withClass: AdmissionConstraint[] = [...stored, { type: 'has-class', id: 'g1', displayName: 'G1' }];
    expect(constraintsToProto(withClass)).toEqual([
      { hasFeaturePreview: {} },
      { hasPermission: { permission: 'admin-users' } },
    ]);
  });

  it('drops constraints that say nothing, as the original: none set, or an empty permission', () => {
    expect(
      constraintsFromProto(
        [{}, { hasPermission: { permission: '' } }, { hasPermission: { permission: 'admin-users' } }],
        'admission_constraints',
      ),
    ).toEqual([{ type: 'has-permission', permission: 'admin-users' }]);
  });

  it.each([
    [{ hasPermission: { permission: 'a b' } }, 'without whitespace'],
    [{ hasPermission: { permission: 'p'.repeat(129) } }, 'at most 128'],
  ])('rejects %j', (constraint, text) =>
    rejects(() => constraintsFromProto([constraint], 'admission_constraints'), text),
  );

  const current: AdmissionConstraint[] = [
    { type: 'has-feature-preview' },
    { type: 'has-permission', permission: 'a' },
    { type: 'has-permission', permission: 'b' },
    { type: 'has-class', id: 'g1', displayName: 'G1' },
    { type: 'has-feature-preview' },
  ];
  it.each<[string, boolean, AdmissionConstraint, AdmissionConstraint[]]>([
    [
      'add appends without de-duplication',
      true,
      { type: 'has-permission', permission: 'a' },
      [...current, { type: 'has-permission', permission: 'a' }],
    ],
    [
      'remove feature preview drops all of them',
      false,
      { type: 'has-feature-preview' },
      [current[1]!, current[2]!, current[3]!],
    ],
    [
      'remove a permission drops only that one',
      false,
      { type: 'has-permission', permission: 'a' },
      [current[0]!, current[2]!, current[3]!, current[4]!],
    ],
    [
      'remove an absent permission changes nothing',
      false,
      { type: 'has-permission', permission: 'z' },
      current,
    ],
  ])('%s', (_label, add, constraint, expected) => {
    expect(applyConstraintChange(current, add, constraint)).toEqual(expected);
  });
});

describe('register request', () => {
  const base = RegisterRequest.fromPartial({
    name: 'eu-1',
    url: 'ws-manager:8080',
    tls: goodTls,
    region: 'europe',
  });

  it('derives state and score from the hints', () => {
    expect(validateRegisterRequest(base, false)).toMatchObject({
      state: 'available',
      score: 50,
      tls: goodTls,
    });
    const hinted = { ...base, hints: { perfereability: Preferability.Prefer, cordoned: true } };
    expect(validateRegisterRequest(hinted, false)).toMatchObject({ state: 'cordoned', score: 100 });
  });

  // Several fields are wrong at once: the first in the original's order is reported.
  it.each<[string, Partial<RegisterRequest>, string]>([
    ['name first', { name: '', url: 'http://x', region: 'mars' }, 'name is empty'],
    ['then url', { url: 'http://x', region: 'mars' }, 'http(s) URL'],
    [
      'then region',
      { region: 'mars', hints: { perfereability: UNKNOWN_PREFERABILITY, cordoned: false } },
      'region "mars"',
    ],
    [
      'then hints',
      { hints: { perfereability: UNKNOWN_PREFERABILITY, cordoned: false }, tls: undefined },
      'unknown preferability 9',
    ],
    ['then TLS', { tls: undefined, admissionConstraints: [{}] }, 'missing required TLS config'],
    [
      'then constraints',
      { admissionConstraints: [{ hasFeaturePreview: {} }, {}, { hasPermission: { permission: 'a b' } }] },
      'admission_constraints[2]',
    ],
  ])('reports %s', (_label, change, text) =>
    rejects(() => validateRegisterRequest({ ...base, ...change }, false), text),
  );
});

describe('update request', () => {
  const row: ClusterRow = {
    name: 'eu-1',
    url: 'ws-manager:8080',
    tls: goodTls,
    state: 'draining',
    score: 50,
    maxScore: 100,
    govern: true,
    region: '',
    admissionConstraints: [{ type: 'has-permission', permission: 'a' }],
    availableWorkspaceClasses: [],
    preferredWorkspaceClass: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  };
  const patch = (partial: Partial<UpdateRequest>): unknown =>
    patchForChange(row, parseClusterChange(UpdateRequest.fromPartial({ name: 'eu-1', ...partial })));

  it.each<[string, Partial<UpdateRequest>, unknown]>([
    ['nothing set', {}, undefined],
    ['constraint missing', { admissionConstraint: { add: true, constraint: undefined } }, undefined],
    ['empty constraint', { admissionConstraint: { add: true, constraint: {} } }, undefined],
    [
      'empty permission',
      { admissionConstraint: { add: false, constraint: { hasPermission: { permission: '' } } } },
      undefined,
    ],
    ['score 0', { score: 0 }, { score: 0 }],
    ['max score', { maxScore: 70 }, { maxScore: 70 }],
    ['cordon', { cordoned: true }, { state: 'cordoned' }],
    ['uncordon ends draining', { cordoned: false }, { state: 'available' }],
    [
      'add permission',
      { admissionConstraint: { add: true, constraint: { hasPermission: { permission: 'b' } } } },
      {
        admissionConstraints: [
          { type: 'has-permission', permission: 'a' },
          { type: 'has-permission', permission: 'b' },
        ],
      },
    ],
    [
      'remove permission',
      { admissionConstraint: { add: false, constraint: { hasPermission: { permission: 'a' } } } },
      { admissionConstraints: [] },
    ],
    ['same TLS', { tls: goodTls }, undefined],
    ['new TLS', { tls: clusterTlsOf(other) }, { tls: clusterTlsOf(other) }],
  ])('%s', (_label, partial, expected) => expect(patch(partial)).toEqual(expected));

  it.each<[string, Partial<UpdateRequest>, string]>([
    ['two members', { score: 1, cordoned: true }, 'at most one'],
    ['negative score', { score: -1 }, 'score must be a whole number >= 0'],
    ['negative max score', { maxScore: -5 }, 'max_score must be'],
    ['empty TLS part', { tls: { ...goodTls, crt: '' } }, 'missing required TLS config'],
    ['mismatched TLS', { tls: { ...goodTls, key: b64(other.client.key) } }, 'does not match'],
  ])('rejects %s', (_label, partial, text) =>
    rejects(() => parseClusterChange(UpdateRequest.fromPartial({ name: 'eu-1', ...partial })), text),
  );
});

describe('status mapping', () => {
  const row: ClusterRow = {
    name: 'eu-1',
    url: 'ws-manager:8080',
    tls: goodTls,
    state: 'cordoned',
    score: 40,
    maxScore: 90,
    govern: true,
    region: 'europe',
    admissionConstraints: [{ type: 'has-feature-preview' }],
    availableWorkspaceClasses: [],
    preferredWorkspaceClass: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  };

  it('never carries TLS', () => {
    const status = clusterRowToStatus(row);
    expect(status).toEqual({
      name: 'eu-1',
      url: 'ws-manager:8080',
      state: ClusterState.CORDONED,
      score: 40,
      maxScore: 90,
      governed: true,
      admissionConstraint: [{ hasFeaturePreview: {} }],
      static: false,
      region: 'europe',
      leaseHolder: '',
    });
    expect(JSON.stringify(status)).not.toContain(goodTls.key);
  });

  it.each([
    ['available', ClusterState.AVAILABLE],
    ['cordoned', ClusterState.CORDONED],
    ['draining', ClusterState.DRAINING],
    ['weird', ClusterState.UNKNOWN],
  ])('state %s', (state, expected) => {
    expect(clusterRowToStatus({ ...row, state: state as ClusterRow['state'] }).state).toBe(expected);
  });

  it('marks static clusters', () => {
    const status = staticClusterToStatus({ ...row, tls: goodTls });
    expect(status.static).toBe(true);
    expect(JSON.stringify(status)).not.toContain(goodTls.key);
  });
});

describe('error edge', () => {
  it('keeps domain messages and hides unexpected ones', () => {
    const domain = toServiceError(new FailedPreconditionError('cannot reach x'));
    expect(domain).toMatchObject({ expected: true, response: { code: 9, details: 'cannot reach x' } });
    const unexpected = toServiceError(new Error('password=hunter2 leaked from a driver'));
    expect(unexpected).toMatchObject({ expected: false, response: { code: 13, details: INTERNAL_MESSAGE } });
  });
});

describe('listen security', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['bridge.example.com', false],
  ])('%s loopback=%s', (host, loopback) => expect(isLoopbackHost(host)).toBe(loopback));

  const config = (partial: Partial<ClusterServiceConfig>): ClusterServiceConfig => ({
    host: '0.0.0.0',
    port: 8080,
    token: undefined,
    tls: undefined,
    insecure: false,
    ...partial,
  });
  it.each<[string, Partial<ClusterServiceConfig>, boolean]>([
    ['loopback, nothing', { host: '127.0.0.1' }, true],
    ['exposed, nothing', {}, false],
    ['exposed with token', { token: 't' }, true],
    [
      'exposed with TLS',
      { tls: { cert: Buffer.from('c'), key: Buffer.from('k'), clientCa: undefined } },
      true,
    ],
    ['exposed, insecure', { insecure: true }, true],
  ])('%s', (_label, partial, allowed) => {
    const attempt = (): void => assertListenAllowed(config(partial));
    if (allowed) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(/--insecure-cluster-service/);
  });

  it.each([
    ['::', 0, '[::]:0'],
    ['[::1]', 1, '[::1]:1'],
    ['0.0.0.0', 8080, '0.0.0.0:8080'],
  ])('binds %s:%i as %s', (host, port, expected) => expect(bindAddress(host, port)).toBe(expected));
});
