/**
 * Publisher over Redis pub/sub (ioredis): PUBLISH on one connection, SUBSCRIBE on another. A batch of
 * messages goes to Redis as one script call that publishes each in order (subscribers see plain
 * PUBLISH messages); where the server does not let this user run scripts, as pipelined PUBLISH calls.
 */
import { CodedError } from '../lifecycle/coded-error.js';
import { Redis, type RedisOptions, type Result } from 'ioredis';
import { abortError, errorMessage } from '../lifecycle/abort.js';
import { backoffDelay, type BackoffOptions } from '../lifecycle/backoff.js';
import type { Logger } from '../observability/logger.js';
import { redactUrl } from '../observability/redact.js';
import { HandlerRegistry, type Subscription } from './handler-registry.js';
import { OutageLog } from '../observability/outage-log.js';
import type { Message, MessageHandler, Publisher } from './ports.js';
import { parseRedisUrl, scrubSecret, type RedisTarget } from './redis-url.js';

/** Options of {@link RedisPublisher}. */
export interface RedisPublisherOptions {
  /** `redis://` or `rediss://` URL, optionally with user name and password. */
  url: string;
  logger: Logger;
  /** Delays between reconnect attempts; attempts never stop. @default DEFAULT_RECONNECT */
  reconnect?: BackoffOptions;
  /** How long a command may wait for its reply before it fails. @default 5000 */
  commandTimeoutMs?: number;
  /** How long opening a connection may take. @default 5000 */
  connectTimeoutMs?: number;
}

/** Reconnect delays: 100 ms growing to 5 s, with jitter. */
export const DEFAULT_RECONNECT: BackoffOptions = { initialMs: 100, maxMs: 5_000, factor: 2 };

/** A floor under the jittered reconnect delay, so that a down server is not hammered. */
const MIN_RECONNECT_MS = 20;

/**
 * Publishes ARGV's (channel, payload) pairs in order. Each PUBLISH is tried on its own (pcall), as
 * pipelined calls are: the reply is the number refused and the first refusal's message.
 */
const PUBLISH_SCRIPT = `local refused, first = 0, ''
for i = 1, #ARGV, 2 do
  local reply = redis.pcall('PUBLISH', ARGV[i], ARGV[i + 1])
  if type(reply) == 'table' and reply.err then
    if refused == 0 then first = reply.err end
    refused = refused + 1
  end
end
return {refused, first}`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** {@link PUBLISH_SCRIPT}, defined on the publish connection. */
    wsbPublishBatch(...channelsAndPayloads: string[]): Result<[number, string], Context>;
  }
}

/**
 * Replies that say the server will not run the script for this user (an ACL without `@scripting`,
 * a renamed EVALSHA): the publisher goes on with pipelined PUBLISH calls.
 */
function scriptsRefused(message: string): boolean {
  return /^NOPERM|unknown command/i.test(message);
}

/** Thrown by {@link RedisPublisher.publish} when Redis did not accept every message. */
export class RedisPublishError extends CodedError<'REDIS_PUBLISH_FAILED'> {
  /** Number of messages of the call that were not accepted. */
  readonly failed: number;
  constructor(failed: number, total: number, reason: string) {
    super('REDIS_PUBLISH_FAILED', `redis publish failed for ${failed} of ${total} messages: ${reason}`);
    this.failed = failed;
  }
}

/**
 * The durable publisher. While Redis is unreachable, calls fail fast (no offline queue) and the
 * connection keeps reconnecting with capped backoff; the caller retries and coalesces.
 */
export class RedisPublisher implements Publisher {
  readonly durable = true;
  readonly #target: RedisTarget;
  readonly #logger: Logger;
  readonly #options: RedisOptions;
  readonly #pub: Redis;
  #sub: Redis | undefined;
  readonly #registry = new HandlerRegistry();
  /** SUBSCRIBE in flight or done, per channel, so later subscribers wait for the same reply. */
  readonly #subscribed = new Map<string, Promise<unknown>>();
  #closing: Promise<void> | undefined;
  /** The last connection error of the publishing connection (scrubbed), for readiness. */
  #lastError: string | undefined;
  /** False once the server refused the publish script: pipelined PUBLISH from then on. */
  #scripted = true;

  /** Starts connecting at once. Throws `InvalidRedisUrlError` for an unusable URL. */
  constructor(options: RedisPublisherOptions) {
    this.#target = parseRedisUrl(options.url);
    this.#logger = options.logger.child({ redis: redactUrl(options.url) });
    this.#options = clientOptions(this.#target, options);
    this.#pub = this.#connect('publish', false);
    this.#pub.defineCommand('wsbPublishBatch', { numberOfKeys: 0, lua: PUBLISH_SCRIPT });
  }

  /**
   * Publishes the messages in order: one script call, or one pipeline where the server refuses the
   * script. Rejects with `RedisPublishError` if Redis refused any of them.
   */
  async publish(messages: readonly Message[]): Promise<void> {
    if (this.#closing) throw new Error('redis publisher is closed');
    if (messages.length === 0) return;
    if (this.#scripted) {
      const refusedScript = await this.#publishScripted(messages);
      if (!refusedScript) return;
    }
    await this.#publishPipelined(messages);
  }

  /** One script call; resolves true when the server refused the script itself (nothing was published). */
  async #publishScripted(messages: readonly Message[]): Promise<boolean> {
    const args: string[] = [];
    for (const m of messages) args.push(m.channel, m.payload);
    let reply: [number, string];
    try {
      reply = await this.#pub.wsbPublishBatch(...args);
    } catch (error: unknown) {
      const reason = this.#scrub(error);
      if (!scriptsRefused(reason)) throw new RedisPublishError(messages.length, messages.length, reason);
      this.#scripted = false;
      this.#logger.warn(
        { err: reason },
        'redis refused the publish script; publishing one PUBLISH per message (slower) from now on',
      );
      return true;
    }
    const [refused, first] = reply;
    if (refused > 0) throw new RedisPublishError(refused, messages.length, this.#scrub(first));
    return false;
  }

  async #publishPipelined(messages: readonly Message[]): Promise<void> {
    const pipeline = this.#pub.pipeline();
    for (const m of messages) pipeline.publish(m.channel, m.payload);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (error: unknown) {
      throw new RedisPublishError(messages.length, messages.length, this.#scrub(error));
    }
    if (results === null) throw new RedisPublishError(messages.length, messages.length, 'no reply');
    const errors = results.flatMap(([error]) => (error === null ? [] : [error]));
    if (errors.length > 0) {
      throw new RedisPublishError(errors.length, messages.length, this.#scrub(errors[0]));
    }
  }

  /** Subscribes on the subscriber connection (opened on first use); resolves once Redis confirmed. */
  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.#closing) throw new Error('redis publisher is closed');
    const { subscription, first } = this.#registry.add(channel, handler);
    if (first) this.#subscribed.set(channel, this.#subscriber().subscribe(channel));
    try {
      await this.#subscribed.get(channel);
    } catch (error: unknown) {
      if (this.#registry.remove(subscription)) this.#subscribed.delete(channel);
      throw new Error(`redis subscribe to "${channel}" failed: ${this.#scrub(error)}`);
    }
    let unsubscribing: Promise<void> | undefined;
    return () => (unsubscribing ??= this.#unsubscribe(subscription));
  }

  /** True while the publishing connection is ready. */
  healthy(): boolean {
    return this.#closing === undefined && this.#pub.status === 'ready';
  }

  /** Why publishing cannot work now: the connection's state and its last error, without secrets. */
  downReason(): string | undefined {
    if (this.#closing) return 'closed';
    if (this.#pub.status === 'ready') return undefined;
    const last = this.#lastError === undefined ? '' : `: ${this.#lastError}`;
    return `redis connection ${this.#pub.status}${last}`;
  }

  /**
   * Resolves once the publishing connection is ready (at once if it is); rejects if it is closed
   * first, or with an AbortError when `signal` fires.
   */
  whenReady(signal?: AbortSignal): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('redis publisher is closed'));
    if (this.#pub.status === 'ready') return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.#pub.off('ready', onReady);
        this.#pub.off('end', onEnd);
        signal?.removeEventListener('abort', onAbort);
      };
      const onReady = (): void => {
        done();
        resolve();
      };
      const onEnd = (): void => {
        done();
        reject(new Error('redis publisher closed before it was ready'));
      };
      const onAbort = (): void => {
        done();
        reject(abortError(signal as AbortSignal));
      };
      this.#pub.once('ready', onReady);
      this.#pub.once('end', onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Closes both connections (gracefully when connected). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#registry.clear();
    this.#subscribed.clear();
    const clients = this.#sub === undefined ? [this.#pub] : [this.#pub, this.#sub];
    await Promise.all(clients.map(endClient));
  }

  async #unsubscribe(subscription: Subscription): Promise<void> {
    if (!this.#registry.remove(subscription)) return;
    this.#subscribed.delete(subscription.channel);
    if (this.#closing || this.#sub === undefined) return;
    try {
      await this.#sub.unsubscribe(subscription.channel);
    } catch (error: unknown) {
      // Locally nothing is delivered any more; at worst Redis keeps sending to a channel nobody reads.
      this.#logger.debug(
        { channel: subscription.channel, err: this.#scrub(error) },
        'redis unsubscribe failed',
      );
    }
  }

  #subscriber(): Redis {
    if (this.#sub === undefined) {
      // Subscribe calls are few and bounded, so this connection may queue them until it is up.
      const sub = this.#connect('subscribe', true);
      sub.on('message', (channel: string, payload: string) => this.#dispatch(channel, payload));
      this.#sub = sub;
    }
    return this.#sub;
  }

  #dispatch(channel: string, payload: string): void {
    this.#registry.deliver({ channel, payload }, this.#registry.snapshot(channel), (error) =>
      this.#logger.warn(
        { channel, err: errorMessage(error) },
        'pubsub: a subscriber threw; delivery went on',
      ),
    );
  }

  #connect(role: 'publish' | 'subscribe', offlineQueue: boolean): Redis {
    const client = new Redis({
      ...this.#options,
      enableOfflineQueue: offlineQueue,
      connectionName: `ws-manager-bridge-${role}`,
    });
    const outage = new OutageLog(this.#logger, `redis ${role} connection`);
    // Without an 'error' listener ioredis prints every failed reconnect; this logs once per outage.
    client.on('error', (error: unknown) => {
      const message = this.#scrub(error);
      if (role === 'publish') this.#lastError = message;
      outage.failed(new Error(message));
    });
    client.on('ready', () => {
      if (role === 'publish') this.#lastError = undefined;
      if (outage.down) outage.recovered();
      else this.#logger.info(`redis ${role} connection ready`);
    });
    return client;
  }

  /** The error's message without the URL's password, in case the client library ever echoes it. */
  #scrub(error: unknown): string {
    return scrubSecret(errorMessage(error), this.#target.password);
  }
}

function clientOptions(target: RedisTarget, options: RedisPublisherOptions): RedisOptions {
  const reconnect = options.reconnect ?? DEFAULT_RECONNECT;
  return {
    host: target.host,
    port: target.port,
    username: target.username,
    password: target.password,
    db: target.db,
    tls: target.tls ? { servername: target.servername } : undefined,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    keepAlive: 10_000,
    // A command caught by a dropped connection is retried once after reconnecting, then fails.
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.max(MIN_RECONNECT_MS, backoffDelay(times - 1, reconnect)),
  };
}

async function endClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Falls through to a hard disconnect.
    }
  }
  client.disconnect();
}
