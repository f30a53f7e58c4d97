/** Update: change one property of a stored cluster, writing only that column. */
import type { UpdateRequest, UpdateResponse } from '../generated/workspacemanagerbridge/cluster-service.js';
import type { ClusterPatch } from '../store/ports.js';
import type { ClusterRow } from '../store/types.js';
import { requireName, unknownOrStatic } from './cluster-lookup.js';
import { throwIfAborted, type HandlerContext } from './handler-context.js';
import { parseClusterChange, patchForChange, type ClusterChange } from './update-change.js';

async function patchFor(
  ctx: HandlerContext,
  row: ClusterRow,
  change: ClusterChange,
  signal: AbortSignal,
): Promise<ClusterPatch | undefined> {
  const patch = patchForChange(row, change);
  // New TLS material must work against the stored url before it replaces the old.
  if (patch?.tls) await ctx.describe({ url: row.url, tls: patch.tls }, signal);
  return patch;
}

/** Handles Update as Gitpod's bridge does: one oneof member, validated first, applied as a column patch. */
export async function updateCluster(
  ctx: HandlerContext,
  request: UpdateRequest,
  signal: AbortSignal,
): Promise<UpdateResponse> {
  const name = requireName(request.name);
  const change = parseClusterChange(request);
  const row = await ctx.deps.store.getCluster(name);
  if (!row) throw unknownOrStatic(ctx, name, 'updated');
  const patch = await patchFor(ctx, row, change, signal);
  if (change.kind === 'none' && change.dropped) {
    ctx.logger.info({ cluster: name, dropped: change.dropped }, 'cluster update changes nothing');
  }
  if (!patch) return {};
  throwIfAborted(signal);
  if (!(await ctx.deps.store.updateCluster(name, patch))) throw unknownOrStatic(ctx, name, 'updated');
  ctx.logger.info({ cluster: name, changed: Object.keys(patch) }, 'cluster updated');
  await ctx.clusterChanged(name);
  return {};
}
