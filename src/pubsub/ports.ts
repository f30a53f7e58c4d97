/**
 * The publisher port. Adapters: Redis (`redis-publisher.ts`) and in-process (`in-process-publisher.ts`).
 * One contract suite (test/contract/publisher.test.ts) runs against both.
 */

export interface Message {
  channel: string;
  /** The exact payload text (JSON), published verbatim. */
  payload: string;
}

export type MessageHandler = (message: Message) => void;

export interface Publisher {
  /** True when messages survive this process (Redis): the sync engine then keeps an outbox. */
  readonly durable: boolean;
  /**
   * Publishes messages in order. Resolves once the backend accepted all of them; rejects (without
   * partial retry) if any failed. Callers retry and coalesce; adapters do not. Calls made one after
   * the other, without waiting for the earlier ones to settle, are published in the order made.
   */
  publish(messages: readonly Message[]): Promise<void>;
  /** Subscribes to a channel. Resolves once the subscription is active; the result unsubscribes. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /** True while the backend is reachable (for readiness). */
  healthy(): boolean;
  /**
   * Resolves once the backend is reachable (at once when it already is, or when it needs no
   * connection); rejects with an AbortError when `signal` fires first.
   */
  whenReady(signal?: AbortSignal): Promise<void>;
  /** Why the backend is not reachable, for readiness (undefined while it is). Never holds secrets. */
  downReason(): string | undefined;
  close(): Promise<void>;
}
