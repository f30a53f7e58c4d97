/**
 * The order of steps a simulated workspace goes through. Pure: no clock, no randomness, no I/O.
 *
 * A step is finer than a phase: `running` and `active` are both RUNNING, the second one carrying
 * the first user activity, the way a real ws-manager reports a workspace twice while it runs.
 * Headless workspaces (prebuilds, image builds) have no user: they run their task and stop by
 * themselves, going from `running` straight to `stopping`.
 */
import { WorkspacePhase } from '../../generated/wsman/core.js';

/** Every step in lifecycle order. */
export const LIFECYCLE_STEPS = [
  'pending',
  'creating',
  'initializing',
  'running',
  'active',
  'stopping',
  'stopped',
] as const;

/** One observable step of a simulated workspace. */
export type LifecycleStep = (typeof LIFECYCLE_STEPS)[number];

/** Steps at which a workspace can be told to fail (annotation `sim/fail-at`). */
export const FAILABLE_STEPS = ['creating', 'initializing', 'running'] as const;

/** A step at which a workspace can be told to fail. */
export type FailableStep = (typeof FAILABLE_STEPS)[number];

/** Annotation on StartWorkspace metadata that makes the workspace fail on reaching that step. */
export const FAIL_AT_ANNOTATION = 'sim/fail-at';

/**
 * Annotation on StartWorkspace metadata of a headless workspace: its task fails with this message,
 * reported as condition `headless_task_failed` once it stops by itself.
 */
export const HEADLESS_TASK_FAILED_ANNOTATION = 'sim/headless-task-failed';

/** Annotation the load driver stamps with the wall-clock emit time in microseconds. */
export const EMITTED_AT_ANNOTATION = 'sim/emitted-at-us';

/** The wire phase a workspace reports in each step. */
export const STEP_PHASE: Readonly<Record<LifecycleStep, WorkspacePhase>> = {
  pending: WorkspacePhase.PENDING,
  creating: WorkspacePhase.CREATING,
  initializing: WorkspacePhase.INITIALIZING,
  running: WorkspacePhase.RUNNING,
  active: WorkspacePhase.RUNNING,
  stopping: WorkspacePhase.STOPPING,
  stopped: WorkspacePhase.STOPPED,
};

/** The human-readable `message` a workspace shows in each step. */
export const STEP_MESSAGE: Readonly<Record<LifecycleStep, string>> = {
  pending: 'waiting for a node to be assigned',
  creating: 'pulling workspace and IDE images',
  initializing: 'initializing workspace content',
  running: 'workspace is running',
  active: 'workspace is running',
  stopping: 'workspace is stopping: taking a backup',
  stopped: 'workspace has stopped',
};

/** What decides where a workspace goes next besides its current step. */
export interface StepContext {
  /** StopWorkspace was called (or the load driver retires the workspace). */
  readonly stopRequested: boolean;
  /** The current status carries a `failed` condition. */
  readonly failed: boolean;
  /** A prebuild or image build: it stops by itself once its task has run. */
  readonly headless: boolean;
}

const START_PATH: Readonly<Partial<Record<LifecycleStep, LifecycleStep>>> = {
  pending: 'creating',
  creating: 'initializing',
  initializing: 'running',
  running: 'active',
};

/**
 * The step after `step`, or undefined when the workspace rests where it is: `active` until someone
 * stops it, `stopped` for good. A failure or a stop request leads to `stopping` from any earlier step;
 * a headless workspace never rests while up: its task has run, so it goes on to `stopping`.
 */
export function nextStep(step: LifecycleStep, context: StepContext): LifecycleStep | undefined {
  if (step === 'stopped') return undefined;
  if (step === 'stopping') return 'stopped';
  if (context.stopRequested || context.failed) return 'stopping';
  if (context.headless && isUp(step)) return 'stopping';
  return START_PATH[step];
}

/** True once the workspace is in a stop step (StopWorkspace is then a no-op). */
export function isStopStep(step: LifecycleStep): boolean {
  return step === 'stopping' || step === 'stopped';
}

/** True from the step in which the pod exists (node and pod names are known). */
export function hasRuntime(step: LifecycleStep): boolean {
  return step !== 'pending';
}

/** True in the steps where the workspace is up and its ports have public URLs. */
export function isUp(step: LifecycleStep): boolean {
  return step === 'running' || step === 'active';
}

/** Parses a `sim/fail-at` value; undefined when absent, null when it names no failable step. */
export function parseFailAt(value: string | undefined): FailableStep | undefined | null {
  if (value === undefined || value === '') return undefined;
  return (FAILABLE_STEPS as readonly string[]).includes(value) ? (value as FailableStep) : null;
}
