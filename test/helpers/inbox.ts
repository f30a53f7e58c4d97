/** Collects messages delivered to a subscriber and lets a test wait for them without sleeping. */
import type { Message } from '../../src/pubsub/ports.js';

export class Inbox {
  readonly messages: Message[] = [];
  readonly #waiters: { done: () => boolean; resolve: () => void }[] = [];

  /** The handler to subscribe with. */
  readonly handler = (message: Message): void => {
    this.messages.push(message);
    for (const waiter of this.#waiters.filter((w) => w.done())) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  get payloads(): string[] {
    return this.messages.map((m) => m.payload);
  }

  /** Resolves once at least `count` messages have arrived. */
  waitForCount(count: number): Promise<Message[]> {
    return this.#until(() => this.messages.length >= count).then(() => this.messages);
  }

  /** Resolves once a message with this payload has arrived. */
  waitForPayload(payload: string): Promise<Message[]> {
    return this.#until(() => this.messages.some((m) => m.payload === payload)).then(() => this.messages);
  }

  #until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ done, resolve }));
  }
}
