/** Reading and acknowledging the notification outbox, the same SQL for both adapters. */
import type { Kysely } from 'kysely';
import { chunk } from './batch-rules.js';
import { notificationFromColumns } from './instance-columns.js';
import type { InstanceNotification } from './ports.js';
import type { StoreSchema } from './schema.js';

/** Ids per DELETE statement. */
const IDS_PER_DELETE = 1000;

/** Up to `limit` pending notifications, oldest first (ties by instance id, so the order is stable). */
export async function pendingNotifications(
  db: Kysely<StoreSchema>,
  limit: number,
): Promise<InstanceNotification[]> {
  const rows = await db
    .selectFrom('bridge_outbox')
    .select(['instance_id', 'owner_id', 'workspace_id'])
    .orderBy('created_at')
    .orderBy('instance_id')
    .limit(limit)
    .execute();
  return rows.map(notificationFromColumns);
}

/** Deletes the outbox rows of these instances; unknown ids are ignored. */
export async function ackNotifications(
  db: Kysely<StoreSchema>,
  instanceIds: readonly string[],
): Promise<void> {
  for (const slice of chunk(instanceIds, IDS_PER_DELETE)) {
    await db.deleteFrom('bridge_outbox').where('instance_id', 'in', slice).execute();
  }
}
