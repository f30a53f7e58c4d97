/**
 * `LISTEN ws_manager_bridge_clusters` on a connection of its own (a pooled one would be handed to
 * other queries and lose the LISTEN), so that every replica hears of cluster changes within a second.
 * The trigger of migration 0003 sends the cluster's name. A dropped connection is re-opened with
 * backoff; what changed meanwhile is not replayed (the reconcilers' periodic reads cover it).
 */
import pg from 'pg';
import { errorMessage, isAbortError } from '../../lifecycle/abort.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from '../../lifecycle/backoff.js';
import { sleep } from '../../lifecycle/sleep.js';
import type { Logger } from '../../observability/logger.js';
import { OutageLog } from '../../observability/outage-log.js';

/** The channel of migration 0003's trigger (spelled out there too, since a migration never changes). */
export const CLUSTER_CHANNEL = 'ws_manager_bridge_clusters';

/** Settings of a `ClusterChangeListener`. */
export interface ClusterChangeListenerOptions {
  /** How to connect (the pool's settings). */
  client: pg.ClientConfig;
  logger: Logger;
  /** Called with the cluster name of every notification; a throw is logged and ignored. */
  listener: (name: string) => void;
  /** Reconnect delays. @default DEFAULT_BACKOFF */
  backoff?: BackoffOptions;
}

/** One LISTEN connection, kept open until `stop()`. */
export class ClusterChangeListener {
  readonly #options: ClusterChangeListenerOptions;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  readonly #outage: OutageLog;
  #client: pg.Client | undefined;
  #started: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ClusterChangeListenerOptions) {
    this.#options = options;
    this.#backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.#outage = new OutageLog(options.logger, 'postgres cluster-change listener');
  }

  /**
   * Starts the connection loop. Resolves when the first connection listens or its attempt failed
   * (the loop goes on retrying). Idempotent; never rejects.
   */
  start(): Promise<void> {
    this.#started ??= new Promise<void>((firstAttempt) => {
      this.#loop = this.#run(firstAttempt);
    });
    return this.#started;
  }

  /** Ends the connection and the reconnecting. Idempotent; never rejects. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      await this.#client?.end().catch(() => undefined);
      await this.#loop;
    })();
    return this.#stopping;
  }

  async #run(firstAttempt: () => void): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        const { closed } = await this.#listen();
        this.#outage.recovered();
        this.#backoff.reset();
        firstAttempt();
        const cause = await closed;
        if (!signal.aborted) this.#outage.failed(cause);
      } catch (error: unknown) {
        if (!signal.aborted) this.#outage.failed(error);
      } finally {
        await this.#client?.end().catch(() => undefined);
        this.#client = undefined;
      }
      firstAttempt();
      try {
        await sleep(this.#backoff.next(), signal);
      } catch (error: unknown) {
        if (!isAbortError(error)) throw error;
      }
    }
    firstAttempt(); // stopped before the first attempt
  }

  /** Connects and listens; `closed` resolves with the reason once the connection is gone. */
  async #listen(): Promise<{ closed: Promise<Error> }> {
    // keepAlive: an idle LISTEN connection would otherwise not notice a peer that vanished.
    const client = new pg.Client({ ...this.#options.client, keepAlive: true });
    this.#client = client;
    let ended: (cause: Error) => void = () => undefined;
    const closed = new Promise<Error>((resolve) => (ended = resolve));
    // Registered before connecting: an 'error' event without a listener would end the process.
    client.on('error', (error: Error) => ended(error));
    client.on('end', () => ended(new Error('connection ended')));
    client.on('notification', (message) => this.#deliver(message));
    await client.connect();
    await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    return { closed };
  }

  #deliver(message: pg.Notification): void {
    if (message.channel !== CLUSTER_CHANNEL || message.payload === undefined) return;
    try {
      this.#options.listener(message.payload);
    } catch (error: unknown) {
      this.#options.logger.warn(
        { cluster: message.payload, err: errorMessage(error) },
        'cluster-change listener failed',
      );
    }
  }
}
