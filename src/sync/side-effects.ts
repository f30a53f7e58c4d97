/**
 * What a change of an instance tells the platform besides `chan:workspace-instances`, and what it
 * revokes. Pure: built from the record before the change and the row after it, recorded with the
 * write (outbox) and published after its commit.
 */
import {
  headlessMessage,
  HEADLESS_EVENT_TYPES,
  lifecycleMessage,
  prebuildMessage,
  type HeadlessEventType,
} from '../pubsub/payloads.js';
import type { InstanceWrite, OutboxMessage } from '../store/ports.js';
import type { InstanceRecord, InstanceRow, PrebuildRow } from '../store/types.js';

/** The parts of a write that are side effects of the instance change. */
export type SideEffects = Pick<InstanceWrite, 'messages' | 'revokeTokens'>;

/** No message, no revocation: what most status changes carry. */
const NO_EFFECTS: SideEffects = Object.freeze({});

/**
 * Lifecycle effects of `record` becoming `next`: a `workspace_running` event on the first RUNNING
 * (`started`), and on the way into `stopped` a `workspace_stopped` event and the revocation of the
 * instance's tokens (the owner's `user_tokens` named `<instanceId>-…`). Neither: no messages.
 */
export function lifecycleEffects(record: InstanceRecord, next: InstanceRow, started: boolean): SideEffects {
  const running = started && next.startedTime !== null;
  const stopped = record.row.phase !== 'stopped' && next.phase === 'stopped' && next.stoppedTime !== null;
  if (!running && !stopped) return NO_EFFECTS;
  const ids = {
    instanceId: next.id,
    workspaceId: next.workspaceId,
    ownerId: record.ownerId,
    creationTime: next.creationTime,
  };
  const messages: OutboxMessage[] = [];
  if (running && next.startedTime !== null) {
    messages.push(lifecycleMessage({ type: 'workspace_running', ...ids, startedTime: next.startedTime }));
  }
  if (!stopped || next.stoppedTime === null) return { messages };
  messages.push(
    lifecycleMessage({
      type: 'workspace_stopped',
      ...ids,
      startedTime: next.startedTime,
      stoppingTime: next.stoppingTime,
      stoppedTime: next.stoppedTime,
      conditions: next.status.conditions,
      timeout: next.status.timeout,
    }),
  );
  return { messages, revokeTokens: { userId: record.ownerId, namePrefix: `${next.id}-` } };
}

/** The `chan:headless` and `chan:prebuilds` messages of a prebuild change, in the original's order. */
export function prebuildMessages(
  record: InstanceRecord,
  prebuild: PrebuildRow,
  headless: HeadlessEventType,
): OutboxMessage[] {
  const instanceId = record.row.id;
  const workspaceID = record.row.workspaceId;
  return [
    headlessMessage(instanceId, { type: headless, workspaceID }),
    prebuildMessage(instanceId, {
      projectID: prebuild.projectId,
      prebuildID: prebuild.id,
      status: prebuild.state,
      workspaceID,
      organizationID: record.organizationId,
    }),
  ];
}

/** The headless event of a prebuild the bridge aborted by stopping its instance. */
export const ABORTED_HEADLESS: HeadlessEventType = HEADLESS_EVENT_TYPES.aborted;
