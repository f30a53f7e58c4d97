/**
 * The write (and the next cached record) for one change of an instance: a reduced status, or a stop
 * the bridge decided. Pure: it gathers the row, its prebuild, the messages and the token revocation
 * that go into one transaction, and the notification that announces them once it commits.
 */
import type { InstanceWrite, OutboxMessage } from '../store/ports.js';
import type { InstanceMetrics, InstanceRecord, InstanceRow } from '../store/types.js';
import type { PrebuildReduction } from './prebuild-reducer.js';
import { abortPrebuild } from './prebuild-reducer.js';
import { ABORTED_HEADLESS, lifecycleEffects, prebuildMessages } from './side-effects.js';
import type { PendingWrite } from './write-batcher.js';

/** No waiter: a status has nobody waiting for its commit (shared, never mutated). */
const NO_SETTLE: PendingWrite['settle'] = Object.freeze([]);

/** The messages of a change, in order: the prebuild's first, then the lifecycle's; undefined for none. */
function messagesOf(
  prebuild: readonly OutboxMessage[] | undefined,
  lifecycle: readonly OutboxMessage[] | undefined,
): OutboxMessage[] | undefined {
  if (!prebuild?.length) return lifecycle?.length ? [...lifecycle] : undefined;
  return lifecycle?.length ? [...prebuild, ...lifecycle] : [...prebuild];
}

/**
 * The owner to announce: ws-manager's, or the record's when that is empty. The record's string when
 * both are equal, so a notification waiting in the notifier's queue holds no copy of its own.
 */
function ownerOf(reported: string, record: InstanceRecord): string {
  return reported === '' || reported === record.ownerId ? record.ownerId : reported;
}

/** The cached record after the change and the write that persists it. */
export interface InstanceChange {
  record: InstanceRecord;
  pending: PendingWrite;
}

/** What a status changes: the next row and metrics, and the prebuild's reduction if it has one. */
export interface StatusChange {
  row: InstanceRow;
  /** Undefined: the metrics row stays as it is. */
  metrics: InstanceMetrics | undefined;
  /** The status brought the first RUNNING (startedTime was set). */
  started: boolean;
  prebuild: PrebuildReduction | undefined;
  /** ws-manager's owner of the workspace; the record's owner when empty. */
  owner: string;
  receivedAt: number;
  /** The cluster lease the write is made under (the cluster that sent the status). */
  lease: string;
}

/** The change a status makes to `record`. */
export function statusChange(
  record: InstanceRecord,
  change: StatusChange,
  adopt: InstanceWrite['adopt'],
): InstanceChange {
  const { row } = change;
  const prebuild = change.prebuild?.kind === 'apply' ? change.prebuild : undefined;
  const effects = lifecycleEffects(record, row, change.started);
  const headless = prebuild && prebuildMessages(record, prebuild.row, prebuild.headless);
  const messages = messagesOf(headless, effects.messages);
  return {
    record: {
      row,
      ownerId: record.ownerId,
      workspaceType: record.workspaceType,
      organizationId: record.organizationId,
      metrics: change.metrics ?? record.metrics,
      prebuild: prebuild?.row ?? record.prebuild,
    },
    pending: {
      write: {
        row,
        previousPhase: record.row.phase,
        metrics: change.metrics,
        adopt,
        notify: { ownerID: ownerOf(change.owner, record), instanceID: row.id, workspaceID: row.workspaceId },
        prebuild: prebuild?.row,
        messages,
        revokeTokens: effects.revokeTokens,
        lease: change.lease,
      },
      receivedAt: [change.receivedAt],
      settle: NO_SETTLE,
      prebuildCompleted: prebuild?.completed,
    },
  };
}

/**
 * The change of a stop the bridge decided (`stopped` is the row `markStopped` made) under the lease
 * `lease`: an unfinished prebuild of the workspace is aborted with it, and the stop's lifecycle
 * effects apply.
 */
export function stopChange(
  record: InstanceRecord,
  stopped: InstanceRow,
  write: { adopt: InstanceWrite['adopt']; lease: string },
  settle: (committed: boolean) => void,
): InstanceChange {
  const prebuild = record.prebuild ? abortPrebuild(record.prebuild) : undefined;
  const effects = lifecycleEffects(record, stopped, false);
  const headless = prebuild && prebuildMessages(record, prebuild, ABORTED_HEADLESS);
  const messages = messagesOf(headless, effects.messages);
  return {
    record: { ...record, row: stopped, prebuild: prebuild ?? record.prebuild },
    pending: {
      write: {
        row: stopped,
        previousPhase: record.row.phase,
        adopt: write.adopt,
        notify: { ownerID: record.ownerId, instanceID: stopped.id, workspaceID: stopped.workspaceId },
        prebuild,
        messages,
        revokeTokens: effects.revokeTokens,
        lease: write.lease,
      },
      receivedAt: [],
      settle: [settle],
      prebuildCompleted: prebuild?.state,
    },
  };
}
