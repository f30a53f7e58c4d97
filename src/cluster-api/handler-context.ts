/** What every ClusterService handler gets: collaborators, policy and the guarded reachability probe. */
import type { StaticCluster } from '../config/config.js';
import type { DescribeClusterResponse } from '../generated/wsman/core.js';
import { abortError, errorMessage } from '../lifecycle/abort.js';
import type { Logger } from '../observability/logger.js';
import { redactUrl } from '../observability/redact.js';
import type { ClusterServiceDeps, DescribeTarget } from './deps.js';
import { FailedPreconditionError } from './errors.js';

/** Longest error text from a failed probe that is passed on to the caller. */
const PROBE_MESSAGE_MAX = 300;

/** Shared by the four handlers; built once per server. */
export interface HandlerContext {
  readonly deps: ClusterServiceDeps;
  readonly logger: Logger;
  readonly allowPlaintextClusters: boolean;
  readonly now: () => Date;
  /** DescribeCluster with the server's deadline; failures become FailedPreconditionError. */
  describe(target: DescribeTarget, signal: AbortSignal): Promise<DescribeClusterResponse>;
  /** Tells the reconciler; a failure is logged, not returned, since the change is already stored. */
  clusterChanged(name: string): Promise<void>;
  /** The static cluster of that name, if the configuration has one. */
  staticCluster(name: string): StaticCluster | undefined;
}

/** Options of createHandlerContext. */
export interface HandlerContextOptions {
  deps: ClusterServiceDeps;
  allowPlaintextClusters: boolean;
  /** Deadline of a reachability probe. */
  describeDeadlineMs: number;
}

/** Throws an AbortError when the call was cancelled or the service is stopping, before a write. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

async function probe(
  options: HandlerContextOptions,
  target: DescribeTarget,
  signal: AbortSignal,
): Promise<DescribeClusterResponse> {
  const deadline = AbortSignal.timeout(options.describeDeadlineMs);
  try {
    return await options.deps.describeCluster(target, AbortSignal.any([signal, deadline]));
  } catch (error: unknown) {
    // Our own cancellation is not the cluster's fault: let the edge report it as such.
    if (signal.aborted) throw abortError(signal);
    const why = deadline.aborted
      ? `no answer to DescribeCluster within ${options.describeDeadlineMs} ms`
      : redactUrl(errorMessage(error)).slice(0, PROBE_MESSAGE_MAX);
    throw new FailedPreconditionError(`cannot reach ${redactUrl(target.url)}: ${why}`);
  }
}

/** Builds the handler context for one server. */
export function createHandlerContext(options: HandlerContextOptions): HandlerContext {
  const { deps } = options;
  return {
    deps,
    logger: deps.logger,
    allowPlaintextClusters: options.allowPlaintextClusters,
    now: deps.now ?? (() => new Date()),
    describe: (target, signal) => probe(options, target, signal),
    clusterChanged: async (name) => {
      try {
        await deps.onClusterChanged(name);
      } catch (error: unknown) {
        deps.logger.warn(
          { cluster: name, error: errorMessage(error) },
          'cluster change stored, but applying it to live connections failed; the periodic reconcile retries',
        );
      }
    },
    staticCluster: (name) => deps.staticClusters().find((c) => c.name === name),
  };
}
