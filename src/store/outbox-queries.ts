/** Reading and acknowledging the notification and message outboxes, the same SQL for both adapters. */
import type { Kysely } from 'kysely';
import { chunk } from './batch-rules.js';
import { notificationFromColumns } from './instance-columns.js';
import type { InstanceNotification, OutboxMessage } from './ports.js';
import type { StoreSchema } from './schema.js';

/** Ids or keys per DELETE statement. */
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

/** Up to `limit` pending messages, oldest first (ties by key, so the order is stable). */
export async function pendingMessages(db: Kysely<StoreSchema>, limit: number): Promise<OutboxMessage[]> {
  return db
    .selectFrom('bridge_outbox_messages')
    .select(['key', 'channel', 'payload'])
    .orderBy('created_at')
    .orderBy('key')
    .limit(limit)
    .execute();
}

/** Deletes the messages with these keys; unknown keys are ignored. */
export async function ackMessages(db: Kysely<StoreSchema>, keys: readonly string[]): Promise<void> {
  for (const slice of chunk(keys, IDS_PER_DELETE)) {
    await db.deleteFrom('bridge_outbox_messages').where('key', 'in', slice).execute();
  }
}
