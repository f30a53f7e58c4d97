/** Mapping between `ClusterRow` and the columns of `workspace_clusters`. */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ClusterPatch } from './ports.js';
import type { ClusterTable } from './schema.js';
import type { AdmissionConstraint, ClusterRow, ClusterState, WorkspaceClassInfo } from './types.js';
import { readBool, readInt, readJson, readTime, writeBool, writeJson } from './column-values.js';

/** Turns a `workspace_clusters` row into a `ClusterRow`. */
export function clusterFromColumns(c: Selectable<ClusterTable>): ClusterRow {
  // TLS is all or nothing: a row with any of the three columns unset has no usable TLS.
  const tls =
    c.tls_ca !== null && c.tls_crt !== null && c.tls_key !== null
      ? { ca: c.tls_ca, crt: c.tls_crt, key: c.tls_key }
      : null;
  return {
    name: c.name,
    url: c.url,
    tls,
    state: c.state as ClusterState,
    score: readInt(c.score),
    maxScore: readInt(c.max_score),
    govern: readBool(c.govern),
    region: c.region,
    admissionConstraints: readJson<AdmissionConstraint[]>(c.admission_constraints),
    availableWorkspaceClasses: readJson<WorkspaceClassInfo[]>(c.available_workspace_classes),
    preferredWorkspaceClass: c.preferred_workspace_class,
    createdAt: readTime(c.created_at),
    updatedAt: readTime(c.updated_at),
  };
}

/** All columns of a new `workspace_clusters` row. */
export function clusterToColumns(row: ClusterRow): Insertable<ClusterTable> {
  return {
    name: row.name,
    url: row.url,
    tls_ca: row.tls?.ca ?? null,
    tls_crt: row.tls?.crt ?? null,
    tls_key: row.tls?.key ?? null,
    state: row.state,
    score: row.score,
    max_score: row.maxScore,
    govern: writeBool(row.govern),
    region: row.region,
    admission_constraints: writeJson(row.admissionConstraints),
    available_workspace_classes: writeJson(row.availableWorkspaceClasses),
    preferred_workspace_class: row.preferredWorkspaceClass,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** Only the columns named by the patch; keys that are absent (or undefined) stay untouched. */
export function clusterPatchToColumns(patch: ClusterPatch): Updateable<ClusterTable> {
  const set: Updateable<ClusterTable> = {};
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.tls !== undefined) {
    set.tls_ca = patch.tls?.ca ?? null;
    set.tls_crt = patch.tls?.crt ?? null;
    set.tls_key = patch.tls?.key ?? null;
  }
  if (patch.state !== undefined) set.state = patch.state;
  if (patch.score !== undefined) set.score = patch.score;
  if (patch.maxScore !== undefined) set.max_score = patch.maxScore;
  if (patch.govern !== undefined) set.govern = writeBool(patch.govern);
  if (patch.region !== undefined) set.region = patch.region;
  if (patch.admissionConstraints !== undefined)
    set.admission_constraints = writeJson(patch.admissionConstraints);
  if (patch.availableWorkspaceClasses !== undefined) {
    set.available_workspace_classes = writeJson(patch.availableWorkspaceClasses);
  }
  if (patch.preferredWorkspaceClass !== undefined)
    set.preferred_workspace_class = patch.preferredWorkspaceClass;
  return set;
}
