/**
 * Keeps one cluster's status stream flowing. On every (re)connect it opens Subscribe first and buffers
 * what arrives, then takes the GetWorkspaces snapshot, hands the snapshot to the sink and then the
 * buffered statuses, then streams. Versions make the overlap safe; nothing that changes between the
 * snapshot and the subscription is lost. Failures reconnect with capped exponential backoff and full
 * jitter; a stream that stayed healthy for a while resets the backoff. While the sink asks it to wait
 * (its backlog is full), the stream is paused and the ws-manager is held back by HTTP/2 flow control.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { SubscribeResponse, WorkspaceStatus } from '../generated/wsman/core.js';
import { errorMessage, isAbortError } from '../lifecycle/abort.js';
import { Backoff, type BackoffOptions } from '../lifecycle/backoff.js';
import type { Service } from '../lifecycle/service.js';
import { pause } from '../lifecycle/sleep.js';
import type { Logger } from '../observability/logger.js';
import { OutageLog } from '../observability/outage-log.js';
import { redactUrl } from '../observability/redact.js';
import { disabledTracing, TurnSpan, type Tracing } from '../observability/tracing.js';
import { tlsServerNameHint } from './credentials.js';
import { WsmanClient, type WsmanTarget } from './wsman-client.js';

/** Where statuses go. Both methods are synchronous and must not throw. */
export interface StatusSink {
  /** The GetWorkspaces snapshot taken after a (re)connect, before any buffered stream status. */
  snapshot(cluster: string, statuses: readonly WorkspaceStatus[]): void;
  /** One status from the stream. */
  status(cluster: string, status: WorkspaceStatus): void;
  /**
   * Flow control, asked after each stream status: undefined to go on, or a promise to wait for
   * before the stream delivers more. Must not reject. Optional: without it streams never wait.
   */
  backpressure?(): Promise<void> | undefined;
}

export const SUBSCRIBER_STATES = [
  'idle',
  'connecting',
  'resyncing',
  'streaming',
  'backoff',
  'stopping',
  'stopped',
] as const;
/** Lifecycle of a cluster subscriber. */
export type SubscriberState = (typeof SUBSCRIBER_STATES)[number];

export interface ClusterSubscriberOptions {
  cluster: string;
  target: WsmanTarget;
  sink: StatusSink;
  logger: Logger;
  backoff: BackoffOptions;
  /** A stream healthy for this long resets the backoff. @default 60000 */
  healthyResetMs?: number;
  /** Deadline of the GetWorkspaces call. @default 30000 */
  snapshotDeadlineMs?: number;
  /**
   * How long to wait for Subscribe's response headers before taking the snapshot. Some servers send
   * headers only with the first message, so this is a bound, not a requirement. @default 250
   */
  subscribeSettleMs?: number;
  /** Called on every state change (metrics, readiness). */
  onState?: (state: SubscriberState) => void;
  /** Called before each reconnect attempt after a failure or an ended stream. */
  onReconnect?: (attempt: number, delayMs: number, error: string | undefined) => void;
  /** Spans for resyncs and stream batches, continuing a ws-manager's trace context. */
  tracing?: Tracing;
  /** Called each time the stream resumes after waiting for the sink, with how long it waited. */
  onHeld?: (ms: number) => void;
}

/** One cluster's stream. `start()` and `stop()` are idempotent. */
export class ClusterSubscriber implements Service<SubscriberState> {
  readonly #o: ClusterSubscriberOptions;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  #state: SubscriberState = 'idle';
  #loop: Promise<void> | undefined;
  #client: WsmanClient | undefined;
  readonly #outage: OutageLog;
  readonly #tracing: Tracing;
  readonly #batchSpan: TurnSpan;

  constructor(options: ClusterSubscriberOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
    this.#outage = new OutageLog(options.logger, 'ws-manager stream', {
      failed: 'ws-manager stream lost, reconnecting',
      recovered: 'ws-manager stream re-established',
    });
    this.#tracing = options.tracing ?? disabledTracing();
    this.#batchSpan = new TurnSpan(
      this.#tracing,
      'wsman.stream.batch',
      { 'bridge.cluster': options.cluster },
      'bridge.statuses',
    );
  }

  get state(): SubscriberState {
    return this.#state;
  }

  get cluster(): string {
    return this.#o.cluster;
  }

  /** Starts the connect loop in the background. Throws InvalidTlsError for unusable TLS material. */
  start(): Promise<void> {
    if (this.#loop) return Promise.resolve();
    this.#client = new WsmanClient(this.#o.target);
    this.#loop = this.#run();
    return Promise.resolve();
  }

  /** Cancels the stream and waits for the loop to end. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'idle') {
      this.#setState('stopped');
      return;
    }
    if (this.#state !== 'stopping') this.#setState('stopping');
    this.#abort.abort(new Error('subscriber stopped'));
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const client = this.#client as WsmanClient;
    try {
      while (!signal.aborted) {
        let failure: string | undefined;
        let healthyFor = 0;
        try {
          healthyFor = await this.#connectOnce(client, signal);
        } catch (error: unknown) {
          if (signal.aborted || isAbortError(error)) break;
          failure = errorMessage(error);
        }
        if (signal.aborted) break;
        if (healthyFor >= (this.#o.healthyResetMs ?? 60_000)) this.#backoff.reset();
        const delay = this.#backoff.next();
        this.#reportDown(failure, delay);
        this.#o.onReconnect?.(this.#backoff.attempt, delay, failure);
        this.#setState('backoff');
        await pause(delay, signal);
      }
    } finally {
      client.close();
      this.#setState('stopped');
    }
  }

  /** One connection: subscribe, snapshot, stream until it ends. Returns how long it streamed. */
  async #connectOnce(client: WsmanClient, signal: AbortSignal): Promise<number> {
    this.#setState('connecting');
    const attempt = new AbortController();
    const onAbort = (): void => attempt.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const stream = client.subscribe(attempt.signal);
    try {
      const buffer: SubscribeResponse[] = [];
      let live = false;
      let held = false;
      stream.on('data', (res: SubscribeResponse) => {
        if (!res.status) return;
        if (live) this.#deliver(res.status, res.header);
        else buffer.push(res);
        if (held) return;
        const relief = this.#o.sink.backpressure?.();
        if (relief === undefined) return;
        // Paused, the stream stops reading: HTTP/2 flow control then holds the ws-manager back.
        held = true;
        stream.pause();
        const since = performance.now();
        void relief.then(() => {
          held = false;
          this.#o.onHeld?.(performance.now() - since);
          stream.resume();
        });
      });
      const ended = streamEnd(stream);
      await Promise.race([headersOrTimeout(stream, this.#o.subscribeSettleMs ?? 250), ended]);
      this.#setState('resyncing');
      await this.#tracing.inSpan('wsman.resync', { 'bridge.cluster': this.#o.cluster }, async (span) => {
        const snapshot = await client.getWorkspaces(attempt.signal, this.#o.snapshotDeadlineMs ?? 30_000);
        span?.setAttributes({ 'bridge.statuses': snapshot.length, 'bridge.buffered': buffer.length });
        this.#o.sink.snapshot(this.#o.cluster, snapshot);
      });
      for (const res of buffer) this.#deliver(res.status as WorkspaceStatus, res.header);
      buffer.length = 0;
      live = true;
      this.#setState('streaming');
      this.#reportUp();
      const since = Date.now();
      await ended;
      return Date.now() - since;
    } finally {
      signal.removeEventListener('abort', onAbort);
      attempt.abort();
    }
  }

  /**
   * Hands one stream status to the sink. While tracing, it counts in this turn's batch span, and a
   * status whose header carries a W3C trace context gets its own span in that trace.
   */
  #deliver(status: WorkspaceStatus, header: Readonly<Record<string, string>>): void {
    if (!this.#tracing.enabled) {
      this.#o.sink.status(this.#o.cluster, status);
      return;
    }
    this.#batchSpan.add();
    const parent = this.#tracing.parentFrom(header);
    if (parent === undefined) {
      this.#o.sink.status(this.#o.cluster, status);
      return;
    }
    const span = this.#tracing.tracer.startSpan(
      'wsman.status',
      {
        attributes: {
          'bridge.cluster': this.#o.cluster,
          'bridge.instance_id': status.id,
          'bridge.status_version': String(status.statusVersion),
          'bridge.phase': status.phase,
        },
      },
      parent,
    );
    try {
      this.#o.sink.status(this.#o.cluster, status);
    } finally {
      span.end();
    }
  }

  /** One warning when a stream is lost (with a TLS name hint when it applies), then debug lines. */
  #reportDown(failure: string | undefined, delay: number): void {
    const context = { cluster: this.#o.cluster, url: redactUrl(this.#o.target.url), retryInMs: delay };
    if (this.#outage.down) {
      this.#o.logger.debug({ ...context, attempt: this.#backoff.attempt, err: failure }, 'reconnect failed');
      // Counted in the outage (logs nothing after its first failure).
      this.#outage.failed(failure ?? 'stream ended');
      return;
    }
    const hint = failure && tlsServerNameHint(failure, this.#o.target.tlsServerName ?? 'ws-manager');
    this.#outage.failed(failure ?? 'stream ended', { ...context, ...(hint ? { hint } : {}) });
  }

  #reportUp(): void {
    const context = { cluster: this.#o.cluster, url: redactUrl(this.#o.target.url) };
    if (this.#outage.down) this.#outage.recovered(context);
    else this.#o.logger.info(context, 'ws-manager stream established');
  }

  #setState(state: SubscriberState): void {
    if (this.#state === state) return;
    // Once stopping, only the final transition is allowed: a late loop step must not revive the state.
    if ((this.#state === 'stopping' || this.#state === 'stopped') && state !== 'stopped') return;
    this.#state = state;
    this.#o.onState?.(state);
  }
}

/** Resolves when the server ends the stream, rejects on a stream error (including cancellation). */
function streamEnd(stream: ClientReadableStream<SubscribeResponse>): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.once('end', () => resolve());
  });
}

function headersOrTimeout(stream: ClientReadableStream<SubscribeResponse>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stream.once('metadata', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
