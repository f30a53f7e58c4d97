/** statusAt: which fields each step of a simulated workspace sets, on whole walks through the steps. */
import { describe, expect, it } from 'vitest';
import type { DeepPartial, WorkspaceStatus } from '../../src/generated/wsman/core.js';
import {
  AdmissionLevel,
  StartWorkspaceRequest,
  WorkspaceConditionBool,
  WorkspacePhase,
  WorkspaceType,
} from '../../src/generated/wsman/core.js';
import type { FailableStep, LifecycleStep } from '../../src/wsman/simulator/workspace-lifecycle.js';
import {
  FAIL_AT_ANNOTATION,
  HEADLESS_TASK_FAILED_ANNOTATION,
  LIFECYCLE_STEPS,
  STEP_MESSAGE,
  STEP_PHASE,
  nextStep,
} from '../../src/wsman/simulator/workspace-lifecycle.js';
import type { StopFlags, WorkspaceTemplate } from '../../src/wsman/simulator/workspace-status.js';
import { createTemplate, statusAt } from '../../src/wsman/simulator/workspace-status.js';

const { TRUE, FALSE } = WorkspaceConditionBool;
const { PENDING, CREATING, INITIALIZING, RUNNING, STOPPING, STOPPED } = WorkspacePhase;
const STARTED_AT = new Date('2024-05-01T10:00:00.000Z');
const NOT_STOPPED: StopFlags = { byRequest: false, aborted: false };
const BY_REQUEST: StopFlags = { byRequest: true, aborted: false };

/** The `now` of the i-th rendered status: one second apart, all after the start. */
const nowAt = (i: number): Date => new Date(STARTED_AT.getTime() + (i + 1) * 1000);

function template(
  overrides: DeepPartial<StartWorkspaceRequest> = {},
  failAt: FailableStep | undefined = undefined,
): WorkspaceTemplate {
  const annotations = failAt ? { [FAIL_AT_ANNOTATION]: failAt } : {};
  const request = StartWorkspaceRequest.fromPartial({
    id: 'inst-1',
    metadata: { owner: 'user-a', metaId: 'ws-1', annotations },
    spec: { ports: [{ port: 3000 }] },
    ...overrides,
  });
  const input = {
    domain: 'ws.sim.test',
    defaultClass: 'g1-standard',
    ownerToken: 'tok',
    startedAt: STARTED_AT,
  };
  return createTemplate({ ...input, request, seed: 3 });
}

/** Renders `steps` in order, each from the one before; `stop` applies from `stopFrom` on. */
function walk(
  t: WorkspaceTemplate,
  steps: readonly LifecycleStep[],
  stop: StopFlags = BY_REQUEST,
  stopFrom = steps.indexOf('stopping'),
): WorkspaceStatus[] {
  const statuses: WorkspaceStatus[] = [];
  steps.forEach((step, i) => {
    const flags = stopFrom >= 0 && i >= stopFrom ? stop : NOT_STOPPED;
    statuses.push(
      statusAt(t, statuses.at(-1), { step, version: 100n + BigInt(i), now: nowAt(i), stop: flags }),
    );
  });
  return statuses;
}

/**
 * Moves a workspace on with nextStep until it rests, as the simulator's timers do; no stop request,
 * so a headless workspace stops by itself.
 */
function drive(t: WorkspaceTemplate): { steps: LifecycleStep[]; statuses: WorkspaceStatus[] } {
  const steps: LifecycleStep[] = [];
  const statuses: WorkspaceStatus[] = [];
  for (let step: LifecycleStep | undefined = 'pending'; step;) {
    const i = statuses.length;
    const status = statusAt(t, statuses.at(-1), {
      step,
      version: 100n + BigInt(i),
      now: nowAt(i),
      stop: NOT_STOPPED,
    });
    steps.push(step);
    statuses.push(status);
    const failed = status.conditions?.failed !== '';
    step = nextStep(step, { stopRequested: false, failed, headless: t.spec.headless });
  }
  return { steps, statuses };
}

describe('statusAt: a workspace that starts, is used and is stopped by request', () => {
  type Bool = WorkspaceConditionBool;
  type Row = [
    step: LifecycleStep,
    phase: WorkspacePhase,
    pullingImages: Bool,
    deployed: Bool,
    /** Index of the status whose `now` is the first user activity. */
    activity: number | undefined,
    runtime: boolean,
    up: boolean,
    /** repo and initializer metrics */
    content: boolean,
    stoppedByRequest: Bool,
    finalBackupComplete: Bool,
  ];
  // prettier-ignore
  const table: Row[] = [
    // step          phase         pulling deployed activity   runtime up     content stopped backup
    ['pending',      PENDING,      FALSE,  FALSE,   undefined, false,  false, false,  FALSE,  FALSE],
    ['creating',     CREATING,     TRUE,   FALSE,   undefined, true,   false, false,  FALSE,  FALSE],
    ['initializing', INITIALIZING, FALSE,  TRUE,    undefined, true,   false, false,  FALSE,  FALSE],
    ['running',      RUNNING,      FALSE,  TRUE,    undefined, true,   true,  true,   FALSE,  FALSE],
    ['active',       RUNNING,      FALSE,  TRUE,    4,         true,   true,  true,   FALSE,  FALSE],
    ['stopping',     STOPPING,     FALSE,  TRUE,    4,         true,   false, true,   TRUE,   FALSE],
    ['stopped',      STOPPED,      FALSE,  TRUE,    4,         true,   false, true,   TRUE,   TRUE],
  ];
  const rows = table.map(
    ([step, phase, pullingImages, deployed, activity, runtime, up, content, stopped, backup], i) => ({
      step,
      phase,
      pullingImages,
      deployed,
      activity,
      runtime,
      up,
      content,
      stopped,
      backup,
      i,
    }),
  );

  it('has one row per step', () => {
    expect(rows.map((r) => r.step)).toEqual(LIFECYCLE_STEPS);
  });

  it.each(rows)('$step', (row) => {
    const t = template();
    const status = walk(t, LIFECYCLE_STEPS)[row.i] as WorkspaceStatus;
    expect(status).toMatchObject({ id: 'inst-1', phase: row.phase, statusVersion: 100n + BigInt(row.i) });
    expect(status.message).toBe(STEP_MESSAGE[row.step]);
    expect(status.conditions).toEqual({
      failed: '',
      timeout: '',
      pullingImages: row.pullingImages,
      snapshot: '',
      finalBackupComplete: row.backup,
      deployed: row.deployed,
      networkNotReady: FALSE,
      firstUserActivity: row.activity === undefined ? undefined : nowAt(row.activity),
      headlessTaskFailed: '',
      stoppedByRequest: row.stopped,
      volumeSnapshot: undefined,
      aborted: FALSE,
    });
    expect(status.runtime).toEqual(
      row.runtime ? { nodeName: 'ws-sim-node-3', podName: 'ws-inst-1', nodeIp: '10.8.3.3' } : undefined,
    );
    expect(status.spec?.exposedPorts.map((p) => p.url)).toEqual([
      row.up ? 'https://3000-inst-1.ws.sim.test' : '',
    ]);
    expect(status.spec).toMatchObject({
      url: 'https://inst-1.ws.sim.test',
      timeout: '30m0s',
      class: 'g1-standard',
      type: WorkspaceType.REGULAR,
    });
    expect(status.repo).toBe(row.content ? t.repo : undefined);
    expect(status.initializerMetrics).toBe(row.content ? t.initializerMetrics : undefined);
    expect(status.auth).toEqual({ admission: AdmissionLevel.ADMIT_OWNER_ONLY, ownerToken: 'tok' });
  });
});

describe('statusAt: stopped from each step', () => {
  const START: LifecycleStep[] = ['pending', 'creating', 'initializing', 'running', 'active'];
  const cases = START.flatMap((from, i) =>
    [false, true].map((aborted) => ({
      from,
      aborted,
      steps: [...START.slice(0, i + 1), 'stopping', 'stopped'] as const,
    })),
  );

  it.each(cases)('from $from, aborted $aborted', ({ from, aborted, steps }) => {
    const t = template();
    const statuses = walk(t, steps, { byRequest: true, aborted });
    const [last, stopping, stopped] = statuses.slice(-3) as [
      WorkspaceStatus,
      WorkspaceStatus,
      WorkspaceStatus,
    ];
    const podExists = from !== 'pending';
    const deployed = from !== 'pending' && from !== 'creating';
    const content = from === 'running' || from === 'active';
    for (const [status, backup] of [
      [stopping, FALSE],
      [stopped, TRUE],
    ] as const) {
      expect(status.message).toBe(STEP_MESSAGE[status === stopping ? 'stopping' : 'stopped']);
      expect(status.conditions).toMatchObject({
        failed: '',
        pullingImages: FALSE,
        deployed: deployed ? TRUE : FALSE,
        stoppedByRequest: TRUE,
        aborted: aborted ? TRUE : FALSE,
        finalBackupComplete: backup,
        firstUserActivity: from === 'active' ? nowAt(4) : undefined,
      });
      expect(status.runtime).toEqual(podExists ? t.runtime : undefined);
      expect(status.spec).toBe(t.spec);
      expect(status.repo).toBe(content ? t.repo : undefined);
      expect(status.initializerMetrics).toBe(content ? t.initializerMetrics : undefined);
    }
    // The stop steps carry the pod of the step before (none when stopped while pending).
    expect(stopping.runtime).toBe(last.runtime);
  });

  it.each(LIFECYCLE_STEPS.filter((s) => s !== 'stopping' && s !== 'stopped'))(
    'ignores stop flags in %s',
    (step) => {
      const [status] = walk(template(), [step], { byRequest: true, aborted: true }, 0);
      expect(status?.conditions).toMatchObject({
        stoppedByRequest: FALSE,
        aborted: FALSE,
        finalBackupComplete: FALSE,
      });
    },
  );

  it.each([
    ['not by request', NOT_STOPPED, FALSE],
    ['by request', BY_REQUEST, TRUE],
  ] as const)('a stop %s reports stopped_by_request %s', (_name, stop, expected) => {
    const statuses = walk(template(), ['pending', 'stopping', 'stopped'], stop);
    expect(statuses.map((s) => s.conditions?.stoppedByRequest)).toEqual([FALSE, expected, expected]);
  });
});

describe('statusAt: sim/fail-at', () => {
  it.each([
    {
      failAt: undefined,
      steps: ['pending', 'creating', 'initializing', 'running', 'active'],
      failing: undefined,
    },
    { failAt: 'creating', steps: ['pending', 'creating', 'stopping', 'stopped'], failing: 1 },
    {
      failAt: 'initializing',
      steps: ['pending', 'creating', 'initializing', 'stopping', 'stopped'],
      failing: 2,
    },
    {
      failAt: 'running',
      steps: ['pending', 'creating', 'initializing', 'running', 'stopping', 'stopped'],
      failing: 3,
    },
  ] as const)('fail-at $failAt: steps $steps', ({ failAt, steps, failing }) => {
    const driven = drive(template({}, failAt));
    expect(driven.steps).toEqual(steps);
    const reason = `simulated failure while ${failAt}`;
    driven.statuses.forEach((status, i) => {
      const failed = failing !== undefined && i >= failing;
      expect(status.phase).toBe(STEP_PHASE[steps[i]!]);
      expect(status.conditions?.failed).toBe(failed ? reason : '');
      expect(status.message).toBe(i === failing ? reason : STEP_MESSAGE[steps[i]!]);
      expect(status.conditions?.stoppedByRequest).toBe(FALSE);
    });
    // A failed workspace never sees a user.
    const activity = driven.statuses.map((s) => s.conditions?.firstUserActivity);
    expect(activity.filter(Boolean)).toHaveLength(failAt === undefined ? 1 : 0);
  });

  it('keeps the failure once set, whatever steps follow', () => {
    const t = template({}, 'creating');
    const statuses = walk(t, ['pending', 'creating', 'initializing', 'running', 'stopping', 'stopped']);
    expect(statuses.map((s) => s.conditions?.failed !== '')).toEqual([false, true, true, true, true, true]);
    expect(statuses.map((s) => s.message === 'simulated failure while creating')).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('statusAt: outcome of a headless workspace at STOPPING and STOPPED', () => {
  const { REGULAR, PREBUILD, IMAGEBUILD } = WorkspaceType;
  const TASK = "task 'npm test' exited with code 1";
  const SNAPSHOT = 'sim-snapshot-inst-1';
  const UP_TO_RUNNING: LifecycleStep[] = ['pending', 'creating', 'initializing', 'running'];
  type Row = [
    name: string,
    type: WorkspaceType,
    failAt: FailableStep | undefined,
    /** Value of sim/headless-task-failed; '' for none. */
    taskFailed: string,
    /** StopWorkspace once running; otherwise it goes on by itself (nextStep). */
    byRequest: boolean,
    snapshot: string,
    headlessTaskFailed: string,
  ];
  // prettier-ignore
  const table: Row[] = [
    // name                                    type        failAt      task  byRequest snapshot  task failed
    ['prebuild that succeeds',                 PREBUILD,   undefined,  '',   false,    SNAPSHOT, ''],
    ['prebuild whose task fails',              PREBUILD,   undefined,  TASK, false,    SNAPSHOT, TASK],
    ['prebuild failing while creating',        PREBUILD,   'creating', '',   false,    '',       ''],
    ['prebuild failing while running',         PREBUILD,   'running',  '',   false,    '',       ''],
    ['failing prebuild whose task would fail', PREBUILD,   'running',  TASK, false,    '',       ''],
    ['prebuild stopped by request',            PREBUILD,   undefined,  '',   true,     '',       ''],
    ['prebuild with a failing task, stopped',  PREBUILD,   undefined,  TASK, true,     '',       ''],
    ['image build that succeeds',              IMAGEBUILD, undefined,  '',   false,    '',       ''],
    ['image build whose task fails',           IMAGEBUILD, undefined,  TASK, false,    '',       TASK],
    ['image build stopped by request',         IMAGEBUILD, undefined,  '',   true,     '',       ''],
    ['regular workspace stopped by request',   REGULAR,    undefined,  '',   true,     '',       ''],
  ];
  const cases = table.map(([name, type, failAt, taskFailed, byRequest, snapshot, headlessTaskFailed]) => ({
    name,
    type,
    failAt,
    taskFailed,
    byRequest,
    snapshot,
    headlessTaskFailed,
  }));

  function pathOf(failAt: FailableStep | undefined): LifecycleStep[] {
    const upTo = failAt ? UP_TO_RUNNING.indexOf(failAt) + 1 : UP_TO_RUNNING.length;
    return [...UP_TO_RUNNING.slice(0, upTo), 'stopping', 'stopped'];
  }

  it.each(cases)('$name', (c) => {
    const annotations: Record<string, string> = {};
    if (c.failAt) annotations[FAIL_AT_ANNOTATION] = c.failAt;
    if (c.taskFailed) annotations[HEADLESS_TASK_FAILED_ANNOTATION] = c.taskFailed;
    const t = template({ type: c.type, metadata: { owner: 'user-a', metaId: 'ws-1', annotations } });
    const steps = pathOf(c.failAt);
    const statuses = c.byRequest ? walk(t, steps, BY_REQUEST) : drive(t).statuses;
    if (!c.byRequest) expect(drive(t).steps).toEqual(steps);

    const failed = c.failAt ? `simulated failure while ${c.failAt}` : '';
    for (const status of statuses.slice(-2)) {
      expect(status.conditions).toMatchObject({
        failed,
        snapshot: c.snapshot,
        headlessTaskFailed: c.headlessTaskFailed,
        stoppedByRequest: c.byRequest ? TRUE : FALSE,
        firstUserActivity: undefined,
      });
    }
    expect(statuses.map((s) => s.phase).slice(-2)).toEqual([STOPPING, STOPPED]);
    for (const status of statuses.slice(0, -2)) {
      expect(status.conditions).toMatchObject({ snapshot: '', headlessTaskFailed: '' });
    }
  });

  it('never reports a task outcome for a regular workspace, whatever its annotations say', () => {
    const annotations = { [HEADLESS_TASK_FAILED_ANNOTATION]: TASK };
    const t = template({ metadata: { owner: 'user-a', metaId: 'ws-1', annotations } });
    expect(t.headlessTaskFailed).toBe('');
    const statuses = walk(t, [...UP_TO_RUNNING, 'stopping', 'stopped'], NOT_STOPPED);
    expect(statuses.map((s) => s.conditions?.headlessTaskFailed)).toEqual(['', '', '', '', '', '']);
    expect(statuses.map((s) => s.conditions?.snapshot)).toEqual(['', '', '', '', '', '']);
  });
});
