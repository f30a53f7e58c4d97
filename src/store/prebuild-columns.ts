/** Mapping between `PrebuildRow` and the columns of `prebuilt_workspaces`. */
import type { Insertable, Selectable } from 'kysely';
import { readBigint } from './column-values.js';
import type { PrebuildTable } from './schema.js';
import type { PrebuildRow, PrebuildState } from './types.js';

/** Turns a `prebuilt_workspaces` row into a `PrebuildRow`. */
export function prebuildFromColumns(c: Selectable<PrebuildTable>): PrebuildRow {
  return {
    id: c.id,
    buildWorkspaceId: c.build_workspace_id,
    projectId: c.project_id,
    state: c.state as PrebuildState,
    snapshot: c.snapshot,
    error: c.error,
    statusVersion: readBigint(c.status_version),
  };
}

/** All columns of a new `prebuilt_workspaces` row. */
export function prebuildToColumns(row: PrebuildRow): Insertable<PrebuildTable> {
  return {
    id: row.id,
    build_workspace_id: row.buildWorkspaceId,
    project_id: row.projectId,
    state: row.state,
    snapshot: row.snapshot,
    error: row.error,
    status_version: row.statusVersion,
  };
}
