/**
 * `prebuilt_workspaces` reads, the same SQL for both adapters. The bridge reads a prebuild with its
 * instance record and writes it in `writeBatch`; what is left here is the operators' view.
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from './schema.js';
import type { PrebuildState } from './types.js';

/** Number of prebuilds per state; states without prebuilds are absent. */
export async function countPrebuildsByState(db: Kysely<StoreSchema>): Promise<Map<PrebuildState, number>> {
  const rows = await db
    .selectFrom('prebuilt_workspaces')
    .select((eb) => ['state', eb.fn.countAll<number | bigint | string>().as('count')])
    .groupBy('state')
    .execute();
  return new Map(rows.map((r) => [r.state as PrebuildState, Number(r.count)]));
}
