/** Deregister: refuse while regular instances run unless forced; forced stops them first. */
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
  const instances = await ctx.deps.store.listInstances({ clusterName: name, phases: BLOCKING_PHASES });
  const ids = instances.filter((i) => i.workspaceType === 'regular').map((i) => i.row.id);
  if (ids.length === 0) return;
  const more = ids.length > LISTED_IDS_MAX ? `,…(${ids.length - LISTED_IDS_MAX} more)` : '';
  throw new FailedPreconditionError(
    `cluster is not empty (${ids.length} instances remaining)[${ids.slice(0, LISTED_IDS_MAX).join(',')}${more}]; ` +
      'wait for them to stop or deregister with force',
  );
}

/** Handles Deregister (reference 8.3, but unknown names get NOT_FOUND and force stops what is left). */
export async function deregisterCluster(
  ctx: HandlerContext,
  request: DeregisterRequest,
  signal: AbortSignal,
): Promise<DeregisterResponse> {
  const name = requireName(request.name);
  const row = await ctx.deps.store.getCluster(name);
  if (!row) throw unknownOrStatic(ctx, name, 'deregistered');
  const remove = async (): Promise<void> => {
    throwIfAborted(signal);
    if (!(await ctx.deps.store.deleteCluster(name))) throw unknownOrStatic(ctx, name, 'deregistered');
  };
  if (request.force) {
    // Under the cluster's lease, with its stream stopped: no status can revive what is stopped, and
    // the row is gone before any replica could stream the cluster again.
    await ctx.deps.exclusively(name, signal, async () => {
      const reason = `workspace cluster "${name}" was deregistered with force`;
      const stopped = await ctx.deps.stopClusterInstances(name, reason, signal);
      ctx.logger.warn(
        { cluster: name, stoppedInstances: stopped },
        'forced cluster deregistration: instances marked stopped',
      );
      await remove();
    });
  } else {
    await refuseIfNotEmpty(ctx, name);
    await remove();
  }
  ctx.logger.info({ cluster: name }, 'cluster deregistered');
  await ctx.clusterChanged(name);
  return {};
}
