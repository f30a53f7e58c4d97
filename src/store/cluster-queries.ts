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
 * Inserts a cluster; throws `ClusterExistsError` when the name or the URL is taken (the name is
 * reported when both are). `ON CONFLICT DO NOTHING` makes a concurrent insert of the same name or URL
 * wait for the winner and then insert nothing, so a race ends in this error instead of a
 * driver-specific unique violation.
 */
export async function insertCluster(db: Kysely<StoreSchema>, row: ClusterRow): Promise<void> {
  // A row that conflicted and is gone by the time we look was deleted meanwhile: try again.
  for (let attempt = 1; ; attempt++) {
    const result = await db
      .insertInto('workspace_clusters')
      .values(clusterToColumns(row))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (result.numInsertedOrUpdatedRows === 1n) return;
    const taken = await takenColumn(db, row);
    if (taken === 'url') throw new ClusterExistsError('url', row.url);
    if (taken === 'name' || attempt === 3) throw new ClusterExistsError('name', row.name);
  }
}

async function takenColumn(db: Kysely<StoreSchema>, row: ClusterRow): Promise<'name' | 'url' | undefined> {
  const found = await db
    .selectFrom('workspace_clusters')
    .select(['name'])
    .where((eb) => eb.or([eb('name', '=', row.name), eb('url', '=', row.url)]))
    .execute();
  if (found.some((r) => r.name === row.name)) return 'name';
  return found.length > 0 ? 'url' : undefined;
}

/**
 * Sets only the patched columns plus `updated_at`, so concurrent patches of other columns survive.
 * Throws `ClusterExistsError('url', …)` when the patch sets a URL another cluster has.
 */
export async function updateCluster(
  db: Kysely<StoreSchema>,
  name: string,
  patch: ClusterPatch,
): Promise<boolean> {
  try {
    const result = await db
      .updateTable('workspace_clusters')
      .set({ ...clusterPatchToColumns(patch), updated_at: new Date().toISOString() })
      .where('name', '=', name)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  } catch (error: unknown) {
    if (patch.url !== undefined && isUniqueViolation(error)) throw new ClusterExistsError('url', patch.url);
    throw error;
  }
}

// PostgreSQL's unique_violation and better-sqlite3's extended code; the URL index is the only unique
// constraint an update can break (the name is never patched).
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Deletes a cluster; false when there was none. */
export async function deleteCluster(db: Kysely<StoreSchema>, name: string): Promise<boolean> {
  const result = await db.deleteFrom('workspace_clusters').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
