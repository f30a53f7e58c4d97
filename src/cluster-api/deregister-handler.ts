/**
 * Deregister: refuse while regular instances run unless forced; forced stops them first. A name that
 * is not registered succeeds, as in the original, so that automation can retry a deregistration.
 */
import type {
  DeregisterRequest,
  DeregisterResponse,
} from '../generated/workspacemanagerbridge/cluster-service.js';
import { INSTANCE_PHASES } from '../store/types.js';
import { requireName, unknownOrStatic } from './cluster-lookup.js';
import { FailedPreconditionError } from './errors.js';
import { throwIfAborted, type HandlerContext } from './handler-context.js';

/** Phases in which an instance keeps a cluster from being deregistered without force. */
const BLOCKING_PHASES = INSTANCE_PHASES.filter((p) => p !== 'stopping' && p !== 'stopped');

/** At most this many instance ids are named in the refusal message. */
const LISTED_IDS_MAX = 20;

async function refuseIfNotEmpty(ctx: HandlerContext, name: string): Promise<void> {
  const { total, ids } = await ctx.deps.store.listRegularInstanceIds({
    clusterName: name,
    phases: BLOCKING_PHASES,
    limit: LISTED_IDS_MAX,
  });
  if (total === 0) return;
  const more = total > ids.length ? `,…(${total - ids.length} more)` : '';
  throw new FailedPreconditionError(
    `cluster is not empty (${total} instances remaining)[${ids.join(',')}${more}]; ` +
      'wait for them to stop or deregister with force',
  );
}

/**
 * Handles Deregister. Unknown names succeed and change nothing; static clusters are refused with
 * FAILED_PRECONDITION (they cannot be removed through the API, and success would hide that they stay).
 */
export async function deregisterCluster(
  ctx: HandlerContext,
  request: DeregisterRequest,
  signal: AbortSignal,
): Promise<DeregisterResponse> {
  const name = requireName(request.name);
  const row = await ctx.deps.store.getCluster(name);
  if (!row && ctx.staticCluster(name)) throw unknownOrStatic(ctx, name, 'deregistered');
  if (!row) {
    ctx.logger.info({ cluster: name }, 'cluster deregistration: no cluster of that name, nothing to do');
    return {};
  }
  // False when a concurrent deregistration (here or on another replica) deleted the row first.
  const remove = async (): Promise<boolean> => {
    throwIfAborted(signal);
    return ctx.deps.store.deleteCluster(name);
  };
  let removed: boolean;
  if (request.force) {
    // Under the cluster's lease, with its stream stopped: no status can revive what is stopped, and
    // the row is gone before any replica could stream the cluster again.
    removed = await ctx.deps.exclusively(name, signal, async () => {
      const reason = `workspace cluster "${name}" was deregistered with force`;
      const stopped = await ctx.deps.stopClusterInstances(name, reason, signal);
      ctx.logger.warn(
        { cluster: name, stoppedInstances: stopped },
        'forced cluster deregistration: instances marked stopped',
      );
      return remove();
    });
  } else {
    await refuseIfNotEmpty(ctx, name);
    removed = await remove();
  }
  ctx.logger.info({ cluster: name, removed }, 'cluster deregistered');
  await ctx.clusterChanged(name);
  return {};
}
