/**
 * Payloads of the three channels, byte-compatible with the original bridge: `JSON.stringify` of an
 * object whose keys are written in the order consumers have always seen them.
 */
import type { InstanceNotification } from '../store/ports.js';
import type { PrebuildState } from '../store/types.js';
import { CHANNELS } from './channels.js';
import type { Message } from './ports.js';

/** `chan:prebuilds` content. */
export interface PrebuildUpdate {
  /** The prebuild's project; null or undefined is published as "". */
  projectID: string | null | undefined;
  prebuildID: string;
  status: PrebuildState;
  workspaceID: string;
  /** The project's organization; the key is left out when undefined. */
  organizationID?: string | undefined;
}

/** Headless workspace event types (`type` of `chan:headless`), as the platform names them. */
export const HEADLESS_EVENT_TYPES = [
  'log-output',
  'finish-success',
  'finish-fail',
  'aborted-timeout',
  'aborted',
  'failed',
  'started',
] as const;

/** One of {@link HEADLESS_EVENT_TYPES}. */
export type HeadlessEventType = (typeof HEADLESS_EVENT_TYPES)[number];

/** `chan:headless` content. */
export interface HeadlessEvent {
  type: HeadlessEventType;
  workspaceID: string;
}

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
    organizationID: u.organizationID,
  });
}

/** `{"type":…,"workspaceID":…}` for `chan:headless`. */
export function headlessEventPayload(e: HeadlessEvent): string {
  return JSON.stringify({ type: e.type, workspaceID: e.workspaceID });
}

/** An instance update as a message. @param channel @default 'chan:workspace-instances' */
export function instanceUpdateMessage(
  n: InstanceNotification,
  channel: string = CHANNELS.workspaceInstances,
): Message {
  return { channel, payload: instanceUpdatePayload(n) };
}

/** A prebuild update as a message. @param channel @default 'chan:prebuilds' */
export function prebuildUpdateMessage(u: PrebuildUpdate, channel: string = CHANNELS.prebuilds): Message {
  return { channel, payload: prebuildUpdatePayload(u) };
}

/** A headless event as a message. @param channel @default 'chan:headless' */
export function headlessEventMessage(e: HeadlessEvent, channel: string = CHANNELS.headless): Message {
  return { channel, payload: headlessEventPayload(e) };
}
