/** The simulated ws-manager over real gRPC on loopback, driven through the generated client. */
import {
  credentials,
  status as GrpcStatus,
  type ClientReadableStream,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  StartWorkspaceRequest,
  StopWorkspacePolicy,
  WorkspaceConditionBool,
  WorkspaceManagerClient,
  WorkspacePhase,
  WorkspaceStatus,
  WorkspaceType,
  type DeepPartial,
  type MetadataFilter,
  type SubscribeResponse,
} from '../../src/generated/wsman/core.js';
import {
  DEFAULT_WORKSPACE_CLASSES,
  EMITTED_AT_ANNOTATION,
  FAIL_AT_ANNOTATION,
  HEADLESS_TASK_FAILED_ANNOTATION,
  SimulatedWsManager,
  SimulatorError,
  SimulatorErrorCode,
  type SimulatorOptions,
} from '../../src/wsman/simulator/index.js';
import { SYNTHETIC_TASK_FAILURE } from '../../src/wsman/simulator/synthetic-request.js';
import { deferred } from '../helpers/deferred.js';

const { PENDING, CREATING, INITIALIZING, RUNNING, STOPPING, STOPPED } = WorkspacePhase;
const { TRUE, FALSE } = WorkspaceConditionBool;
const LOAD_PATH = [PENDING, CREATING, INITIALIZING, RUNNING, RUNNING, STOPPING, STOPPED];
/** A headless workspace runs its task and stops by itself: no second RUNNING with a user. */
const HEADLESS_PATH = [PENDING, CREATING, INITIALIZING, RUNNING, STOPPING, STOPPED];

/** Collects one Subscribe stream and lets a test wait for what it needs. */
class StatusStream {
  readonly statuses: WorkspaceStatus[] = [];
  readonly call: ClientReadableStream<SubscribeResponse>;
  /** Resolves once the server registered the stream (it sends headers at once). */
  readonly ready: Promise<void>;
  /** Resolves with the final status of the call. */
  readonly ended: Promise<StatusObject>;
  #waiters: (() => void)[] = [];

  constructor(client: WorkspaceManagerClient, mustMatch?: DeepPartial<MetadataFilter>) {
    const filter = mustMatch ? { owner: '', metaId: '', annotations: {}, ...mustMatch } : undefined;
    this.call = client.subscribe({ mustMatch: filter as MetadataFilter | undefined });
    this.ready = new Promise((resolve) => this.call.once('metadata', () => resolve()));
    this.ended = new Promise((resolve) => this.call.once('status', resolve));
    this.call.on('error', () => undefined);
    this.call.on('data', (response: SubscribeResponse) => {
      if (response.status) this.statuses.push(response.status);
      for (const wake of this.#waiters) wake();
    });
  }

  /** Resolves with all statuses once `done` holds for them. */
  async until(done: (statuses: WorkspaceStatus[]) => boolean): Promise<WorkspaceStatus[]> {
    while (!done(this.statuses)) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#waiters = [];
    return this.statuses;
  }

  of(id: string): WorkspaceStatus[] {
    return this.statuses.filter((s) => s.id === id);
  }
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

function unary<Req, Res>(
  call: (request: Req, callback: Callback<Res>) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    call(request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

/** One simulator on an ephemeral port with a generated client; closed after each test. */
async function setup(
  options: SimulatorOptions = {},
): Promise<{ sim: SimulatedWsManager; client: WorkspaceManagerClient }> {
  const sim = new SimulatedWsManager(options);
  const port = await sim.listen(0);
  const client = new WorkspaceManagerClient(`127.0.0.1:${port}`, credentials.createInsecure());
  cleanups.push(async () => {
    client.close();
    await sim.close();
  });
  return { sim, client };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function startRequest(id: string, overrides: DeepPartial<StartWorkspaceRequest> = {}): StartWorkspaceRequest {
  return StartWorkspaceRequest.fromPartial({
    id,
    metadata: {
      owner: 'user-a',
      metaId: `ws-${id}`,
      annotations: { 'gitpod/contextUrl': 'https://github.com/acme/app' },
    },
    spec: { ports: [{ port: 3000 }], class: 'g1-large' },
    ...overrides,
  });
}

function startWorkspace(client: WorkspaceManagerClient, request: StartWorkspaceRequest) {
  return unary(
    (r: StartWorkspaceRequest, cb: Callback<{ url: string; ownerToken: string }>) =>
      client.startWorkspace(r, cb),
    request,
  );
}

function stopWorkspace(
  client: WorkspaceManagerClient,
  id: string,
  policy: StopWorkspacePolicy = StopWorkspacePolicy.NORMALLY,
) {
  return unary(
    (r: { id: string; policy: StopWorkspacePolicy }, cb: Callback<object>) => client.stopWorkspace(r, cb),
    { id, policy },
  );
}

function getWorkspaces(
  client: WorkspaceManagerClient,
  mustMatch?: DeepPartial<MetadataFilter>,
): Promise<WorkspaceStatus[]> {
  const filter = mustMatch ? { owner: '', metaId: '', annotations: {}, ...mustMatch } : undefined;
  return unary(
    (r: { mustMatch: MetadataFilter | undefined }, cb: Callback<{ status: WorkspaceStatus[] }>) =>
      client.getWorkspaces(r, cb),
    {
      mustMatch: filter as MetadataFilter | undefined,
    },
  ).then((response) => response.status);
}

function expectIncreasingVersions(statuses: WorkspaceStatus[]): void {
  for (let i = 1; i < statuses.length; i++) {
    expect((statuses[i] as WorkspaceStatus).statusVersion).toBeGreaterThan(
      (statuses[i - 1] as WorkspaceStatus).statusVersion,
    );
  }
}

const isActive = (s: WorkspaceStatus): boolean =>
  s.phase === RUNNING && s.conditions?.firstUserActivity !== undefined;

const isStopPhase = (s: WorkspaceStatus): boolean => s.phase === STOPPING || s.phase === STOPPED;

describe('simulated ws-manager: lifecycle over gRPC', () => {
  it('streams PENDING, CREATING, INITIALIZING, RUNNING with strictly increasing versions above 2^32', async () => {
    const { client } = await setup({ phaseDelayMs: 5 });
    const stream = new StatusStream(client);
    await stream.ready;
    const response = await startWorkspace(client, startRequest('inst-1'));
    expect(response.url).toBe('https://inst-1.ws.sim.test');
    expect(response.ownerToken.length).toBeGreaterThanOrEqual(24);

    const statuses = await stream.until((all) => all.some(isActive));
    expect(statuses.map((s) => s.phase)).toEqual([PENDING, CREATING, INITIALIZING, RUNNING, RUNNING]);
    expect(statuses[0]?.statusVersion).toBeGreaterThan(2n ** 32n);
    expectIncreasingVersions(statuses);

    const [pending, creating, initializing, running, active] = statuses as [
      WorkspaceStatus,
      ...WorkspaceStatus[],
    ];
    expect(pending.runtime).toBeUndefined();
    expect(pending.spec?.exposedPorts).toEqual([expect.objectContaining({ port: 3000, url: '' })]);
    expect(creating?.conditions?.pullingImages).toBe(TRUE);
    expect(creating?.runtime?.podName).toBe('ws-inst-1');
    expect(initializing?.conditions).toMatchObject({ pullingImages: FALSE, deployed: TRUE });
    expect(running?.spec?.exposedPorts[0]?.url).toBe('https://3000-inst-1.ws.sim.test');
    expect(running?.initializerMetrics?.git?.duration).toBeDefined();
    expect(running?.conditions?.firstUserActivity).toBeUndefined();
    expect(active?.conditions?.firstUserActivity).toBeInstanceOf(Date);
    for (const s of statuses) {
      expect(s.auth?.ownerToken).toBe(response.ownerToken);
      expect(s.spec).toMatchObject({ url: response.url, timeout: '30m0s', class: 'g1-large' });
      expect(s.metadata).toMatchObject({ owner: 'user-a', metaId: 'ws-inst-1' });
      expect(s.metadata?.startedAt).toBeInstanceOf(Date);
      expect(s.metadata?.metrics?.image?.totalSize).toBeGreaterThan(0n);
      expect(s.message).not.toBe('');
    }
    const size = WorkspaceStatus.encode(running as WorkspaceStatus).finish().length;
    expect(size).toBeGreaterThan(700);
    expect(size).toBeLessThan(1500);
  });

  it('stops with STOPPING then STOPPED by request, and forgets the workspace after the retention', async () => {
    const { sim, client } = await setup({ phaseDelayMs: 5, retainStoppedMs: 10 });
    const stream = new StatusStream(client);
    await stream.ready;
    await startWorkspace(client, startRequest('inst-1'));
    await stream.until((all) => all.some(isActive));
    const removed = deferred<string>();
    sim.hooks.onRemove = removed.resolve;

    await stopWorkspace(client, 'inst-1');
    const statuses = await stream.until((all) => all.some((s) => s.phase === STOPPED));
    const stop = statuses.slice(-2);
    expect(stop.map((s) => s.phase)).toEqual([STOPPING, STOPPED]);
    for (const s of stop) expect(s.conditions?.stoppedByRequest).toBe(TRUE);
    expect(stop[1]?.conditions?.finalBackupComplete).toBe(TRUE);
    expectIncreasingVersions(statuses);

    expect(await removed.promise).toBe('inst-1');
    expect(await getWorkspaces(client)).toEqual([]);
  });

  it('fails a workspace at the step named by the sim/fail-at annotation, then stops it', async () => {
    const { client } = await setup({ phaseDelayMs: 5 });
    const stream = new StatusStream(client);
    await stream.ready;
    const metadata = {
      owner: 'user-a',
      metaId: 'ws-f',
      annotations: { [FAIL_AT_ANNOTATION]: 'initializing' },
    };
    await startWorkspace(client, startRequest('inst-f', { metadata }));

    const statuses = await stream.until((all) => all.some((s) => s.phase === STOPPED));
    expect(statuses.map((s) => s.phase)).toEqual([PENDING, CREATING, INITIALIZING, STOPPING, STOPPED]);
    expect(statuses[2]?.conditions?.failed).toContain('initializing');
    expect(statuses[4]?.conditions).toMatchObject({
      failed: statuses[2]?.conditions?.failed,
      stoppedByRequest: FALSE,
    });
  });

  it('lets tests drive steps by hand with advance(), and marks an aborted stop', async () => {
    const { sim } = await setup({ manual: true });
    sim.startWorkspace(startRequest('inst-m'));
    expect(sim.advance('inst-m').phase).toBe(CREATING);
    expect(sim.truth()[0]?.phase).toBe(CREATING);
    sim.advance('inst-m');
    sim.advance('inst-m');
    expect(sim.advance('inst-m').conditions?.firstUserActivity).toBeInstanceOf(Date);
    expect(() => sim.advance('inst-m')).toThrow(SimulatorError);

    sim.stopWorkspace('inst-m', StopWorkspacePolicy.ABORT);
    sim.stopWorkspace('inst-m');
    expect(sim.truth()[0]?.conditions).toMatchObject({ aborted: TRUE, stoppedByRequest: TRUE });
    expect(sim.advance('inst-m').phase).toBe(STOPPED);
    expect(() => sim.advance('inst-m')).toThrow(
      expect.objectContaining({ code: SimulatorErrorCode.failedPrecondition }),
    );
  });
});

describe('simulated ws-manager: headless workspaces', () => {
  it('runs a prebuild on its timers until it stops by itself, with its snapshot from STOPPING on', async () => {
    const { client } = await setup({ phaseDelayMs: 5 });
    const stream = new StatusStream(client);
    await stream.ready;
    await startWorkspace(client, startRequest('pb-1', { type: WorkspaceType.PREBUILD }));

    const statuses = await stream.until((all) => all.some((s) => s.phase === STOPPED));
    expect(statuses.map((s) => s.phase)).toEqual(HEADLESS_PATH);
    expectIncreasingVersions(statuses);
    expect(statuses.map((s) => s.conditions?.snapshot)).toEqual([
      '',
      '',
      '',
      '',
      'sim-snapshot-pb-1',
      'sim-snapshot-pb-1',
    ]);
    for (const s of statuses) {
      expect(s.spec).toMatchObject({ headless: true, type: WorkspaceType.PREBUILD });
      expect(s.conditions).toMatchObject({ stoppedByRequest: FALSE, headlessTaskFailed: '', failed: '' });
      expect(s.conditions?.firstUserActivity).toBeUndefined();
    }
  });

  it('reports a failed task at STOPPING and STOPPED when driven by hand, and keeps the snapshot', async () => {
    const { sim } = await setup({ manual: true });
    const message = "task 'make test' exited with code 2";
    const metadata = {
      owner: 'user-a',
      metaId: 'ws-pb',
      annotations: { [HEADLESS_TASK_FAILED_ANNOTATION]: message },
    };
    sim.startWorkspace(startRequest('pb-2', { type: WorkspaceType.PREBUILD, metadata }));
    const phases = [sim.advance('pb-2'), sim.advance('pb-2'), sim.advance('pb-2')].map((s) => s.phase);
    expect(phases).toEqual([CREATING, INITIALIZING, RUNNING]);
    const stopping = sim.advance('pb-2');
    const stopped = sim.advance('pb-2');
    for (const [status, phase] of [
      [stopping, STOPPING],
      [stopped, STOPPED],
    ] as const) {
      expect(status.phase).toBe(phase);
      expect(status.conditions).toMatchObject({
        headlessTaskFailed: message,
        snapshot: 'sim-snapshot-pb-2',
        stoppedByRequest: FALSE,
      });
    }
    expect(() => sim.advance('pb-2')).toThrow(
      expect.objectContaining({ code: SimulatorErrorCode.failedPrecondition }),
    );
  });

  it('cancels a prebuild stopped by request: stopped_by_request TRUE, no snapshot', async () => {
    const { sim, client } = await setup({ manual: true });
    sim.startWorkspace(startRequest('pb-3', { type: WorkspaceType.PREBUILD }));
    sim.advance('pb-3');
    sim.advance('pb-3');
    sim.advance('pb-3');
    await stopWorkspace(client, 'pb-3');
    const stopping = sim.truth()[0];
    const stopped = sim.advance('pb-3');
    expect([stopping?.phase, stopped.phase]).toEqual([STOPPING, STOPPED]);
    for (const status of [stopping, stopped]) {
      expect(status?.conditions).toMatchObject({
        stoppedByRequest: TRUE,
        snapshot: '',
        headlessTaskFailed: '',
      });
    }
  });

  it('stops an image build by itself without a snapshot', async () => {
    const { client } = await setup({ phaseDelayMs: 5 });
    const stream = new StatusStream(client);
    await stream.ready;
    await startWorkspace(client, startRequest('ib-1', { type: WorkspaceType.IMAGEBUILD }));

    const statuses = await stream.until((all) => all.some((s) => s.phase === STOPPED));
    expect(statuses.map((s) => s.phase)).toEqual(HEADLESS_PATH);
    for (const s of statuses) expect(s.conditions).toMatchObject({ snapshot: '', stoppedByRequest: FALSE });
  });
});

describe('simulated ws-manager: forget', () => {
  it('drops a workspace without a status: no longer listed, nothing more streamed, its timer cleared', async () => {
    const { sim, client } = await setup({ phaseDelayMs: 5 });
    const stream = new StatusStream(client);
    await stream.ready;
    await startWorkspace(client, startRequest('lost'));
    await stream.until((all) => all.length === 1);
    expect((await getWorkspaces(client)).map((s) => s.id)).toEqual(['lost']);
    const removed: string[] = [];
    sim.hooks.onRemove = (id) => removed.push(id);

    // The timers may have moved it on already; what it reported last, it reports for good.
    const last = sim.truth()[0] as WorkspaceStatus;
    expect(last.phase).not.toBe(STOPPED);
    sim.forget('lost');
    expect(removed).toEqual(['lost']);
    expect(sim.truth()).toEqual([]);
    expect(await getWorkspaces(client)).toEqual([]);

    // A workspace started afterwards gets through several timer rounds: had the forgotten one's timers
    // survived, its statuses would have been streamed before these.
    await startWorkspace(client, startRequest('witness'));
    await stream.until((all) => all.some((s) => s.id === 'witness' && isActive(s)));
    expect(stream.of('lost').at(-1)).toEqual(last);
    expect((await getWorkspaces(client)).map((s) => s.id)).toEqual(['witness']);
  });

  it('throws NOT_FOUND for an unknown id, and for a workspace already forgotten', async () => {
    const { sim } = await setup({ manual: true });
    expect(() => sim.forget('nope')).toThrow(
      expect.objectContaining({ name: 'SimulatorError', code: SimulatorErrorCode.notFound }),
    );
    sim.startWorkspace(startRequest('once'));
    sim.forget('once');
    expect(() => sim.forget('once')).toThrow(expect.objectContaining({ code: SimulatorErrorCode.notFound }));
    // The id is free again, as after a ws-manager restart.
    sim.startWorkspace(startRequest('once'));
    expect(sim.truth().map((s) => s.phase)).toEqual([PENDING]);
  });
});

describe('simulated ws-manager: snapshot and filters', () => {
  it('answers GetWorkspaces with the truth, filtered by owner, meta_id and annotations', async () => {
    const { sim, client } = await setup({ manual: true });
    sim.startWorkspace(startRequest('a1'));
    sim.startWorkspace(
      startRequest('a2', { metadata: { owner: 'user-a', metaId: 'ws-a2', annotations: { team: 'red' } } }),
    );
    sim.startWorkspace(startRequest('b1', { metadata: { owner: 'user-b', metaId: 'ws-b1' } }));
    sim.advance('a2');
    sim.advance('b1');

    const all = await getWorkspaces(client);
    expect(all).toEqual(sim.truth());
    expect(all.map((s) => s.id)).toEqual(['a1', 'a2', 'b1']);
    expect((await getWorkspaces(client, { owner: 'user-a' })).map((s) => s.id)).toEqual(['a1', 'a2']);
    expect((await getWorkspaces(client, { metaId: 'ws-b1' })).map((s) => s.id)).toEqual(['b1']);
    expect((await getWorkspaces(client, { annotations: { team: 'red' } })).map((s) => s.id)).toEqual(['a2']);
  });

  it('streams to each subscriber only what its must_match lets through', async () => {
    const { sim, client } = await setup({ manual: true });
    const everything = new StatusStream(client);
    const onlyA = new StatusStream(client, { owner: 'user-a' });
    await Promise.all([everything.ready, onlyA.ready]);
    expect(sim.subscriberCount).toBe(2);

    sim.startWorkspace(startRequest('b1', { metadata: { owner: 'user-b', metaId: 'ws-b1' } }));
    sim.startWorkspace(startRequest('a1'));
    await everything.until((all) => all.length === 2);
    // Both streams get statuses in emit order, so b1 would have reached onlyA before a1.
    expect((await onlyA.until((all) => all.length === 1)).map((s) => s.id)).toEqual(['a1']);
  });

  it('runs the afterSnapshot hook between the snapshot and the reply', async () => {
    const { sim, client } = await setup({ manual: true });
    const stream = new StatusStream(client);
    await stream.ready;
    sim.startWorkspace(startRequest('inst-1'));
    sim.hooks.afterSnapshot = (snapshot) => {
      expect(snapshot.map((s) => s.phase)).toEqual([PENDING]);
      sim.advance('inst-1');
    };

    const snapshot = await getWorkspaces(client);
    const streamed = await stream.until((all) => all.length === 2);
    expect(snapshot.map((s) => s.phase)).toEqual([PENDING]);
    expect(streamed.map((s) => s.phase)).toEqual([PENDING, CREATING]);
    expect(snapshot[0]).toEqual(streamed[0]);
    expect(sim.truth()[0]?.phase).toBe(CREATING);
  });

  it('describes the cluster with the configured workspace classes', async () => {
    const { client } = await setup();
    const describe = (c: WorkspaceManagerClient) =>
      unary(
        (r: object, cb: Callback<{ workspaceClasses: unknown[]; preferredWorkspaceClass: string }>) =>
          c.describeCluster(r, cb),
        {},
      );
    expect(await describe(client)).toEqual({
      workspaceClasses: DEFAULT_WORKSPACE_CLASSES,
      preferredWorkspaceClass: 'g1-standard',
    });

    const classes = [{ id: 'xl', displayName: 'XL', description: '16 cores', creditsPerMinute: 0.5 }];
    const custom = await setup({ workspaceClasses: classes, preferredWorkspaceClass: 'xl' });
    expect(await describe(custom.client)).toEqual({
      workspaceClasses: classes,
      preferredWorkspaceClass: 'xl',
    });
  });
});

describe('simulated ws-manager: errors', () => {
  it('rejects bad StartWorkspace and StopWorkspace calls with their gRPC codes', async () => {
    const { sim, client } = await setup({ manual: true });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => GrpcStatus.OK,
        (error: ServiceError) => error.code,
      );
    expect(await code(startWorkspace(client, startRequest('')))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(await code(startWorkspace(client, StartWorkspaceRequest.fromPartial({ id: 'x' })))).toBe(
      GrpcStatus.INVALID_ARGUMENT,
    );
    const badFail = startRequest('y', {
      metadata: { owner: 'u', metaId: 'w', annotations: { [FAIL_AT_ANNOTATION]: 'never' } },
    });
    expect(await code(startWorkspace(client, badFail))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(await code(stopWorkspace(client, 'nope'))).toBe(GrpcStatus.NOT_FOUND);

    await startWorkspace(client, startRequest('dup'));
    expect(await code(startWorkspace(client, startRequest('dup')))).toBe(GrpcStatus.ALREADY_EXISTS);
    await stopWorkspace(client, 'dup');
    expect(await code(startWorkspace(client, startRequest('dup')))).toBe(GrpcStatus.ALREADY_EXISTS);
    sim.advance('dup');
    expect(await code(startWorkspace(client, startRequest('dup')))).toBe(GrpcStatus.OK);
    expect(sim.truth().map((s) => s.phase)).toEqual([PENDING]);
  });
});

describe('simulated ws-manager: streams', () => {
  it('dropSubscribers ends streams with UNAVAILABLE and a new Subscribe works', async () => {
    const { sim, client } = await setup({ manual: true });
    const first = new StatusStream(client);
    await first.ready;
    sim.dropSubscribers();
    expect(sim.subscriberCount).toBe(0);
    expect((await first.ended).code).toBe(GrpcStatus.UNAVAILABLE);

    const opened = deferred();
    sim.hooks.onSubscribe = opened.resolve;
    const second = new StatusStream(client);
    await opened.promise;
    expect(sim.subscriberCount).toBe(1);
    sim.startWorkspace(startRequest('after-drop'));
    expect((await second.until((all) => all.length === 1))[0]?.id).toBe('after-drop');
  });

  it('forgets a cancelled stream at once', async () => {
    const { sim, client } = await setup({ manual: true });
    const stream = new StatusStream(client);
    await stream.ready;
    stream.call.cancel();
    expect((await stream.ended).code).toBe(GrpcStatus.CANCELLED);
    // The cancel travels ahead of the next stream on the same connection, so once the server has
    // registered the next stream it has forgotten the cancelled one.
    const next = new StatusStream(client);
    await next.ready;
    expect(sim.subscriberCount).toBe(1);
  });

  it('ends a stream that falls too far behind with RESOURCE_EXHAUSTED', async () => {
    const { sim, client } = await setup({ manual: true, maxSubscriberBacklog: 50 });
    const stream = new StatusStream(client);
    await stream.ready;
    stream.call.pause();
    for (let i = 0; i < 100; i++) sim.startWorkspace(startRequest(`w${i}`));
    expect(sim.subscriberCount).toBe(0);
    stream.call.resume();
    expect((await stream.ended).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(stream.statuses.length).toBeLessThan(100);
  });

  it('close() is idempotent, ends streams and refuses further work', async () => {
    const { sim, client } = await setup({ manual: true });
    const stream = new StatusStream(client);
    await stream.ready;
    const first = sim.close();
    expect(sim.close()).toBe(first);
    await first;
    expect((await stream.ended).code).toBe(GrpcStatus.UNAVAILABLE);
    expect(sim.subscriberCount).toBe(0);
    expect(() => sim.startWorkspace(startRequest('late'))).toThrow(SimulatorError);
    await sim.close();
  });
});

describe('simulated ws-manager: server', () => {
  it('rejects a taken port and can then listen elsewhere', async () => {
    const taken = new SimulatedWsManager();
    const port = await taken.listen(0);
    const other = new SimulatedWsManager();
    cleanups.push(
      () => taken.close(),
      () => other.close(),
    );
    await expect(other.listen(port)).rejects.toThrow();
    expect(await other.listen(0)).toBeGreaterThan(0);
  });
});

describe('simulated ws-manager: load', () => {
  it('delivers exactly totalUpdates messages and keeps the number of live instances', async () => {
    const { sim, client } = await setup();
    const stream = new StatusStream(client);
    await stream.ready;
    const result = await sim.runLoad({ workspaces: 5, totalUpdates: 200 });
    expect(result).toMatchObject({ emitted: 200, endedBy: 'total-updates' });
    expect(sim.truth()).toHaveLength(5);
    await sim.close();
    await stream.ended;

    expect(stream.statuses).toHaveLength(200);
    expectIncreasingVersions(stream.statuses);
    const ids = [...new Set(stream.statuses.map((s) => s.id))];
    expect(ids).toHaveLength(result.instancesStarted);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) {
      const phases = stream.of(id).map((s) => s.phase);
      expect(phases).toEqual(LOAD_PATH.slice(0, phases.length));
    }
    // Every slot moves in turn: instance n of a slot starts once instance n-1 has stopped.
    const live = new Set<string>();
    for (const s of stream.statuses) {
      if (s.phase === STOPPED) live.delete(s.id);
      else live.add(s.id);
      expect(live.size).toBeLessThanOrEqual(5);
    }
  });

  it('stamps the emit time on each status when asked', async () => {
    const { sim, client } = await setup();
    const stream = new StatusStream(client);
    await stream.ready;
    await sim.runLoad({ workspaces: 3, totalUpdates: 30, stampEmitTime: true });
    const statuses = await stream.until((all) => all.length === 30);
    for (const s of statuses) {
      const stamp = Number(s.metadata?.annotations[EMITTED_AT_ANNOTATION]);
      expect(Number.isInteger(stamp)).toBe(true);
      expect(stamp).toBeGreaterThan(Date.UTC(2024, 0, 1) * 1000);
    }
  });

  it('pauses for a subscriber that does not read and loses nothing', async () => {
    const { sim, client } = await setup();
    const stream = new StatusStream(client);
    await stream.ready;
    stream.call.pause();
    const paused = deferred();
    sim.hooks.onBackpressure = paused.resolve;
    let settled = false;
    const load = sim.runLoad({ workspaces: 50, totalUpdates: 20_000 }).finally(() => (settled = true));

    await paused.promise;
    expect(settled).toBe(false);
    stream.call.resume();
    expect((await load).emitted).toBe(20_000);
    const statuses = await stream.until((all) => all.length === 20_000);
    expectIncreasingVersions(statuses);
  });

  it('resolves at a target rate when the signal aborts, and after durationMs', async () => {
    const { sim, client } = await setup();
    const stream = new StatusStream(client);
    await stream.ready;
    const abort = new AbortController();
    const load = sim.runLoad({ workspaces: 2, updatesPerSecond: 200, signal: abort.signal });
    await expect(sim.runLoad({ workspaces: 1 })).rejects.toThrow(/already running/);
    await stream.until((all) => all.length >= 3);
    abort.abort();
    const result = await load;
    expect(result.endedBy).toBe('signal');
    expect(result.emitted).toBeGreaterThanOrEqual(3);

    const timed = await sim.runLoad({ workspaces: 2, updatesPerSecond: 200, durationMs: 30 });
    expect(timed.endedBy).toBe('duration');
  });

  it('starts every prebuildEvery-th workspace as a prebuild that stops by itself, every third one failing its task', async () => {
    const { sim, client } = await setup();
    const stream = new StatusStream(client);
    await stream.ready;
    const result = await sim.runLoad({ workspaces: 3, totalUpdates: 150, prebuildEvery: 2 });
    await sim.close();
    await stream.ended;
    expect(stream.statuses).toHaveLength(150);

    // Statuses come in emit order, and a workspace's first one is emitted when it starts: the order
    // of first sightings is the start order n.
    const ids = [...new Set(stream.statuses.map((s) => s.id))];
    expect(ids).toHaveLength(result.instancesStarted);
    expect(ids.length).toBeGreaterThanOrEqual(18);
    const projectOfRepo = new Map<string, string>();
    ids.forEach((id, n) => {
      const statuses = stream.of(id);
      const first = statuses[0] as WorkspaceStatus;
      const prebuild = n % 2 === 0;
      const failingTask = prebuild && (n / 2) % 3 === 2;
      expect(first.phase).toBe(PENDING);
      expect(first.spec?.type).toBe(prebuild ? WorkspaceType.PREBUILD : WorkspaceType.REGULAR);
      expect(first.metadata?.annotations[HEADLESS_TASK_FAILED_ANNOTATION]).toBe(
        failingTask ? SYNTHETIC_TASK_FAILURE : undefined,
      );
      const phases = statuses.map((s) => s.phase);
      expect(phases).toEqual((prebuild ? HEADLESS_PATH : LOAD_PATH).slice(0, phases.length));
      if (!prebuild) {
        expect(first.metadata?.project).toBeUndefined();
        for (const s of statuses.filter(isStopPhase)) {
          expect(s.conditions?.stoppedByRequest).toBe(TRUE);
        }
        return;
      }
      const repo = first.metadata?.annotations['gitpod/contextUrl'] ?? '';
      const project = first.metadata?.project ?? '';
      expect(project).toMatch(/^[0-9a-f-]{36}$/);
      if (projectOfRepo.has(repo)) expect(project).toBe(projectOfRepo.get(repo));
      projectOfRepo.set(repo, project);
      for (const s of statuses.filter(isStopPhase)) {
        expect(s.conditions).toMatchObject({
          stoppedByRequest: FALSE,
          snapshot: `sim-snapshot-${id}`,
          headlessTaskFailed: failingTask ? SYNTHETIC_TASK_FAILURE : '',
        });
      }
    });
    // Each outcome shows up in the run: finished prebuilds with and without a failed task.
    const stoppingPrebuilds = stream.statuses.filter(
      (s) => s.phase === STOPPING && s.spec?.type === WorkspaceType.PREBUILD,
    );
    const outcomes = new Set(stoppingPrebuilds.map((s) => s.conditions?.headlessTaskFailed));
    expect(outcomes).toEqual(new Set(['', SYNTHETIC_TASK_FAILURE]));
  });
});
