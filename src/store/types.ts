/**
 * Rows of the tables other platform services read (workspace clusters, instances and their metrics,
 * workspaces, prebuilds, user tokens), in the shape the code uses.
 * Column names are snake_case in the database; adapters translate. Timestamps are ISO-8601 UTC
 * strings with milliseconds; `null` means "not set".
 */

/** Phases of a workspace instance, in the platform's naming. */
export const INSTANCE_PHASES = [
  'unknown',
  'preparing',
  'building',
  'pending',
  'creating',
  'initializing',
  'running',
  'interrupted',
  'stopping',
  'stopped',
] as const;
export type InstancePhase = (typeof INSTANCE_PHASES)[number];

/** Every phase but `stopped`: what the instance controller watches and a forced deregistration stops. */
export const NOT_STOPPED_PHASES: readonly InstancePhase[] = INSTANCE_PHASES.filter(
  (phase) => phase !== 'stopped',
);

export const WORKSPACE_TYPES = ['regular', 'prebuild', 'imagebuild'] as const;
export type WorkspaceType = (typeof WORKSPACE_TYPES)[number];

/** One exposed port of an instance, as stored in `status.exposedPorts`. */
export interface ExposedPort {
  port: number;
  visibility?: 'public' | 'private';
  url?: string;
  protocol?: 'http' | 'https';
}

/** `status.conditions` of an instance. */
export interface InstanceConditions {
  failed?: string;
  timeout?: string;
  pullingImages?: boolean;
  deployed?: boolean;
  /** Owned by the platform; the bridge preserves it. */
  neededImageBuild?: boolean;
  firstUserActivity?: string;
  headlessTaskFailed?: string;
  stoppedByRequest?: boolean;
}

export interface ImageMetrics {
  totalSize?: number;
  workspaceImageSize?: number;
}

/** The `status` JSON column of `workspace_instances`. Phase and version live in their own columns. */
export interface InstanceStatus {
  conditions: InstanceConditions;
  message?: string;
  exposedPorts?: ExposedPort[];
  timeout?: string;
  nodeName?: string;
  podName?: string;
  nodeIp?: string;
  /** Secret: never logged. */
  ownerToken?: string;
  metrics?: { image?: ImageMetrics };
}

/** A row of `workspace_instances`. */
export interface InstanceRow {
  id: string;
  workspaceId: string;
  /** Name of the workspace cluster the instance runs on (the original calls it `region`). */
  clusterName: string;
  phase: InstancePhase;
  /** ws-manager's `status_version` (uint64 on the wire, int64 in the database). 0 = none seen yet. */
  statusVersion: bigint;
  creationTime: string;
  deployedTime: string | null;
  startedTime: string | null;
  stoppingTime: string | null;
  stoppedTime: string | null;
  ideUrl: string;
  status: InstanceStatus;
  updatedAt: string;
}

/** What the instance controller decides on: the few columns of a row its rules read. */
export type InstanceState = Pick<
  InstanceRow,
  'id' | 'phase' | 'statusVersion' | 'creationTime' | 'stoppingTime'
>;

/** One initializer's figures: duration in milliseconds (fractions allowed), size in bytes. */
export interface InitializerMetric {
  duration: number;
  size: number;
}

/** The `metrics` JSON of `workspace_instance_metrics`. Writers deep-merge into it. */
export interface InstanceMetrics {
  image?: ImageMetrics;
  initializerMetrics?: {
    git?: InitializerMetric;
    fileDownload?: InitializerMetric;
    snapshot?: InitializerMetric;
    backup?: InitializerMetric;
    prebuild?: InitializerMetric;
    composite?: InitializerMetric;
  };
}

/** A row of `workspaces`, written by the platform (or by the bridge with `--adopt-unknown`). */
export interface WorkspaceRow {
  id: string;
  ownerId: string;
  type: WorkspaceType;
  projectId: string | null;
  organizationId: string | null;
  createdAt: string;
}

/** An instance with what the bridge needs from its workspace, metrics and prebuild rows. */
export interface InstanceRecord {
  row: InstanceRow;
  ownerId: string;
  workspaceType: WorkspaceType;
  /** `workspaces.organization_id` (published with prebuild updates). */
  organizationId: string | null;
  /** Current `workspace_instance_metrics.metrics`, or null when there is no row. */
  metrics: InstanceMetrics | null;
  /**
   * The prebuild whose `build_workspace_id` is this instance's workspace, or null when there is none
   * (every workspace that is not a prebuild). With several (not expected), the smallest id.
   */
  prebuild: PrebuildRow | null;
}

export const PREBUILD_STATES = ['queued', 'building', 'available', 'aborted', 'timeout', 'failed'] as const;
export type PrebuildState = (typeof PREBUILD_STATES)[number];

/** A row of `prebuilt_workspaces`. */
export interface PrebuildRow {
  id: string;
  buildWorkspaceId: string;
  projectId: string | null;
  state: PrebuildState;
  snapshot: string | null;
  error: string | null;
  statusVersion: bigint;
}

export const CLUSTER_STATES = ['available', 'cordoned', 'draining'] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number];

export type AdmissionConstraint =
  | { type: 'has-feature-preview' }
  | { type: 'has-permission'; permission: string }
  | { type: 'has-class'; id: string; displayName: string };

export interface WorkspaceClassInfo {
  id: string;
  displayName: string;
  description: string;
  creditsPerMinute: number;
}

/** Base64-encoded PEM material for a ws-manager connection. Secret: never logged or returned. */
export interface ClusterTls {
  ca: string;
  crt: string;
  key: string;
}

/** A row of `workspace_clusters`. */
export interface ClusterRow {
  name: string;
  url: string;
  tls: ClusterTls | null;
  state: ClusterState;
  score: number;
  maxScore: number;
  govern: boolean;
  region: string;
  admissionConstraints: AdmissionConstraint[];
  availableWorkspaceClasses: WorkspaceClassInfo[];
  preferredWorkspaceClass: string | null;
  createdAt: string;
  updatedAt: string;
}
