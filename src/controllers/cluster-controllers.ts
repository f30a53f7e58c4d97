/**
 * The instance controllers of the clusters being streamed: one per cluster, created by the cluster
 * supervisor as a worker beside the cluster's stream (so it starts, stops and moves with it), each
 * with its own ws-manager connection for GetWorkspaces.
 */
import type { ClusterSpec, ClusterWorker } from '../clusters/cluster-supervisor.js';
import { WsmanClient } from '../wsman/wsman-client.js';
import { InstanceController, type InstanceControllerOptions } from './instance-controller.js';

/** Everything a cluster's controller needs but the cluster itself. */
export type ClusterControllerOptions = Omit<InstanceControllerOptions, 'cluster' | 'listWorkspaces'> & {
  /** Name ws-manager's certificate must be valid for. */
  tlsServerName: string;
  /** Deadline of each GetWorkspaces call. */
  deadlineMs: number;
};

/** Creates and tracks the per-cluster controllers. */
export class ClusterControllers {
  readonly #o: ClusterControllerOptions;
  readonly #running = new Map<string, InstanceController>();

  constructor(options: ClusterControllerOptions) {
    this.#o = options;
  }

  /** The controller of a cluster while its stream runs. */
  get(cluster: string): InstanceController | undefined {
    return this.#running.get(cluster);
  }

  /** The supervisor's worker for a cluster. Throws InvalidTlsError for unusable TLS material. */
  worker(spec: ClusterSpec): ClusterWorker {
    const client = new WsmanClient({ url: spec.url, tls: spec.tls, tlsServerName: this.#o.tlsServerName });
    const controller = new InstanceController({
      ...this.#o,
      cluster: spec.name,
      listWorkspaces: async (signal) => {
        const statuses = await client.getWorkspaces(signal, this.#o.deadlineMs);
        return new Set(statuses.map((s) => s.id));
      },
    });
    return {
      start: () => {
        this.#running.set(spec.name, controller);
        return controller.start();
      },
      stop: async () => {
        await controller.stop();
        client.close();
        if (this.#running.get(spec.name) === controller) this.#running.delete(spec.name);
      },
    };
  }
}
