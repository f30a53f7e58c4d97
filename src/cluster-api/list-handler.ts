/** List: stored clusters, then static ones the store does not shadow. TLS is never returned. */
import type { ListResponse } from '../generated/workspacemanagerbridge/cluster-service.js';
import type { HandlerContext } from './handler-context.js';
import { clusterRowToStatus, staticClusterToStatus } from './mapping.js';

/** Handles List: stored clusters in database order, then static ones, each with its lease holder. */
export async function listClusters(ctx: HandlerContext): Promise<ListResponse> {
  const [rows, holders] = await Promise.all([ctx.deps.store.listClusters(), ctx.deps.leaseHolders()]);
  const stored = new Set(rows.map((r) => r.name));
  const statics = ctx.deps.staticClusters().filter((c) => !stored.has(c.name));
  const status = [...rows.map(clusterRowToStatus), ...statics.map(staticClusterToStatus)];
  return { status: status.map((s) => ({ ...s, leaseHolder: holders.get(s.name) ?? '' })) };
}
