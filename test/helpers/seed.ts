/** Seeding what the platform creates before a start: a workspace row and an instance row per instance. */
import type { Store } from '../../src/store/ports.js';
import type { InstancePhase, WorkspaceType } from '../../src/store/types.js';
import { instanceRow, workspaceRow } from '../contract/store-fixtures.js';

/** One instance to seed: an id, or an id with its phase and workspace type. */
export type SeedSpec = string | { id: string; phase?: InstancePhase; type?: WorkspaceType };

/**
 * Inserts workspace `ws-<id>` (owner `owner-<id>` unless given) and instance `<id>` on `cluster`
 * (default `eu-1`), phase `pending` and no version unless the spec says otherwise.
 */
export async function seedInstances(
  store: Store,
  specs: readonly SeedSpec[],
  options: { cluster?: string; owner?: string } = {},
): Promise<void> {
  const all = specs.map((s) => (typeof s === 'string' ? { id: s } : s));
  await store.createWorkspaces(
    all.map(({ id, type }) =>
      workspaceRow(`ws-${id}`, { ownerId: options.owner ?? `owner-${id}`, type: type ?? 'regular' }),
    ),
  );
  await store.createInstances(
    all.map(({ id, phase }) =>
      instanceRow(id, { clusterName: options.cluster ?? 'eu-1', phase: phase ?? 'pending' }),
    ),
  );
}
