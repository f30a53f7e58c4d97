/** Inserts of rows the platform owns (workspaces, instances, prebuilds); existing ids are left alone. */
import type { Kysely } from 'kysely';
import { chunk } from './batch-rules.js';
import { writeJson } from './column-values.js';
import { instanceToColumns, workspaceToColumns } from './instance-columns.js';
import { prebuildToColumns } from './prebuild-columns.js';
import type { StoreSchema } from './schema.js';
import type { InstanceRow, PrebuildRow, WorkspaceRow } from './types.js';

/** Rows per INSERT: 13 columns x 500 stays far below SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const ROWS_PER_INSERT = 500;

/** Inserts workspaces, all or none, skipping ids that exist. */
export async function createWorkspaces(
  db: Kysely<StoreSchema>,
  rows: readonly WorkspaceRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const slice of chunk(rows, ROWS_PER_INSERT)) {
      await trx
        .insertInto('workspaces')
        .values(slice.map(workspaceToColumns))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  });
}

/** Inserts instances and, for the ones actually inserted, an empty metrics row; all or none. */
export async function createInstances(db: Kysely<StoreSchema>, rows: readonly InstanceRow[]): Promise<void> {
  if (rows.length === 0) return;
  const empty = writeJson({});
  await db.transaction().execute(async (trx) => {
    for (const slice of chunk(rows, ROWS_PER_INSERT)) {
      const inserted = await trx
        .insertInto('workspace_instances')
        .values(slice.map(instanceToColumns))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      if (inserted.length === 0) continue;
      await trx
        .insertInto('workspace_instance_metrics')
        .values(inserted.map(({ id }) => ({ instance_id: id, metrics: empty })))
        .onConflict((oc) => oc.column('instance_id').doNothing())
        .execute();
    }
  });
}

/** Inserts prebuilds, all or none, skipping ids that exist. */
export async function createPrebuilds(db: Kysely<StoreSchema>, rows: readonly PrebuildRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const slice of chunk(rows, ROWS_PER_INSERT)) {
      await trx
        .insertInto('prebuilt_workspaces')
        .values(slice.map(prebuildToColumns))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  });
}
