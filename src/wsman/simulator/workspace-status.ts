/**
 * The WorkspaceStatus a simulated workspace reports in each step. Pure: every value comes in as an
 * argument. Statuses are immutable and share the parts that never change (metadata, spec, auth), so
 * emitting one costs a few small objects rather than a deep copy.
 */
import type { GitStatus } from '../../generated/contentservice/initializer.js';
import type {
  InitializerMetric,
  InitializerMetrics,
  PortSpec,
  StartWorkspaceRequest,
  WorkspaceAuthentication,
  WorkspaceConditions,
  WorkspaceMetadata,
  WorkspaceRuntimeInfo,
  WorkspaceSpec,
  WorkspaceStatus,
} from '../../generated/wsman/core.js';
import { AdmissionLevel, WorkspaceConditionBool, WorkspaceType } from '../../generated/wsman/core.js';
import type { FailableStep, LifecycleStep } from './workspace-lifecycle.js';
import {
  FAIL_AT_ANNOTATION,
  HEADLESS_TASK_FAILED_ANNOTATION,
  STEP_MESSAGE,
  STEP_PHASE,
  isStopStep,
  isUp,
  parseFailAt,
} from './workspace-lifecycle.js';

const { TRUE, FALSE } = WorkspaceConditionBool;

const DEFAULT_IMAGE =
  'eu.gcr.io/gitpod-sim/workspace-images:8f3a6c2d1e0b4a79b5c2e6d1f0a9b8c7d6e5f4a3b2c1d0e9';
const DEFAULT_IDE = {
  webRef: 'eu.gcr.io/gitpod-sim/build/ide/code:commit-4f1c2b8e9d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c',
  supervisorRef: 'eu.gcr.io/gitpod-sim/build/supervisor:commit-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b',
};
const DEFAULT_IDE_LAYERS = [
  'eu.gcr.io/gitpod-sim/build/ide/code-web-extensions:commit-1a2b3c4d5e6f',
  'eu.gcr.io/gitpod-sim/build/ide/gitpod-code-web:commit-6f5e4d3c2b1a',
];

/** Everything about a workspace that is fixed when it starts; its statuses share these objects. */
export interface WorkspaceTemplate {
  readonly id: string;
  readonly type: WorkspaceType;
  readonly metadata: WorkspaceMetadata;
  /** Spec before the workspace is up: exposed ports without URLs. */
  readonly spec: WorkspaceSpec;
  /** Spec while the workspace runs: exposed ports with their public URLs. */
  readonly upSpec: WorkspaceSpec;
  readonly runtime: WorkspaceRuntimeInfo;
  readonly auth: WorkspaceAuthentication;
  readonly repo: GitStatus;
  readonly initializerMetrics: InitializerMetrics;
  readonly failAt: FailableStep | undefined;
  /** Message of `sim/headless-task-failed`; '' when the task succeeds, always '' for a regular workspace. */
  readonly headlessTaskFailed: string;
}

/** Inputs of `createTemplate`; equal inputs give equal templates. */
export interface TemplateInput {
  /** A request that passed validation (id and metadata present, `sim/fail-at` valid). */
  readonly request: StartWorkspaceRequest;
  /** Host part of workspace URLs. */
  readonly domain: string;
  /** Workspace class when the request names none. */
  readonly defaultClass: string;
  readonly ownerToken: string;
  readonly startedAt: Date;
  /** Any non-negative integer; picks the node, the image sizes and the initializer timings. */
  readonly seed: number;
}

function portsOf(request: StartWorkspaceRequest, upUrl: ((port: number) => string) | undefined): PortSpec[] {
  return (request.spec?.ports ?? []).map((p) => ({
    port: p.port,
    visibility: p.visibility,
    protocol: p.protocol,
    url: upUrl ? upUrl(p.port) : '',
  }));
}

function specOf(input: TemplateInput, up: boolean): WorkspaceSpec {
  const { request, domain } = input;
  const spec = request.spec;
  return {
    workspaceImage: spec?.workspaceImage || DEFAULT_IMAGE,
    headless: request.type !== WorkspaceType.REGULAR,
    url: `https://${request.id}.${domain}`,
    exposedPorts: portsOf(request, up ? (port) => `https://${port}-${request.id}.${domain}` : undefined),
    type: request.type,
    timeout: spec?.timeout || '30m0s',
    ideImage: spec?.ideImage ? { ...spec.ideImage } : DEFAULT_IDE,
    class: spec?.class || input.defaultClass,
    ideImageLayers: spec?.ideImageLayers.length ? [...spec.ideImageLayers] : DEFAULT_IDE_LAYERS,
    closedTimeout: spec?.closedTimeout ?? '',
  };
}

function metric(seconds: number, nanos: number, size: bigint): InitializerMetric {
  return { duration: { seconds: BigInt(seconds), nanos }, size };
}

function metadataOf(input: TemplateInput): WorkspaceMetadata {
  const source = input.request.metadata;
  const mib = BigInt(input.seed % 1024) * 1_048_576n;
  return {
    owner: source?.owner ?? '',
    metaId: source?.metaId ?? '',
    startedAt: input.startedAt,
    annotations: { ...source?.annotations },
    team: source?.team,
    project: source?.project,
    metrics: { image: { totalSize: 4_294_967_296n + mib, workspaceImageSize: 3_221_225_472n + mib } },
  };
}

/** Builds the fixed parts of a workspace's statuses from its StartWorkspace request. */
export function createTemplate(input: TemplateInput): WorkspaceTemplate {
  const { request, seed } = input;
  const node = seed % 16;
  return {
    id: request.id,
    type: request.type,
    metadata: metadataOf(input),
    spec: specOf(input, false),
    upSpec: specOf(input, true),
    runtime: {
      nodeName: `ws-sim-node-${node}`,
      podName: `ws-${request.id}`,
      nodeIp: `10.8.${node}.${seed % 250}`,
    },
    auth: {
      admission: request.spec?.admission ?? AdmissionLevel.ADMIT_OWNER_ONLY,
      ownerToken: input.ownerToken,
    },
    repo: {
      branch: 'main',
      latestCommit: '3c9f1e27a4b8d05c6e7f8091a2b3c4d5e6f70812',
      uncommitedFiles: [],
      untrackedFiles: [],
      unpushedCommits: [],
      totalUncommitedFiles: 0n,
      totalUntrackedFiles: 0n,
      totalUnpushedCommits: 0n,
    },
    initializerMetrics: {
      git: metric(1 + (seed % 7), 250_000_000, 48_234_496n + BigInt(seed % 4096)),
      fileDownload: undefined,
      snapshot: undefined,
      backup: undefined,
      prebuild: metric(3 + (seed % 11), 125_000_000, 734_003_200n),
      composite: metric(5 + (seed % 13), 500_000_000, 782_237_696n),
    },
    failAt: parseFailAt(request.metadata?.annotations[FAIL_AT_ANNOTATION]) ?? undefined,
    headlessTaskFailed:
      request.type === WorkspaceType.REGULAR
        ? ''
        : (request.metadata?.annotations[HEADLESS_TASK_FAILED_ANNOTATION] ?? ''),
  };
}

/** How a workspace is being stopped; only matters in the stop steps. */
export interface StopFlags {
  /**
   * StopWorkspace was called or the load retired the workspace (condition `stopped_by_request`);
   * false for a failure and for a headless workspace stopping by itself.
   */
  readonly byRequest: boolean;
  /** Stopped with policy ABORT (condition `aborted`). */
  readonly aborted: boolean;
}

/** One step to render. */
export interface StepInput {
  readonly step: LifecycleStep;
  readonly version: bigint;
  readonly now: Date;
  readonly stop: StopFlags;
}

function conditionsAt(
  t: WorkspaceTemplate,
  prev: WorkspaceConditions | undefined,
  input: StepInput,
): WorkspaceConditions {
  const { step, stop } = input;
  const failed = prev?.failed || (step === t.failAt ? `simulated failure while ${step}` : '');
  const stopping = isStopStep(step);
  // Stopping by itself, a headless workspace has run its task: a real ws-manager reports the outcome
  // (and a prebuild's snapshot) as soon as it takes the backup, at STOPPING already.
  const finished = stopping && t.spec.headless && !failed && !stop.byRequest;
  const wasDeployed = prev?.deployed === TRUE;
  const deployed = wasDeployed || step === 'initializing' || isUp(step);
  return {
    failed,
    timeout: '',
    pullingImages: step === 'creating' ? TRUE : FALSE,
    snapshot: finished && t.type === WorkspaceType.PREBUILD ? `sim-snapshot-${t.id}` : '',
    finalBackupComplete: step === 'stopped' ? TRUE : FALSE,
    deployed: deployed ? TRUE : FALSE,
    networkNotReady: FALSE,
    firstUserActivity: step === 'active' ? input.now : prev?.firstUserActivity,
    headlessTaskFailed: finished ? t.headlessTaskFailed : '',
    stoppedByRequest: stopping && stop.byRequest ? TRUE : FALSE,
    volumeSnapshot: undefined,
    aborted: stopping && stop.aborted ? TRUE : FALSE,
  };
}

/**
 * The status of a workspace in `input.step`, given the status it reported before (undefined for the
 * first one). Content parts (repo, initializer metrics) appear once the workspace is up and stay.
 */
export function statusAt(
  t: WorkspaceTemplate,
  prev: WorkspaceStatus | undefined,
  input: StepInput,
): WorkspaceStatus {
  const { step } = input;
  const up = isUp(step);
  const conditions = conditionsAt(t, prev?.conditions, input);
  const failing = conditions.failed !== '' && !isStopStep(step);
  return {
    id: t.id,
    metadata: t.metadata,
    spec: up ? t.upSpec : t.spec,
    phase: STEP_PHASE[step],
    conditions,
    message: failing ? conditions.failed : STEP_MESSAGE[step],
    repo: up ? t.repo : prev?.repo,
    runtime: step === 'pending' ? undefined : isStopStep(step) ? prev?.runtime : t.runtime,
    auth: t.auth,
    statusVersion: input.version,
    initializerMetrics: up ? t.initializerMetrics : prev?.initializerMetrics,
  };
}

/** The same status with one more annotation; shares everything else. */
export function withAnnotation(status: WorkspaceStatus, key: string, value: string): WorkspaceStatus {
  const metadata = status.metadata;
  if (!metadata) return status;
  return { ...status, metadata: { ...metadata, annotations: { ...metadata.annotations, [key]: value } } };
}
