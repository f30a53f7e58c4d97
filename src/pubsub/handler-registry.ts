/** Subscriptions per channel, shared by both publishers so that delivery rules are the same. */
import type { Message, MessageHandler } from './ports.js';

/** One `subscribe()` call: the same handler subscribed twice is two subscriptions. */
export interface Subscription {
  readonly channel: string;
  readonly handler: MessageHandler;
}

/** Tracks handlers per channel and delivers messages to them, isolating handler failures. */
export class HandlerRegistry {
  readonly #byChannel = new Map<string, Set<Subscription>>();

  /** Registers a handler; `first` is true when the channel had no subscription before. */
  add(channel: string, handler: MessageHandler): { subscription: Subscription; first: boolean } {
    let set = this.#byChannel.get(channel);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#byChannel.set(channel, set);
    }
    const subscription: Subscription = { channel, handler };
    set.add(subscription);
    return { subscription, first };
  }

  /** Removes a subscription; returns true when it was the channel's last one. Idempotent. */
  remove(subscription: Subscription): boolean {
    const set = this.#byChannel.get(subscription.channel);
    if (set === undefined || !set.delete(subscription)) return false;
    if (set.size > 0) return false;
    this.#byChannel.delete(subscription.channel);
    return true;
  }

  /** True while the subscription has not been removed. */
  isActive(subscription: Subscription): boolean {
    return this.#byChannel.get(subscription.channel)?.has(subscription) ?? false;
  }

  /** The channel's current subscriptions (a copy, so delivery may change the registry). */
  snapshot(channel: string): Subscription[] {
    const set = this.#byChannel.get(channel);
    return set === undefined ? [] : [...set];
  }

  /**
   * Calls each still-active subscription in `targets` with the message. A throwing handler is
   * reported through `onError` and does not keep the message from the others.
   */
  deliver(message: Message, targets: readonly Subscription[], onError: (error: unknown) => void): void {
    for (const subscription of targets) {
      if (!this.isActive(subscription)) continue;
      try {
        subscription.handler(message);
      } catch (error: unknown) {
        onError(error);
      }
    }
  }

  /** Removes every subscription. */
  clear(): void {
    this.#byChannel.clear();
  }
}
