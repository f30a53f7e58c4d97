/** createTemplate and the sharing rules of the simulated ws-manager's statuses, without a server. */
import { describe, expect, it } from 'vitest';
import type { DeepPartial, WorkspaceSpec, WorkspaceStatus } from '../../src/generated/wsman/core.js';
import {
  AdmissionLevel,
  PortProtocol,
  PortVisibility,
  StartWorkspaceRequest,
  WorkspaceType,
} from '../../src/generated/wsman/core.js';
import type { LifecycleStep } from '../../src/wsman/simulator/workspace-lifecycle.js';
import {
  FAIL_AT_ANNOTATION,
  HEADLESS_TASK_FAILED_ANNOTATION,
  LIFECYCLE_STEPS,
} from '../../src/wsman/simulator/workspace-lifecycle.js';
import type { TemplateInput, WorkspaceTemplate } from '../../src/wsman/simulator/workspace-status.js';
import { createTemplate, statusAt, withAnnotation } from '../../src/wsman/simulator/workspace-status.js';
import { deepFreeze } from '../helpers/deep-freeze.js';

const STARTED_AT = new Date('2024-05-01T10:00:00.000Z');
const { PORT_VISIBILITY_PUBLIC, PORT_VISIBILITY_PRIVATE } = PortVisibility;
const { PORT_PROTOCOL_HTTPS, PORT_PROTOCOL_HTTP } = PortProtocol;

function request(overrides: DeepPartial<StartWorkspaceRequest> = {}): StartWorkspaceRequest {
  return StartWorkspaceRequest.fromPartial({
    id: 'inst-1',
    metadata: { owner: 'user-a', metaId: 'ws-1', annotations: { 'gitpod/contextUrl': 'https://x.test' } },
    ...overrides,
  });
}

function input(overrides: Partial<TemplateInput> = {}): TemplateInput {
  return {
    request: request(),
    domain: 'ws.sim.test',
    defaultClass: 'g1-standard',
    ownerToken: 'owner-token-1',
    startedAt: STARTED_AT,
    seed: 0,
    ...overrides,
  };
}

/** An asymmetric matcher, typed so it can sit in expected objects. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

const template = (overrides: DeepPartial<StartWorkspaceRequest> = {}): WorkspaceTemplate =>
  createTemplate(input({ request: request(overrides) }));

/** Renders every step in order, each from the one before, freezing each status before the next. */
function walk(t: WorkspaceTemplate, steps: readonly LifecycleStep[] = LIFECYCLE_STEPS): WorkspaceStatus[] {
  const statuses: WorkspaceStatus[] = [];
  steps.forEach((step, i) => {
    const now = new Date(STARTED_AT.getTime() + (i + 1) * 1000);
    const stop = { byRequest: true, aborted: false };
    statuses.push(deepFreeze(statusAt(t, statuses.at(-1), { step, version: BigInt(i + 1), now, stop })));
  });
  return statuses;
}

describe('createTemplate: spec', () => {
  const defaults = {
    workspaceImage: matching(/^eu\.gcr\.io\/gitpod-sim\/workspace-images:[0-9a-f]+$/),
    headless: false,
    url: 'https://inst-1.ws.sim.test',
    exposedPorts: [],
    type: WorkspaceType.REGULAR,
    timeout: '30m0s',
    ideImage: {
      webRef: matching(/\/ide\/code:commit-/),
      supervisorRef: matching(/\/supervisor:commit-/),
    },
    class: 'g1-standard',
    ideImageLayers: [matching(/^eu\.gcr\.io\//), matching(/^eu\.gcr\.io\//)],
    closedTimeout: '',
  };
  const given = {
    workspaceImage: 'registry.test/img:1',
    timeout: '1h0m0s',
    ideImage: { webRef: 'registry.test/web:2', supervisorRef: 'registry.test/sup:3' },
    class: 'g1-large',
    ideImageLayers: ['registry.test/layer:4'],
    closedTimeout: '15m0s',
  };

  it.each<{ name: string; overrides: DeepPartial<StartWorkspaceRequest>; spec: object }>([
    { name: 'no spec: defaults', overrides: { spec: undefined }, spec: defaults },
    { name: 'an empty spec: the same defaults', overrides: { spec: {} }, spec: defaults },
    { name: 'values from the request', overrides: { spec: given }, spec: { ...defaults, ...given } },
    {
      name: 'a prebuild is headless',
      overrides: { type: WorkspaceType.PREBUILD },
      spec: { ...defaults, headless: true, type: WorkspaceType.PREBUILD },
    },
    {
      name: 'an image build is headless',
      overrides: { type: WorkspaceType.IMAGEBUILD },
      spec: { ...defaults, headless: true, type: WorkspaceType.IMAGEBUILD },
    },
    {
      name: 'the url follows the id',
      overrides: { id: 'other-2' },
      spec: { url: 'https://other-2.ws.sim.test' },
    },
  ])('$name', ({ overrides, spec }) => {
    const t = template(overrides);
    expect(t.spec).toMatchObject(spec);
    expect(t.upSpec).toMatchObject(spec);
  });

  it('uses the domain and the default class it is given', () => {
    const t = createTemplate(input({ domain: 'elsewhere.test', defaultClass: 'xl' }));
    expect(t.spec).toMatchObject({ url: 'https://inst-1.elsewhere.test', class: 'xl' });
  });

  it('lists the requested ports without URLs before the workspace is up and with them once it is', () => {
    const ports = [
      {
        port: 3000,
        visibility: PORT_VISIBILITY_PUBLIC,
        protocol: PORT_PROTOCOL_HTTPS,
        url: 'https://ignored',
      },
      { port: 8080, visibility: PORT_VISIBILITY_PRIVATE, protocol: PORT_PROTOCOL_HTTP, url: '' },
    ];
    const t = template({ spec: { ports } });
    const expected = (url: (port: number) => string): WorkspaceSpec['exposedPorts'] =>
      ports.map((p) => ({ ...p, url: url(p.port) }));
    expect(t.spec.exposedPorts).toEqual(expected(() => ''));
    expect(t.upSpec.exposedPorts).toEqual(expected((port) => `https://${port}-inst-1.ws.sim.test`));
    expect({ ...t.upSpec, exposedPorts: [] }).toEqual({ ...t.spec, exposedPorts: [] });
  });
});

describe('createTemplate: metadata, auth, fail-at, headless task', () => {
  it('copies owner, meta_id, annotations, team and project, and stamps the start time', () => {
    const annotations = { 'gitpod/contextUrl': 'https://x.test', [FAIL_AT_ANNOTATION]: 'running' };
    const t = template({ metadata: { owner: 'o', metaId: 'm', annotations, team: 't', project: 'p' } });
    expect(t.metadata).toMatchObject({ owner: 'o', metaId: 'm', annotations, team: 't', project: 'p' });
    expect(t.metadata.startedAt).toBe(STARTED_AT);
    expect(t).toMatchObject({ id: 'inst-1', type: WorkspaceType.REGULAR });
  });

  it.each([
    { name: 'no spec', overrides: { spec: undefined }, admission: AdmissionLevel.ADMIT_OWNER_ONLY },
    { name: 'spec without admission', overrides: { spec: {} }, admission: AdmissionLevel.ADMIT_OWNER_ONLY },
    {
      name: 'spec admitting everyone',
      overrides: { spec: { admission: AdmissionLevel.ADMIT_EVERYONE } },
      admission: AdmissionLevel.ADMIT_EVERYONE,
    },
  ])('auth with $name: admission $admission and the owner token', ({ overrides, admission }) => {
    expect(template(overrides).auth).toEqual({ admission, ownerToken: 'owner-token-1' });
  });

  it.each([
    ['no annotation', undefined, undefined],
    ['an empty annotation', '', undefined],
    ['creating', 'creating', 'creating'],
    ['initializing', 'initializing', 'initializing'],
    ['running', 'running', 'running'],
    ['a step that cannot fail (validation refuses it)', 'active', undefined],
    ['nonsense (validation refuses it)', 'never', undefined],
  ] as const)('fail-at with %s → %j', (_name, value, failAt) => {
    const annotations = value === undefined ? {} : { [FAIL_AT_ANNOTATION]: value };
    expect(template({ metadata: { owner: 'o', metaId: 'm', annotations } }).failAt).toBe(failAt);
  });

  const { REGULAR, PREBUILD, IMAGEBUILD } = WorkspaceType;
  it.each([
    ['a prebuild without the annotation', PREBUILD, undefined, ''],
    ['a prebuild with an empty annotation', PREBUILD, '', ''],
    ['a prebuild whose task fails', PREBUILD, 'exit code 1', 'exit code 1'],
    ['an image build whose task fails', IMAGEBUILD, 'build failed', 'build failed'],
    ['a regular workspace (validation refuses it)', REGULAR, 'exit code 1', ''],
  ] as const)('headless task outcome of %s → %j', (_name, type, value, headlessTaskFailed) => {
    const annotations = value === undefined ? {} : { [HEADLESS_TASK_FAILED_ANNOTATION]: value };
    const t = template({ type, metadata: { owner: 'o', metaId: 'm', annotations } });
    expect(t.headlessTaskFailed).toBe(headlessTaskFailed);
  });
});

describe('createTemplate: seeded values', () => {
  it.each([
    {
      seed: 0,
      node: 0,
      ip: '10.8.0.0',
      total: 4_294_967_296n,
      image: 3_221_225_472n,
      git: [1n, 48_234_496n],
    },
    {
      seed: 17,
      node: 1,
      ip: '10.8.1.17',
      total: 4_312_793_088n,
      image: 3_239_051_264n,
      git: [4n, 48_234_513n],
    },
    {
      seed: 5000,
      node: 8,
      ip: '10.8.8.0',
      total: 5_242_880_000n,
      image: 4_169_138_176n,
      git: [3n, 48_235_400n],
    },
  ])('seed $seed: node $node, ip $ip', ({ seed, node, ip, total, image, git }) => {
    const t = createTemplate(input({ seed }));
    expect(t.runtime).toEqual({ nodeName: `ws-sim-node-${node}`, podName: 'ws-inst-1', nodeIp: ip });
    expect(t.metadata.metrics).toEqual({ image: { totalSize: total, workspaceImageSize: image } });
    expect(t.initializerMetrics.git).toEqual({
      duration: { seconds: git[0], nanos: 250_000_000 },
      size: git[1],
    });
    expect(t.initializerMetrics).toMatchObject({
      fileDownload: undefined,
      snapshot: undefined,
      backup: undefined,
    });
  });

  it('gives prebuild and composite initializer timings from the seed', () => {
    const t = createTemplate(input({ seed: 5000 }));
    expect(t.initializerMetrics.prebuild).toEqual({
      duration: { seconds: 9n, nanos: 125_000_000 },
      size: 734_003_200n,
    });
    expect(t.initializerMetrics.composite).toEqual({
      duration: { seconds: 13n, nanos: 500_000_000 },
      size: 782_237_696n,
    });
  });

  it('builds equal templates from equal inputs', () => {
    expect(createTemplate(input({ seed: 42 }))).toEqual(createTemplate(input({ seed: 42 })));
  });
});

describe('sharing', () => {
  const full = {
    metadata: { owner: 'o', metaId: 'm', annotations: { a: '1' } },
    spec: {
      ports: [{ port: 3000 }],
      ideImage: { webRef: 'w', supervisorRef: 's' },
      ideImageLayers: ['l1'],
    },
  };

  it('createTemplate does not write to the request', () => {
    expect(() => createTemplate(input({ request: deepFreeze(request(full)) }))).not.toThrow();
  });

  it.each<[string, (r: StartWorkspaceRequest) => void]>([
    ['an annotation added', (r) => void (r.metadata!.annotations.b = '2')],
    ['a port renumbered', (r) => void (r.spec!.ports[0]!.port = 1)],
    ['a port added', (r) => void r.spec!.ports.push({ ...r.spec!.ports[0]!, port: 2 })],
    ['the IDE image changed', (r) => void (r.spec!.ideImage!.webRef = 'changed')],
    ['an IDE layer added', (r) => void r.spec!.ideImageLayers.push('l2')],
  ])('a template does not change with the request afterwards: %s', (_name, mutate) => {
    const source = request(full);
    const t = createTemplate(input({ request: source }));
    const before = structuredClone(t);
    mutate(source);
    expect(t).toEqual(before);
  });

  it('spec and upSpec do not share ports', () => {
    const t = template(full);
    expect(t.upSpec.exposedPorts).not.toBe(t.spec.exposedPorts);
    expect(t.upSpec.exposedPorts[0]).not.toBe(t.spec.exposedPorts[0]);
  });

  it('statusAt writes neither to the template nor to the previous status', () => {
    const t = deepFreeze(template(full));
    const before = structuredClone(t);
    expect(walk(t)).toHaveLength(LIFECYCLE_STEPS.length);
    expect(t).toEqual(before);
  });

  it('gives every status its own conditions', () => {
    const conditions = walk(template(full)).map((s) => s.conditions);
    expect(new Set(conditions).size).toBe(LIFECYCLE_STEPS.length);
  });

  it.each(LIFECYCLE_STEPS.map((step, i) => ({ step, i })))(
    '$step shares metadata, auth and the spec of its step with the template',
    ({ step, i }) => {
      const t = template(full);
      const status = walk(t)[i];
      expect(status?.metadata).toBe(t.metadata);
      expect(status?.auth).toBe(t.auth);
      expect(status?.spec).toBe(step === 'running' || step === 'active' ? t.upSpec : t.spec);
    },
  );
});

describe('withAnnotation', () => {
  it.each([
    ['adds a new key', 'sim/emitted-at-us', '1714557600000000'],
    ['replaces an existing key', 'a', 'replaced'],
  ])('%s on a copy, leaving the status, its siblings and the template alone', (_name, key, value) => {
    const t = template({ metadata: { owner: 'o', metaId: 'm', annotations: { a: '1' } } });
    const [pending, creating] = walk(t, ['pending', 'creating']) as [WorkspaceStatus, WorkspaceStatus];
    const stamped = withAnnotation(pending, key, value);
    expect(stamped.metadata?.annotations).toEqual({ a: '1', [key]: value });
    expect({ ...stamped, metadata: undefined }).toEqual({ ...pending, metadata: undefined });
    expect(stamped.conditions).toBe(pending.conditions);
    for (const other of [pending, creating]) expect(other.metadata?.annotations).toEqual({ a: '1' });
    expect(t.metadata.annotations).toEqual({ a: '1' });
  });

  it('returns a status without metadata as it is', () => {
    const status = { ...walk(template())[0]!, metadata: undefined };
    expect(withAnnotation(status, 'k', 'v')).toBe(status);
  });
});
