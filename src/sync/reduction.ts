/**
 * Types of the pure status reducer (`status-reducer.ts`): what goes in and what comes out. The sync
 * engine owns all I/O around it.
 */
import type { WorkspaceStatus } from '../generated/wsman/core.js';
import type { InstanceMetrics, InstancePhase, InstanceRecord, InstanceRow } from '../store/types.js';

/**
 * A WorkspaceStatus that passed `validateStatus`: id non-empty, metadata/spec/conditions/auth present,
 * phase and type known enum values, status_version within int64.
 */
export type ValidStatus = WorkspaceStatus & {
  metadata: NonNullable<WorkspaceStatus['metadata']>;
  spec: NonNullable<WorkspaceStatus['spec']>;
  conditions: NonNullable<WorkspaceStatus['conditions']>;
  auth: NonNullable<WorkspaceStatus['auth']>;
};

/** Why a status was rejected by validation. Stable codes, used as a metric label. */
export type InvalidStatusReason =
  | 'missing-id'
  | 'missing-metadata'
  | 'missing-spec'
  | 'missing-conditions'
  | 'missing-auth'
  | 'unknown-phase'
  | 'unknown-type'
  | 'version-out-of-range'
  | 'too-large';

export type ValidationResult =
  { ok: true; status: ValidStatus } | { ok: false; reason: InvalidStatusReason; message: string };

/** Facts the reducer reports so the engine can observe metrics and log once. */
export type ReductionEvent =
  /** First RUNNING: startedTime was set. `startupSeconds` = startedTime - creationTime. */
  | { type: 'started'; startupSeconds: number }
  /** First time a first_user_activity was seen and startedTime is set. */
  | { type: 'first-user-activity'; secondsSinceStart: number }
  /** A newer RUNNING revived a stopped/stopping instance (stoppingTime/stoppedTime cleared). */
  | { type: 'resurrected'; previousPhase: InstancePhase }
  /** A non-RUNNING phase arrived for a stopped instance; the phase stayed `stopped`. */
  | { type: 'ignored-after-stopped'; incomingPhase: InstancePhase | 'unknown' }
  /** The incoming `failed` condition was empty; the stored non-empty one was kept. */
  | { type: 'failed-condition-kept' };

export type Reduction =
  /**
   * Nothing to write. `statusVersion` is the version to remember as seen (the larger of stored and
   * incoming). `after-stopped`: a non-RUNNING, non-STOPPED phase for a stopped instance.
   */
  | {
      kind: 'skip';
      reason: 'stale' | 'identical' | 'after-stopped';
      statusVersion: bigint;
      events: ReductionEvent[];
    }
  | {
      kind: 'apply';
      /** The complete next row (updatedAt = observedAt). */
      row: InstanceRow;
      /** The complete next metrics value, or undefined when the metrics row does not change. */
      metrics: InstanceMetrics | undefined;
      events: ReductionEvent[];
    };

/** Signature of the reducer: `(current record, status, observedAt ISO) -> reduction`. Pure. */
export type StatusReducer = (current: InstanceRecord, status: ValidStatus, observedAt: string) => Reduction;
