/** `workspace_clusters` reads and writes, the same SQL for both adapters. */
import type { Kysely } from 'kysely';
import { clusterFromColumns, clusterPatchToColumns, clusterToColumns } from './cluster-columns.js';
import { ClusterExistsError, type ClusterPatch } from './ports.js';
import type { StoreSchema } from './schema.js';
import type { ClusterRow } from './types.js';

/** Every cluster, ordered by name. */
export async function listClusters(db: Kysely<StoreSchema>): Promise<ClusterRow[]> {
  const rows = await db.selectFrom('workspace_clusters').selectAll().orderBy('name').execute();
  return rows.map(clusterFromColumns);
}

/** One cluster by name, or undefined. */
export async function getCluster(db: Kysely<StoreSchema>, name: string): Promise<ClusterRow | undefined> {
  const row = await db
    .selectFrom('workspace_clusters')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row && clusterFromColumns(row);
}

/**
 * Inserts a cluster; throws `ClusterExistsError` when the name is taken. `ON CONFLICT DO NOTHING`
 * makes a concurrent insert of the same name wait for the winner and then insert nothing, so a race
 * ends in this error instead of a driver-specific unique violation.
 */
export async function insertCluster(db: Kysely<StoreSchema>, row: ClusterRow): Promise<void> {
  const result = await db
    .insertInto('workspace_clusters')
    .values(clusterToColumns(row))
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  if (result.numInsertedOrUpdatedRows !== 1n) throw new ClusterExistsError(row.name);
}

/** Sets only the patched columns plus `updated_at`, so concurrent patches of other columns survive. */
export async function updateCluster(
  db: Kysely<StoreSchema>,
  name: string,
  patch: ClusterPatch,
): Promise<boolean> {
  const result = await db
    .updateTable('workspace_clusters')
    .set({ ...clusterPatchToColumns(patch), updated_at: new Date().toISOString() })
    .where('name', '=', name)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes a cluster; false when there was none. */
export async function deleteCluster(db: Kysely<StoreSchema>, name: string): Promise<boolean> {
  const result = await db.deleteFrom('workspace_clusters').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
