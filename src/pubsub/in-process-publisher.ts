/** Publisher for runs without Redis: subscribers in this process only, nothing survives a restart. */
import type { Logger } from '../observability/logger.js';
import { errorMessage } from '../lifecycle/abort.js';
import { HandlerRegistry, type Subscription } from './handler-registry.js';
import type { Message, MessageHandler, Publisher } from './ports.js';

/** Options of {@link InProcessPublisher}. */
export interface InProcessPublisherOptions {
  /** Receives one warning per throwing handler call. @default no logging */
  logger?: Logger;
}

/**
 * Delivers published messages to subscribers of this process, asynchronously and in publish order.
 * Like Redis, a message reaches the handlers subscribed when it was published and still subscribed
 * when it is delivered.
 */
export class InProcessPublisher implements Publisher {
  readonly durable = false;
  readonly #registry = new HandlerRegistry();
  readonly #logger: Logger | undefined;
  #closed = false;

  constructor(options: InProcessPublisherOptions = {}) {
    this.#logger = options.logger;
  }

  /** Accepts the messages at once; handlers run in a later microtask, in order. */
  publish(messages: readonly Message[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('in-process publisher is closed'));
    if (messages.length === 0) return Promise.resolve();
    const batch = messages.map((m) => ({
      message: { channel: m.channel, payload: m.payload },
      targets: this.#registry.snapshot(m.channel),
    }));
    // Microtasks run in the order they were queued, so consecutive publish calls keep their order.
    queueMicrotask(() => {
      for (const { message, targets } of batch) {
        this.#registry.deliver(message, targets, (error) => this.#onHandlerError(message.channel, error));
      }
    });
    return Promise.resolve();
  }

  /** Subscribes at once. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.#closed) return Promise.reject(new Error('in-process publisher is closed'));
    const { subscription } = this.#registry.add(channel, handler);
    return Promise.resolve(() => this.#unsubscribe(subscription));
  }

  /** True until closed. */
  healthy(): boolean {
    return !this.#closed;
  }

  /** Ready at once: there is nothing to connect to. */
  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  /** Only a closed publisher is down. */
  downReason(): string | undefined {
    return this.#closed ? 'closed' : undefined;
  }

  /** Drops every subscription. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#registry.clear();
    return Promise.resolve();
  }

  #unsubscribe(subscription: Subscription): Promise<void> {
    this.#registry.remove(subscription);
    return Promise.resolve();
  }

  #onHandlerError(channel: string, error: unknown): void {
    this.#logger?.warn({ channel, err: errorMessage(error) }, 'pubsub: a subscriber threw; delivery went on');
  }
}
