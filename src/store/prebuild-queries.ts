/** `prebuilt_workspaces` reads and writes, the same SQL for both adapters. */
import type { Kysely } from 'kysely';
import { prebuildFromColumns } from './prebuild-columns.js';
import type { StoreSchema } from './schema.js';
import type { PrebuildRow } from './types.js';

/** The prebuild built by a workspace, or undefined. With several (not expected), the smallest id wins. */
export async function findPrebuildByWorkspaceId(
  db: Kysely<StoreSchema>,
  workspaceId: string,
): Promise<PrebuildRow | undefined> {
  const row = await db
    .selectFrom('prebuilt_workspaces')
    .selectAll()
    .where('build_workspace_id', '=', workspaceId)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row && prebuildFromColumns(row);
}

/** Writes the bridge-owned columns unless the stored version is newer; true when a row was written. */
export async function updatePrebuild(db: Kysely<StoreSchema>, row: PrebuildRow): Promise<boolean> {
  const result = await db
    .updateTable('prebuilt_workspaces')
    .set({ state: row.state, snapshot: row.snapshot, error: row.error, status_version: row.statusVersion })
    .where('id', '=', row.id)
    .where('status_version', '<=', row.statusVersion)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
