/** The `must_match` rule of GetWorkspaces and Subscribe. */
import type { MetadataFilter, WorkspaceMetadata } from '../../generated/wsman/core.js';

/**
 * True when `metadata` satisfies `filter`: every non-empty field (owner, meta_id) is equal and every
 * annotation in the filter is present with the same value. No filter matches everything.
 */
export function matchesFilter(
  filter: MetadataFilter | undefined,
  metadata: WorkspaceMetadata | undefined,
): boolean {
  if (!filter) return true;
  if (filter.owner !== '' && filter.owner !== metadata?.owner) return false;
  if (filter.metaId !== '' && filter.metaId !== metadata?.metaId) return false;
  for (const [key, value] of Object.entries(filter.annotations)) {
    if (metadata?.annotations[key] !== value) return false;
  }
  return true;
}

/** True when the filter lets everything through, so callers can skip checking each status. */
export function isEmptyFilter(filter: MetadataFilter | undefined): boolean {
  return (
    !filter || (filter.owner === '' && filter.metaId === '' && Object.keys(filter.annotations).length === 0)
  );
}
