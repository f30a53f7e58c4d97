/** Instance reads both adapters run through Kysely (the hot-path reads live in each adapter). */
import { sql, type Kysely } from 'kysely';
import { instanceRecordFromColumns } from './instance-columns.js';
import type { StoreSchema } from './schema.js';
import { readBigint, readNullableTime, readTime } from './column-values.js';
import type { ActiveInstanceCount } from './ports.js';
import type { InstancePhase, InstanceRecord, InstanceState } from './types.js';

// Instances joined with their workspace (owner, type, organization), metrics and prebuild, as
// `InstanceRecordColumns`. The prebuild join goes through the build_workspace_id index; the subquery
// (run only for a workspace that has a prebuild) keeps one row per instance when there are several.
function selectInstanceRecords(db: Kysely<StoreSchema>) {
  return db
    .selectFrom('workspace_instances as i')
    .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
    .leftJoin('workspace_instance_metrics as m', 'm.instance_id', 'i.id')
    .leftJoin('prebuilt_workspaces as p', (join) =>
      join.onRef('p.build_workspace_id', '=', 'i.workspace_id').on((eb) =>
        eb(
          'p.id',
          '=',
          eb
            .selectFrom('prebuilt_workspaces as first')
            .select((e) => e.fn.min('first.id').as('id'))
            .whereRef('first.build_workspace_id', '=', 'i.workspace_id'),
        ),
      ),
    )
    .selectAll('i')
    .select(['w.owner_id', 'w.type as workspace_type', 'w.organization_id', 'm.metrics'])
    .select([
      'p.id as pb_id',
      'p.build_workspace_id as pb_build_workspace_id',
      'p.project_id as pb_project_id',
      'p.state as pb_state',
      'p.snapshot as pb_snapshot',
      'p.error as pb_error',
      'p.status_version as pb_status_version',
    ]);
}

/**
 * The by-id load as one PostgreSQL text whose only parameter `$1` is a `text[]` of ids: the same text
 * for any number of ids, so that it is prepared once per connection instead of parsed and planned per
 * call (as an `IN (...)` list of each length would be).
 */
export function instancesByIdArraySql(db: Kysely<StoreSchema>): string {
  return selectInstanceRecords(db)
    .where(sql<boolean>`i.id = any(${sql.val<string[]>([])}::text[])`)
    .compile().sql;
}

/** Instances matching the filter (absent keys match everything; an empty phase list matches nothing). */
export async function listInstances(
  db: Kysely<StoreSchema>,
  filter: { clusterName?: string; phases?: readonly InstancePhase[] },
): Promise<InstanceRecord[]> {
  if (filter.phases?.length === 0) return [];
  let query = selectInstanceRecords(db);
  if (filter.clusterName !== undefined) query = query.where('i.cluster_name', '=', filter.clusterName);
  if (filter.phases !== undefined) query = query.where('i.phase', 'in', [...filter.phases]);
  const rows = await query.orderBy('i.id').execute();
  return rows.map(instanceRecordFromColumns);
}

/**
 * The controller's columns of a cluster's instances in one phase, by id: at most `limit`, and only
 * ids after `after` when given (the last id of the page before). Each page is one range of the
 * (cluster_name, phase, id) index.
 */
export async function listInstanceStates(
  db: Kysely<StoreSchema>,
  filter: { clusterName: string; phase: InstancePhase; after?: string; limit: number },
): Promise<InstanceState[]> {
  let query = db
    .selectFrom('workspace_instances')
    .select(['id', 'phase', 'status_version', 'creation_time', 'stopping_time'])
    .where('cluster_name', '=', filter.clusterName)
    .where('phase', '=', filter.phase);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  const rows = await query.orderBy('id').limit(filter.limit).execute();
  return rows.map((c) => ({
    id: c.id,
    phase: c.phase as InstancePhase,
    statusVersion: readBigint(c.status_version),
    creationTime: readTime(c.creation_time),
    stoppingTime: readNullableTime(c.stopping_time),
  }));
}

/**
 * The first `limit` ids, by id, of a cluster's instances of regular workspaces in the given phases, and
 * how many there are in all: one query, with the total counted by a window over the whole match.
 */
export async function listRegularInstanceIds(
  db: Kysely<StoreSchema>,
  filter: { clusterName: string; phases: readonly InstancePhase[]; limit: number },
): Promise<{ total: number; ids: string[] }> {
  if (filter.phases.length === 0) return { total: 0, ids: [] };
  const rows = await db
    .selectFrom('workspace_instances as i')
    .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
    .select((eb) => ['i.id', eb.fn.countAll<number | bigint | string>().over().as('total')])
    .where('i.cluster_name', '=', filter.clusterName)
    .where('i.phase', 'in', [...filter.phases])
    .where('w.type', '=', 'regular')
    .orderBy('i.id')
    .limit(filter.limit)
    .execute();
  return { total: Number(rows[0]?.total ?? 0), ids: rows.map((r) => r.id) };
}

/** Instances per cluster and phase, stopped ones left out; pairs without instances are absent. */
export async function countActiveInstances(db: Kysely<StoreSchema>): Promise<ActiveInstanceCount[]> {
  const rows = await db
    .selectFrom('workspace_instances')
    .select((eb) => ['cluster_name', 'phase', eb.fn.countAll<number | bigint | string>().as('count')])
    .where('phase', '<>', 'stopped')
    .groupBy(['cluster_name', 'phase'])
    .orderBy('cluster_name')
    .orderBy('phase')
    .execute();
  return rows.map((r) => ({
    clusterName: r.cluster_name,
    phase: r.phase as InstancePhase,
    count: Number(r.count),
  }));
}

/** Number of instances per phase; phases without instances are absent. */
export async function countInstancesByPhase(db: Kysely<StoreSchema>): Promise<Map<InstancePhase, number>> {
  const rows = await db
    .selectFrom('workspace_instances')
    .select((eb) => ['phase', eb.fn.countAll<number | bigint | string>().as('count')])
    .groupBy('phase')
    .execute();
  return new Map(rows.map((r) => [r.phase as InstancePhase, Number(r.count)]));
}
