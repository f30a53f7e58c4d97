/**
 * The workspaces a simulator holds: one record per instance id, one version counter for all of them,
 * and the timers that move them on. Every status change goes out through `publish`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { StartWorkspaceRequest, WorkspaceStatus } from '../../generated/wsman/core.js';
import { StopWorkspacePolicy } from '../../generated/wsman/core.js';
import { SimulatorError, SimulatorErrorCode } from './simulator-error.js';
import { EMITTED_AT_ANNOTATION, isStopStep, nextStep, type LifecycleStep } from './workspace-lifecycle.js';
import { createTemplate, statusAt, withAnnotation, type WorkspaceTemplate } from './workspace-status.js';

/** Who moves a workspace on: its own timers, a test calling `advance`, or the load driver. */
export type WorkspaceDriver = 'timers' | 'manual' | 'load';

/** Settings and outlets of a `WorkspaceTable`. */
export interface WorkspaceTableOptions {
  readonly phaseDelayMs: number;
  readonly retainStoppedMs: number;
  readonly domain: string;
  readonly defaultClass: string;
  /** Receives every new status, in version order. */
  readonly publish: (status: WorkspaceStatus) => void;
  /** Told when a workspace leaves the list. */
  readonly onRemove: (id: string) => void;
}

interface WorkspaceRecord {
  readonly template: WorkspaceTemplate;
  readonly driver: WorkspaceDriver;
  step: LifecycleStep;
  status: WorkspaceStatus;
  stopRequested: boolean;
  aborted: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Wall-clock microseconds, comparable across processes on one machine. */
function wallClockMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** The simulator's workspaces; see the module comment. */
export class WorkspaceTable {
  readonly #options: WorkspaceTableOptions;
  readonly #records = new Map<string, WorkspaceRecord>();
  // Like a Kubernetes resourceVersion: one counter, starting above 2^32 so 64-bit handling is exercised.
  #version = 2n ** 32n + BigInt(randomInt(1, 2 ** 40));
  #seed = 0;

  constructor(options: WorkspaceTableOptions) {
    this.#options = options;
  }

  /** Current statuses in start order. They are never mutated, so the array is a consistent snapshot. */
  statuses(): WorkspaceStatus[] {
    return Array.from(this.#records.values(), (r) => r.status);
  }

  /**
   * Creates a workspace in PENDING from a validated request, replacing a stopped one of the same id.
   * Throws SimulatorError(already-exists) while one of that id is not stopped.
   */
  start(request: StartWorkspaceRequest, driver: WorkspaceDriver, stamp = false): WorkspaceTemplate {
    const existing = this.#records.get(request.id);
    if (existing && existing.step !== 'stopped') {
      throw new SimulatorError(SimulatorErrorCode.alreadyExists, `workspace ${request.id} already exists`);
    }
    if (existing) this.#remove(existing);
    const template = createTemplate({
      request,
      domain: this.#options.domain,
      defaultClass: this.#options.defaultClass,
      ownerToken: randomBytes(24).toString('base64url'),
      startedAt: new Date(),
      seed: this.#seed++,
    });
    const stop = { stopRequested: false, aborted: false };
    const status = this.#render(template, undefined, 'pending', stop, stamp);
    const record: WorkspaceRecord = { template, driver, step: 'pending', status, ...stop, timer: undefined };
    this.#records.set(template.id, record);
    this.#options.publish(status);
    this.#schedule(record);
    return template;
  }

  /** Moves a workspace to STOPPING; a no-op when it is already stopping. Throws NOT_FOUND. */
  stop(id: string, policy: StopWorkspacePolicy): void {
    const record = this.#get(id);
    if (isStopStep(record.step)) return;
    record.stopRequested = true;
    record.aborted = policy === StopWorkspacePolicy.ABORT;
    this.#emit(record, 'stopping', false);
  }

  /** Applies the next step; throws NOT_FOUND, or FAILED_PRECONDITION where the workspace rests. */
  advance(id: string): WorkspaceStatus {
    const record = this.#get(id);
    const step = this.#next(record);
    if (!step) {
      const why = record.step === 'stopped' ? 'has stopped' : 'is running: stop it first';
      throw new SimulatorError(SimulatorErrorCode.failedPrecondition, `workspace ${id} ${why}`);
    }
    this.#emit(record, step, false);
    return record.status;
  }

  /**
   * The load driver's step: like `advance`, but a resting workspace is stopped by request, and a
   * stopped one is removed (false, nothing emitted) so the driver can start its replacement.
   */
  advanceOrRetire(id: string, stamp: boolean): boolean {
    const record = this.#records.get(id);
    if (!record) return false;
    if (record.step === 'stopped') {
      this.#remove(record);
      return false;
    }
    if (!this.#next(record)) record.stopRequested = true;
    this.#emit(record, this.#next(record) ?? 'stopping', stamp);
    return true;
  }

  /**
   * Removes a workspace at once without emitting anything, as a ws-manager that lost the pod (or
   * restarted empty) no longer knows it. Throws NOT_FOUND.
   */
  forget(id: string): void {
    this.#remove(this.#get(id));
  }

  /** Stops every timer; the statuses stay readable. */
  freeze(): void {
    for (const record of this.#records.values()) {
      clearTimeout(record.timer);
      record.timer = undefined;
    }
  }

  #get(id: string): WorkspaceRecord {
    const record = this.#records.get(id);
    if (!record) throw new SimulatorError(SimulatorErrorCode.notFound, `workspace ${id} does not exist`);
    return record;
  }

  #next(record: WorkspaceRecord): LifecycleStep | undefined {
    const failed = (record.status.conditions?.failed ?? '') !== '';
    const headless = record.template.spec.headless;
    return nextStep(record.step, { stopRequested: record.stopRequested, failed, headless });
  }

  #render(
    template: WorkspaceTemplate,
    prev: WorkspaceStatus | undefined,
    step: LifecycleStep,
    stop: { readonly stopRequested: boolean; readonly aborted: boolean },
    stamp: boolean,
  ): WorkspaceStatus {
    this.#version += 1n;
    const flags = { byRequest: stop.stopRequested, aborted: stop.aborted };
    const status = statusAt(template, prev, { step, version: this.#version, now: new Date(), stop: flags });
    return stamp ? withAnnotation(status, EMITTED_AT_ANNOTATION, String(wallClockMicros())) : status;
  }

  #emit(record: WorkspaceRecord, step: LifecycleStep, stamp: boolean): void {
    record.status = this.#render(record.template, record.status, step, record, stamp);
    record.step = step;
    this.#options.publish(record.status);
    this.#schedule(record);
  }

  #schedule(record: WorkspaceRecord): void {
    clearTimeout(record.timer);
    record.timer = undefined;
    if (record.driver === 'load') return;
    if (record.step === 'stopped') {
      record.timer = setTimeout(() => this.#remove(record), this.#options.retainStoppedMs);
      return;
    }
    const step = record.driver === 'timers' ? this.#next(record) : undefined;
    if (step) record.timer = setTimeout(() => this.#emit(record, step, false), this.#options.phaseDelayMs);
  }

  #remove(record: WorkspaceRecord): void {
    clearTimeout(record.timer);
    record.timer = undefined;
    if (this.#records.get(record.template.id) !== record) return;
    this.#records.delete(record.template.id);
    this.#options.onRemove(record.template.id);
  }
}
