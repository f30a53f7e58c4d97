/**
 * Payloads of the channels, byte-compatible with the original bridge where it had them: `JSON.stringify`
 * of an object whose keys are written in the order consumers have always seen them. Messages other
 * than instance notifications carry an outbox key: one undelivered message per key is kept, so a newer
 * one of the same key replaces an older one that was not sent yet.
 */
import type { InstanceNotification, OutboxMessage } from '../store/ports.js';
import type { InstanceConditions, PrebuildState } from '../store/types.js';
import { CHANNELS } from './channels.js';
import type { Message } from './ports.js';

/** `chan:prebuilds` content. */
export interface PrebuildUpdate {
  /** The prebuild's project; null or undefined is published as "". */
  projectID: string | null | undefined;
  prebuildID: string;
  status: PrebuildState;
  workspaceID: string;
  /** The project's organization; the key is left out when undefined or null. */
  organizationID?: string | null | undefined;
}

/** Headless workspace event types (`type` of `chan:headless`), as the platform names them. */
export const HEADLESS_EVENT_TYPES = {
  logOutput: 'log-output',
  finishedSuccessfully: 'finish-success',
  finishedButFailed: 'finish-fail',
  abortedTimedOut: 'aborted-timeout',
  aborted: 'aborted',
  failed: 'failed',
  started: 'started',
} as const;

/** One of {@link HEADLESS_EVENT_TYPES}. */
export type HeadlessEventType = (typeof HEADLESS_EVENT_TYPES)[keyof typeof HEADLESS_EVENT_TYPES];

/** `chan:headless` content. */
export interface HeadlessEvent {
  type: HeadlessEventType;
  workspaceID: string;
}

/** What an instance's first RUNNING tells `chan:workspace-lifecycle`. */
export interface WorkspaceRunningEvent {
  type: 'workspace_running';
  instanceId: string;
  workspaceId: string;
  ownerId: string;
  creationTime: string;
  startedTime: string;
}

/** What an instance's stop tells `chan:workspace-lifecycle`. Never carries the owner token. */
export interface WorkspaceStoppedEvent {
  type: 'workspace_stopped';
  instanceId: string;
  workspaceId: string;
  ownerId: string;
  creationTime: string;
  startedTime: string | null;
  stoppingTime: string | null;
  stoppedTime: string;
  conditions: InstanceConditions;
  /** The workspace's timeout as ws-manager reported it (Go duration, e.g. `30m0s`). */
  timeout: string | undefined;
}

/** An event of `chan:workspace-lifecycle`. */
export type LifecycleEvent = WorkspaceRunningEvent | WorkspaceStoppedEvent;

/** Kinds of messages other than instance notifications, as the published-updates metric labels them. */
export type MessageKind = 'headless' | 'prebuild' | 'workspace-lifecycle';

const KEY_PREFIX: Readonly<Record<MessageKind, string>> = {
  headless: 'headless:',
  prebuild: 'prebuild:',
  'workspace-lifecycle': 'lifecycle:',
};

/** `{"ownerID":…,"instanceID":…,"workspaceID":…}` for `chan:workspace-instances`. */
export function instanceUpdatePayload(n: InstanceNotification): string {
  return JSON.stringify({ ownerID: n.ownerID, instanceID: n.instanceID, workspaceID: n.workspaceID });
}

/** `{"projectID":…,"prebuildID":…,"status":…,"workspaceID":…[,"organizationID":…]}` for `chan:prebuilds`. */
export function prebuildUpdatePayload(u: PrebuildUpdate): string {
  // JSON.stringify drops keys whose value is undefined, which is how the original omits organizationID.
  return JSON.stringify({
    projectID: u.projectID ?? '',
    prebuildID: u.prebuildID,
    status: u.status,
    workspaceID: u.workspaceID,
    organizationID: u.organizationID ?? undefined,
  });
}

/** `{"type":…,"workspaceID":…}` for `chan:headless`. */
export function headlessEventPayload(e: HeadlessEvent): string {
  return JSON.stringify({ type: e.type, workspaceID: e.workspaceID });
}

/** The stable id consumers deduplicate lifecycle events by (the original's analytics message ids). */
export function lifecycleMessageId(type: LifecycleEvent['type'], instanceId: string): string {
  return type === 'workspace_running' ? `bridge-wsrun-${instanceId}` : `bridge-wsstopped-${instanceId}`;
}

/** The conditions a stopped event carries: the known fields only, so nothing else can slip in. */
function publicConditions(c: InstanceConditions): InstanceConditions {
  return {
    failed: c.failed,
    timeout: c.timeout,
    pullingImages: c.pullingImages,
    deployed: c.deployed,
    neededImageBuild: c.neededImageBuild,
    firstUserActivity: c.firstUserActivity,
    headlessTaskFailed: c.headlessTaskFailed,
    stoppedByRequest: c.stoppedByRequest,
  };
}

/** `{"type":…,"messageId":…,"ownerId":…,"instanceId":…,"workspaceId":…,…times}` for `chan:workspace-lifecycle`. */
export function lifecycleEventPayload(e: LifecycleEvent): string {
  const ids = {
    type: e.type,
    messageId: lifecycleMessageId(e.type, e.instanceId),
    ownerId: e.ownerId,
    instanceId: e.instanceId,
    workspaceId: e.workspaceId,
    creationTime: e.creationTime,
    startedTime: e.startedTime,
  };
  if (e.type === 'workspace_running') return JSON.stringify(ids);
  return JSON.stringify({
    ...ids,
    stoppingTime: e.stoppingTime,
    stoppedTime: e.stoppedTime,
    conditions: publicConditions(e.conditions),
    timeout: e.timeout,
  });
}

/** An instance update as a message. @param channel @default 'chan:workspace-instances' */
export function instanceUpdateMessage(
  n: InstanceNotification,
  channel: string = CHANNELS.workspaceInstances,
): Message {
  return { channel, payload: instanceUpdatePayload(n) };
}

/** The headless event of an instance's prebuild workspace. @param channel @default 'chan:headless' */
export function headlessMessage(
  instanceId: string,
  e: HeadlessEvent,
  channel: string = CHANNELS.headless,
): OutboxMessage {
  return { key: KEY_PREFIX.headless + instanceId, channel, payload: headlessEventPayload(e) };
}

/** The prebuild update caused by an instance. @param channel @default 'chan:prebuilds' */
export function prebuildMessage(
  instanceId: string,
  u: PrebuildUpdate,
  channel: string = CHANNELS.prebuilds,
): OutboxMessage {
  return { key: KEY_PREFIX.prebuild + instanceId, channel, payload: prebuildUpdatePayload(u) };
}

/** A lifecycle event, keyed by its message id. @param channel @default 'chan:workspace-lifecycle' */
export function lifecycleMessage(
  e: LifecycleEvent,
  channel: string = CHANNELS.workspaceLifecycle,
): OutboxMessage {
  const key = KEY_PREFIX['workspace-lifecycle'] + lifecycleMessageId(e.type, e.instanceId);
  return { key, channel, payload: lifecycleEventPayload(e) };
}

/** The kind of a message, read from its key (also for messages read back from the outbox). */
export function messageKind(key: string): MessageKind {
  if (key.startsWith(KEY_PREFIX.headless)) return 'headless';
  if (key.startsWith(KEY_PREFIX.prebuild)) return 'prebuild';
  return 'workspace-lifecycle';
}
