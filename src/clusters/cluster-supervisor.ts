/**
 * Owns one ClusterSubscriber per cluster, and the workers that run beside it (the instance
 * controller), and makes the running set follow a desired list: new clusters get a stream and their
 * workers, removed ones are stopped with all their timers, and a changed URL or TLS material restarts
 * that cluster's stream and workers with the new settings. Calls to `sync` are serialised.
 */
import { errorMessage } from '../lifecycle/abort.js';
import { KeyedSerialQueue } from '../lifecycle/keyed-queue.js';
import type { BackoffOptions } from '../lifecycle/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redactUrl } from '../observability/redact.js';
import type { Tracing } from '../observability/tracing.js';
import type { ClusterState, ClusterTls } from '../store/types.js';
import {
  ClusterSubscriber,
  SUBSCRIBER_STATES,
  type StatusSink,
  type SubscriberState,
} from '../wsman/cluster-subscriber.js';

/** What the supervisor needs to know of a cluster. */
export interface ClusterSpec {
  name: string;
  url: string;
  tls: ClusterTls | null;
  state: ClusterState;
  score: number;
  /** From config rather than the database. */
  static: boolean;
}

/** Something that runs beside a cluster's stream: started after it, stopped with it. */
export interface ClusterWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterSupervisorOptions {
  sink: StatusSink;
  /** Workers for a cluster whose stream starts (none for a refused cluster). @default none */
  workers?: (spec: ClusterSpec) => ClusterWorker[];
  logger: Logger;
  metrics: Metrics;
  backoff: BackoffOptions;
  healthyResetMs: number;
  unaryDeadlineMs: number;
  tlsServerName: string;
  /** HTTP/2 keepalive of ws-manager connections. @default the client's (60 s, 10 s) */
  keepalive?: { timeMs: number; timeoutMs: number };
  /** Connect to clusters without TLS. @default false */
  allowPlaintext: boolean;
  /** Handed to every subscriber. @default off */
  tracing?: Tracing;
}

/** State of a cluster as the supervisor reports it: a subscriber state, or why there is none. */
export type ClusterConnectionState = SubscriberState | 'refused';

interface Running {
  spec: ClusterSpec;
  subscriber: ClusterSubscriber | undefined;
  workers: ClusterWorker[];
  refused?: string;
}

function sameConnection(a: ClusterSpec, b: ClusterSpec): boolean {
  return a.url === b.url && a.tls?.ca === b.tls?.ca && a.tls?.crt === b.tls?.crt && a.tls?.key === b.tls?.key;
}

/** Keeps subscribers in line with the desired cluster list. */
export class ClusterSupervisor {
  readonly #o: ClusterSupervisorOptions;
  readonly #running = new Map<string, Running>();
  /** Serialises sync and detach: one key, since they all change the same set of streams. */
  readonly #serial = new KeyedSerialQueue();
  #stopped = false;

  constructor(options: ClusterSupervisorOptions) {
    this.#o = options;
  }

  /** Connection state per cluster name. */
  states(): Map<string, ClusterConnectionState> {
    const out = new Map<string, ClusterConnectionState>();
    for (const [name, r] of this.#running) out.set(name, r.subscriber ? r.subscriber.state : 'refused');
    return out;
  }

  /** Specs of the clusters currently supervised. */
  clusters(): ClusterSpec[] {
    return [...this.#running.values()].map((r) => r.spec);
  }

  /** Makes the running set equal `desired`. Resolves when stopped streams have ended. */
  sync(desired: readonly ClusterSpec[]): Promise<void> {
    return this.#serial.run('clusters', () => this.#sync(desired));
  }

  /**
   * Stops one cluster's stream now, e.g. before its instances are marked stopped on a forced
   * deregistration, so that no late status revives them. A later `sync` that still lists the
   * cluster starts it again.
   */
  detach(name: string): Promise<void> {
    return this.#serial.run('clusters', async () => {
      const running = this.#running.get(name);
      if (!running) return;
      this.#running.delete(name);
      this.#o.logger.info({ cluster: name, reason: 'detached' }, 'stopping cluster stream');
      await this.#stopOne(running);
    });
  }

  /** Stops every stream. Idempotent. */
  stop(): Promise<void> {
    this.#stopped = true;
    return this.sync([]);
  }

  async #sync(desired: readonly ClusterSpec[]): Promise<void> {
    const wanted = new Map((this.#stopped ? [] : desired).map((s) => [s.name, s]));
    const stopping: Promise<void>[] = [];
    for (const [name, running] of this.#running) {
      const next = wanted.get(name);
      if (next && sameConnection(running.spec, next)) {
        running.spec = next;
        continue;
      }
      this.#running.delete(name);
      this.#o.logger.info(
        { cluster: name, reason: next ? 'connection changed' : 'removed' },
        'stopping cluster stream',
      );
      stopping.push(this.#stopOne(running));
    }
    await Promise.all(stopping);
    for (const spec of wanted.values()) {
      if (!this.#running.has(spec.name)) this.#running.set(spec.name, this.#startOne(spec));
    }
    this.#updateGauges(wanted);
  }

  #startOne(spec: ClusterSpec): Running {
    const name = spec.name;
    if (!spec.tls && !this.#o.allowPlaintext) {
      const refused =
        'no TLS configured and plain-text clusters are not allowed (--allow-plaintext-clusters)';
      this.#o.logger.error({ cluster: name, url: redactUrl(spec.url) }, `not connecting: ${refused}`);
      return { spec, subscriber: undefined, workers: [], refused };
    }
    try {
      const subscriber = new ClusterSubscriber({
        cluster: name,
        target: {
          url: spec.url,
          tls: spec.tls,
          tlsServerName: this.#o.tlsServerName,
          keepalive: this.#o.keepalive,
        },
        sink: this.#o.sink,
        logger: this.#o.logger,
        backoff: this.#o.backoff,
        tracing: this.#o.tracing,
        healthyResetMs: this.#o.healthyResetMs,
        snapshotDeadlineMs: this.#o.unaryDeadlineMs,
        onState: (state) => this.#stateGauge(name, state),
        onReconnect: () => this.#o.metrics.clusterReconnectsTotal.inc({ workspace_cluster: name }),
        onHeld: (ms) => {
          this.#o.metrics.clusterStreamHoldsTotal.inc({ workspace_cluster: name });
          this.#o.metrics.clusterStreamHeldSeconds.inc({ workspace_cluster: name }, ms / 1000);
        },
      });
      // Throws at once for unusable TLS material; the stream itself runs in the background.
      void subscriber
        .start()
        .catch((error: unknown) =>
          this.#o.logger.error({ cluster: name, error: errorMessage(error) }, 'cluster stream failed'),
        );
      this.#o.logger.info(
        { cluster: name, url: redactUrl(spec.url), transport: spec.tls ? 'mtls' : 'plaintext' },
        'cluster stream started',
      );
      return { spec, subscriber, workers: this.#startWorkers(spec) };
    } catch (error: unknown) {
      const refused = errorMessage(error);
      this.#o.logger.error({ cluster: name, error: refused }, 'cannot connect to cluster');
      return { spec, subscriber: undefined, workers: [], refused };
    }
  }

  /** Starts the cluster's workers; a failing one is logged and left out, the stream goes on. */
  #startWorkers(spec: ClusterSpec): ClusterWorker[] {
    const failed = (error: unknown): void =>
      this.#o.logger.error(
        { cluster: spec.name, error: errorMessage(error) },
        'cluster worker failed to start',
      );
    let workers: ClusterWorker[];
    try {
      workers = this.#o.workers?.(spec) ?? [];
    } catch (error: unknown) {
      failed(error);
      return [];
    }
    for (const worker of workers) void worker.start().catch(failed);
    return workers;
  }

  async #stopOne(running: Running): Promise<void> {
    await Promise.all([running.subscriber?.stop(), ...running.workers.map((w) => w.stop())]);
    for (const state of SUBSCRIBER_STATES) {
      this.#o.metrics.clusterStreamState.remove({ workspace_cluster: running.spec.name, state });
    }
  }

  #stateGauge(name: string, state: SubscriberState): void {
    if (state === 'stopped' && !this.#running.has(name)) return;
    for (const s of SUBSCRIBER_STATES) {
      this.#o.metrics.clusterStreamState.set({ workspace_cluster: name, state: s }, s === state ? 1 : 0);
    }
  }

  #updateGauges(wanted: Map<string, ClusterSpec>): void {
    this.#o.metrics.clusterScore.reset();
    this.#o.metrics.clusterCordoned.reset();
    for (const spec of wanted.values()) {
      this.#o.metrics.clusterScore.set({ workspace_cluster: spec.name }, spec.score);
      this.#o.metrics.clusterCordoned.set(
        { workspace_cluster: spec.name },
        spec.state === 'cordoned' ? 1 : 0,
      );
    }
  }
}
