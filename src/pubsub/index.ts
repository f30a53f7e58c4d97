/** Notifications: the publisher port, its Redis and in-process adapters, payloads and the notifier. */
export { CHANNELS, type Channel } from './channels.js';
export type { Message, MessageHandler, Publisher } from './ports.js';
export { InProcessPublisher, type InProcessPublisherOptions } from './in-process-publisher.js';
export {
  DEFAULT_RECONNECT,
  RedisPublishError,
  RedisPublisher,
  type RedisPublisherOptions,
} from './redis-publisher.js';
export { InvalidRedisUrlError, parseRedisUrl, type RedisTarget } from './redis-url.js';
export { openPublisher } from './open-publisher.js';
export {
  HEADLESS_EVENT_TYPES,
  headlessEventPayload,
  headlessMessage,
  instanceUpdateMessage,
  instanceUpdatePayload,
  lifecycleEventPayload,
  lifecycleMessage,
  lifecycleMessageId,
  messageKind,
  prebuildMessage,
  prebuildUpdatePayload,
  type HeadlessEvent,
  type HeadlessEventType,
  type LifecycleEvent,
  type MessageKind,
  type PrebuildUpdate,
  type WorkspaceRunningEvent,
  type WorkspaceStoppedEvent,
} from './payloads.js';
export {
  NOTIFIER_STATES,
  Notifier,
  type NotificationType,
  type NotifierOptions,
  type NotifierState,
} from './notifier.js';
