/** The simulated ws-manager's step machine and its StartWorkspace checks, without a server. */
import { describe, expect, it } from 'vitest';
import type { DeepPartial } from '../../src/generated/wsman/core.js';
import { StartWorkspaceRequest, WorkspacePhase, WorkspaceType } from '../../src/generated/wsman/core.js';
import { SimulatorError, SimulatorErrorCode } from '../../src/wsman/simulator/simulator-error.js';
import { validateStartRequest } from '../../src/wsman/simulator/validate-start-request.js';
import type { LifecycleStep, StepContext } from '../../src/wsman/simulator/workspace-lifecycle.js';
import {
  FAILABLE_STEPS,
  FAIL_AT_ANNOTATION,
  HEADLESS_TASK_FAILED_ANNOTATION,
  LIFECYCLE_STEPS,
  STEP_MESSAGE,
  STEP_PHASE,
  hasRuntime,
  isStopStep,
  isUp,
  nextStep,
  parseFailAt,
} from '../../src/wsman/simulator/workspace-lifecycle.js';

const { PENDING, CREATING, INITIALIZING, RUNNING, STOPPING, STOPPED } = WorkspacePhase;

describe('lifecycle steps', () => {
  it('lists the steps in lifecycle order, with the failable ones among them in the same order', () => {
    expect(LIFECYCLE_STEPS).toEqual([
      'pending',
      'creating',
      'initializing',
      'running',
      'active',
      'stopping',
      'stopped',
    ]);
    expect(FAILABLE_STEPS).toEqual(['creating', 'initializing', 'running']);
    expect(FAIL_AT_ANNOTATION).toBe('sim/fail-at');
    expect(HEADLESS_TASK_FAILED_ANNOTATION).toBe('sim/headless-task-failed');
  });

  interface StepCase {
    step: LifecycleStep;
    phase: WorkspacePhase;
    stop: boolean;
    runtime: boolean;
    up: boolean;
  }
  const stepTable: StepCase[] = [
    { step: 'pending', phase: PENDING, stop: false, runtime: false, up: false },
    { step: 'creating', phase: CREATING, stop: false, runtime: true, up: false },
    { step: 'initializing', phase: INITIALIZING, stop: false, runtime: true, up: false },
    { step: 'running', phase: RUNNING, stop: false, runtime: true, up: true },
    { step: 'active', phase: RUNNING, stop: false, runtime: true, up: true },
    { step: 'stopping', phase: STOPPING, stop: true, runtime: true, up: false },
    { step: 'stopped', phase: STOPPED, stop: true, runtime: true, up: false },
  ];

  it('has one table row per step', () => {
    expect(stepTable.map((c) => c.step)).toEqual(LIFECYCLE_STEPS);
  });

  it.each(stepTable)(
    '$step: phase $phase, stop step $stop, runtime $runtime, up $up',
    ({ step, phase, stop, runtime, up }) => {
      expect(STEP_PHASE[step]).toBe(phase);
      expect(isStopStep(step)).toBe(stop);
      expect(hasRuntime(step)).toBe(runtime);
      expect(isUp(step)).toBe(up);
    },
  );

  it('gives every step a message, running and active the same one and no other two alike', () => {
    for (const step of LIFECYCLE_STEPS) expect(STEP_MESSAGE[step]).not.toBe('');
    expect(STEP_MESSAGE.active).toBe(STEP_MESSAGE.running);
    const others = LIFECYCLE_STEPS.filter((s) => s !== 'active').map((s) => STEP_MESSAGE[s]);
    expect(new Set(others).size).toBe(others.length);
  });
});

describe('nextStep', () => {
  const contexts: [string, StepContext][] = [
    ['undisturbed', { stopRequested: false, failed: false, headless: false }],
    ['stop requested', { stopRequested: true, failed: false, headless: false }],
    ['failed', { stopRequested: false, failed: true, headless: false }],
    ['stop requested and failed', { stopRequested: true, failed: true, headless: false }],
    ['headless', { stopRequested: false, failed: false, headless: true }],
    ['headless, stop requested', { stopRequested: true, failed: false, headless: true }],
    ['headless, failed', { stopRequested: false, failed: true, headless: true }],
  ];
  // One column per context above, in the same order; S is `stopping`, D `stopped`, and `rest` means
  // there is no next step. A headless workspace never reaches `active` (no user shows up); its row
  // says it would not rest there either.
  const S = 'stopping';
  const D = 'stopped';
  const rest = undefined;
  // prettier-ignore
  const table: [LifecycleStep, ...(LifecycleStep | undefined)[]][] = [
    //                regular                          headless
    //                undisturbed     stop fail both   undisturbed     stop fail
    ['pending',       'creating',     S,   S,   S,     'creating',     S,   S],
    ['creating',      'initializing', S,   S,   S,     'initializing', S,   S],
    ['initializing',  'running',      S,   S,   S,     'running',      S,   S],
    ['running',       'active',       S,   S,   S,     S,              S,   S],
    ['active',        rest,           S,   S,   S,     S,              S,   S],
    ['stopping',      D,              D,   D,   D,     D,              D,   D],
    ['stopped',       rest,           rest, rest, rest, rest,          rest, rest],
  ];
  const cases = table.flatMap(([step, ...next]) =>
    contexts.map(([name, context], i) => ({ step, name, context, expected: next[i] })),
  );

  it('covers every step in every context', () => {
    expect(table.map(([step]) => step)).toEqual(LIFECYCLE_STEPS);
    for (const [, ...next] of table) expect(next).toHaveLength(contexts.length);
  });

  it.each(cases)('$step, $name → $expected', ({ step, context, expected }) => {
    expect(nextStep(step, context)).toBe(expected);
  });

  it.each([
    [
      'undisturbed',
      { stopRequested: false, failed: false, headless: false },
      ['pending', 'creating', 'initializing', 'running', 'active'],
    ],
    [
      'stopped from the start',
      { stopRequested: true, failed: false, headless: false },
      ['pending', 'stopping', 'stopped'],
    ],
    [
      'headless',
      { stopRequested: false, failed: false, headless: true },
      ['pending', 'creating', 'initializing', 'running', 'stopping', 'stopped'],
    ],
  ] as const)('walking from pending, %s, visits %j and then rests', (_name, context, path) => {
    const visited: LifecycleStep[] = ['pending'];
    for (let step = nextStep('pending', context); step; step = nextStep(step, context)) {
      expect(visited.length).toBeLessThan(LIFECYCLE_STEPS.length);
      visited.push(step);
    }
    expect(visited).toEqual(path);
  });
});

describe('parseFailAt', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['creating', 'creating'],
    ['initializing', 'initializing'],
    ['running', 'running'],
    ['pending', null],
    ['active', null],
    ['stopping', null],
    ['stopped', null],
    ['Creating', null],
    [' running', null],
    ['running ', null],
    ['never', null],
    ['constructor', null],
  ] as const)('%j → %j', (value, expected) => {
    expect(parseFailAt(value)).toBe(expected);
  });
});

describe('validateStartRequest', () => {
  function request(overrides: DeepPartial<StartWorkspaceRequest> = {}): StartWorkspaceRequest {
    return StartWorkspaceRequest.fromPartial({
      id: 'inst-1',
      metadata: { owner: 'user-a', metaId: 'ws-1', annotations: { 'gitpod/contextUrl': 'https://x.test' } },
      ...overrides,
    });
  }
  const failAt = (value: string) => ({
    owner: 'u',
    metaId: 'w',
    annotations: { [FAIL_AT_ANNOTATION]: value },
  });
  const failAtMessage = 'annotation sim/fail-at must be one of creating, initializing, running';
  const taskFailed = (value: string) => ({
    owner: 'u',
    metaId: 'w',
    annotations: { [HEADLESS_TASK_FAILED_ANNOTATION]: value },
  });
  const taskFailedMessage = 'annotation sim/headless-task-failed needs a PREBUILD or IMAGEBUILD workspace';

  it.each<{ name: string; overrides: DeepPartial<StartWorkspaceRequest> }>([
    { name: 'a regular workspace', overrides: {} },
    { name: 'a prebuild', overrides: { type: WorkspaceType.PREBUILD } },
    { name: 'an image build', overrides: { type: WorkspaceType.IMAGEBUILD } },
    {
      name: 'no annotations and no spec',
      overrides: { metadata: { owner: 'u', metaId: 'w' }, spec: undefined },
    },
    { name: 'fail-at creating', overrides: { metadata: failAt('creating') } },
    { name: 'fail-at initializing', overrides: { metadata: failAt('initializing') } },
    { name: 'fail-at running', overrides: { metadata: failAt('running') } },
    { name: 'an empty fail-at (as if absent)', overrides: { metadata: failAt('') } },
    {
      name: 'a prebuild whose task fails',
      overrides: { type: WorkspaceType.PREBUILD, metadata: taskFailed('task exited with code 1') },
    },
    {
      name: 'an image build whose task fails',
      overrides: { type: WorkspaceType.IMAGEBUILD, metadata: taskFailed('build failed') },
    },
    {
      name: 'an empty headless-task-failed on a regular workspace (as if absent)',
      overrides: { metadata: taskFailed('') },
    },
  ])('accepts $name', ({ overrides }) => {
    expect(() => validateStartRequest(request(overrides))).not.toThrow();
  });

  it.each<{ name: string; overrides: DeepPartial<StartWorkspaceRequest>; message: string }>([
    { name: 'an empty id', overrides: { id: '' }, message: 'id is required' },
    { name: 'no metadata', overrides: { metadata: undefined }, message: 'metadata is required' },
    {
      name: 'an empty owner',
      overrides: { metadata: { metaId: 'w' } },
      message: 'metadata.owner is required',
    },
    {
      name: 'an empty meta_id',
      overrides: { metadata: { owner: 'u' } },
      message: 'metadata.meta_id is required',
    },
    {
      name: 'type 2 (reserved)',
      overrides: { type: 2 as WorkspaceType },
      message: 'unknown workspace type 2',
    },
    {
      name: 'type 3 (reserved)',
      overrides: { type: 3 as WorkspaceType },
      message: 'unknown workspace type 3',
    },
    {
      name: 'type UNRECOGNIZED',
      overrides: { type: WorkspaceType.UNRECOGNIZED },
      message: 'unknown workspace type -1',
    },
    { name: 'fail-at pending', overrides: { metadata: failAt('pending') }, message: failAtMessage },
    { name: 'fail-at active', overrides: { metadata: failAt('active') }, message: failAtMessage },
    { name: 'fail-at stopping', overrides: { metadata: failAt('stopping') }, message: failAtMessage },
    { name: 'fail-at in capitals', overrides: { metadata: failAt('RUNNING') }, message: failAtMessage },
    { name: 'fail-at never', overrides: { metadata: failAt('never') }, message: failAtMessage },
    {
      name: 'headless-task-failed on a regular workspace',
      overrides: { metadata: taskFailed('task exited with code 1') },
      message: taskFailedMessage,
    },
    {
      name: 'an empty id and no metadata (first problem wins)',
      overrides: { id: '', metadata: undefined },
      message: 'id is required',
    },
    {
      name: 'no owner, no meta_id and a bad type (first problem wins)',
      overrides: { metadata: {}, type: 3 as WorkspaceType },
      message: 'metadata.owner is required',
    },
    {
      name: 'a bad type and a bad fail-at (type checked first)',
      overrides: { type: 2 as WorkspaceType, metadata: failAt('never') },
      message: 'unknown workspace type 2',
    },
  ])('rejects $name with invalid-argument', ({ overrides, message }) => {
    let thrown: unknown;
    try {
      validateStartRequest(request(overrides));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SimulatorError);
    expect(thrown).toMatchObject({ code: SimulatorErrorCode.invalidArgument, message });
  });
});
