/** Mapping between `PrebuildRow` and the columns of `prebuilt_workspaces`. */
import type { Insertable, Selectable } from 'kysely';
import { readBigint } from './column-values.js';
import type { PrebuildTable } from './schema.js';
import type { PrebuildRow, PrebuildState } from './types.js';

/**
 * The prebuild columns an instance query adds through a LEFT JOIN, prefixed `pb_` so that they do not
 * collide with the instance's own. All null when the instance's workspace builds no prebuild.
 */
export interface JoinedPrebuildColumns {
  pb_id: string | null;
  pb_build_workspace_id: string | null;
  pb_project_id: string | null;
  pb_state: string | null;
  pb_snapshot: string | null;
  pb_error: string | null;
  pb_status_version: bigint | null;
}

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

/** The joined prebuild of an instance row, or null when the join found none. */
export function joinedPrebuildFromColumns(c: JoinedPrebuildColumns): PrebuildRow | null {
  // The NOT NULL columns are null only when the join found no row; testing them all narrows the types.
  if (c.pb_id === null || c.pb_build_workspace_id === null || c.pb_state === null) return null;
  if (c.pb_status_version === null) return null;
  return prebuildFromColumns({
    id: c.pb_id,
    build_workspace_id: c.pb_build_workspace_id,
    project_id: c.pb_project_id,
    state: c.pb_state,
    snapshot: c.pb_snapshot,
    error: c.pb_error,
    status_version: c.pb_status_version,
  });
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
