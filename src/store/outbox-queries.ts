/**
 * Reading, acknowledging and claiming the notification and message outboxes, the same SQL for both
 * adapters. Every row names the replica that delivers it.
 */
import type { Kysely } from 'kysely';
import { chunk } from './batch-rules.js';
import { readBigint, readTime } from './column-values.js';
import { notificationFromColumns } from './instance-columns.js';
import type { InstanceNotification, OutboxMessage, Revised } from './ports.js';
import type { StoreSchema } from './schema.js';

/** Ids or keys per DELETE statement. */
const IDS_PER_DELETE = 1000;

/** Up to `limit` of the replica's notifications, oldest first (ties by instance id, so the order is stable). */
export async function pendingNotifications(
  db: Kysely<StoreSchema>,
  limit: number,
  replica: string,
  below: bigint | undefined,
): Promise<InstanceNotification[]> {
  const rows = await db
    .selectFrom('bridge_outbox')
    .select(['instance_id', 'owner_id', 'workspace_id'])
    .where('replica', '=', replica)
    .$if(below !== undefined, (q) => q.where('revision', '<', below ?? 0n))
    .orderBy('created_at')
    .orderBy('instance_id')
    .limit(limit)
    .execute();
  return rows.map(notificationFromColumns);
}

/** The rows of these instances the replica owns, with their revisions; ids without one are absent. */
export async function notificationRevisions(
  db: Kysely<StoreSchema>,
  instanceIds: readonly string[],
  replica: string,
): Promise<Map<string, Revised<InstanceNotification>>> {
  const found = new Map<string, Revised<InstanceNotification>>();
  for (const slice of chunk(instanceIds, IDS_PER_DELETE)) {
    const rows = await db
      .selectFrom('bridge_outbox')
      .select(['instance_id', 'owner_id', 'workspace_id', 'revision'])
      .where('instance_id', 'in', slice)
      .where('replica', '=', replica)
      .execute();
    for (const row of rows) {
      found.set(row.instance_id, { value: notificationFromColumns(row), revision: readBigint(row.revision) });
    }
  }
  return found;
}

/**
 * Deletes the outbox rows of these instances that the replica still owns; unknown ids are ignored.
 * A row another replica rewrote since is that replica's to deliver, so it stays. With `revisions`, a
 * row stays too unless it still has the revision given for its id (ids without one are skipped).
 */
export async function ackNotifications(
  db: Kysely<StoreSchema>,
  instanceIds: readonly string[],
  replica: string,
  revisions?: ReadonlyMap<string, bigint>,
): Promise<void> {
  for (const slice of chunk(acknowledged(instanceIds, revisions), IDS_PER_DELETE)) {
    await db
      .deleteFrom('bridge_outbox')
      .where('replica', '=', replica)
      .$if(revisions === undefined, (q) => q.where('instance_id', 'in', slice))
      .$if(revisions !== undefined, (q) =>
        q.where((eb) =>
          eb.or(
            byRevision(slice, revisions).map(([revision, ids]) =>
              eb.and([eb('revision', '=', revision), eb('instance_id', 'in', ids)]),
            ),
          ),
        ),
      )
      .execute();
  }
}

/** The keys an acknowledgement may remove: with revisions, those that have one. */
function acknowledged(keys: readonly string[], revisions: ReadonlyMap<string, bigint> | undefined): string[] {
  return revisions ? keys.filter((key) => revisions.has(key)) : [...keys];
}

/**
 * Keys grouped by the revision given for them (keys without one are left out). Rows written in one
 * batch share a revision, so a page of acknowledgements is a few `revision = r AND key IN (…)` terms
 * rather than a thousand `key = k AND revision = r` terms.
 */
export function byRevision(
  keys: readonly string[],
  revisions: ReadonlyMap<string, bigint> | undefined,
): [bigint, string[]][] {
  const groups = new Map<bigint, string[]>();
  for (const key of keys) {
    const revision = revisions?.get(key);
    if (revision === undefined) continue;
    const group = groups.get(revision) ?? [];
    if (group.length === 0) groups.set(revision, group);
    group.push(key);
  }
  return [...groups];
}

/** Up to `limit` of the replica's messages, oldest first (ties by key, so the order is stable). */
export async function pendingMessages(
  db: Kysely<StoreSchema>,
  limit: number,
  replica: string,
  below: bigint | undefined,
): Promise<OutboxMessage[]> {
  return db
    .selectFrom('bridge_outbox_messages')
    .select(['key', 'channel', 'payload'])
    .where('replica', '=', replica)
    .$if(below !== undefined, (q) => q.where('revision', '<', below ?? 0n))
    .orderBy('created_at')
    .orderBy('key')
    .limit(limit)
    .execute();
}

/** The messages with these keys the replica owns, with their revisions; keys without one are absent. */
export async function messageRevisions(
  db: Kysely<StoreSchema>,
  keys: readonly string[],
  replica: string,
): Promise<Map<string, Revised<OutboxMessage>>> {
  const found = new Map<string, Revised<OutboxMessage>>();
  for (const slice of chunk(keys, IDS_PER_DELETE)) {
    const rows = await db
      .selectFrom('bridge_outbox_messages')
      .select(['key', 'channel', 'payload', 'revision'])
      .where('key', 'in', slice)
      .where('replica', '=', replica)
      .execute();
    for (const { key, channel, payload, revision } of rows) {
      found.set(key, { value: { key, channel, payload }, revision: readBigint(revision) });
    }
  }
  return found;
}

/**
 * Deletes the messages with these keys that the replica still owns; unknown keys are ignored. With
 * `revisions`, as `ackNotifications`.
 */
export async function ackMessages(
  db: Kysely<StoreSchema>,
  keys: readonly string[],
  replica: string,
  revisions?: ReadonlyMap<string, bigint>,
): Promise<void> {
  for (const slice of chunk(acknowledged(keys, revisions), IDS_PER_DELETE)) {
    await db
      .deleteFrom('bridge_outbox_messages')
      .where('replica', '=', replica)
      .$if(revisions === undefined, (q) => q.where('key', 'in', slice))
      .$if(revisions !== undefined, (q) =>
        q.where((eb) =>
          eb.or(
            byRevision(slice, revisions).map(([revision, group]) =>
              eb.and([eb('revision', '=', revision), eb('key', 'in', group)]),
            ),
          ),
        ),
      )
      .execute();
  }
}

/** Options of `claimOrphans`. */
export interface ClaimOptions {
  /**
   * Lock the picked rows with `FOR UPDATE SKIP LOCKED` (PostgreSQL), so that replicas claiming at
   * the same time pick different rows instead of re-tagging the same ones one after the other.
   */
  skipLocked: boolean;
}

/**
 * Re-tags up to `limit` rows per table written by replicas neither in `live` nor `replica` itself
 * (its own rows are its already) to `replica`, oldest first, in one transaction; returns them oldest
 * first. One UPDATE per table, each picking its rows in a subquery.
 */
export async function claimOrphans(
  db: Kysely<StoreSchema>,
  replica: string,
  live: readonly string[],
  limit: number,
  options: ClaimOptions,
): Promise<{ notifications: InstanceNotification[]; messages: OutboxMessage[] }> {
  const others = [...new Set([...live, replica])];
  return db.transaction().execute(async (trx) => {
    const notifications = await trx
      .updateTable('bridge_outbox')
      .set({ replica })
      .where('instance_id', 'in', (eb) => {
        const picked = eb
          .selectFrom('bridge_outbox')
          .select('instance_id')
          .where('replica', 'not in', others)
          .orderBy('created_at')
          .orderBy('instance_id')
          .limit(limit);
        return options.skipLocked ? picked.forUpdate().skipLocked() : picked;
      })
      .returning(['instance_id', 'owner_id', 'workspace_id', 'created_at'])
      .execute();
    const messages = await trx
      .updateTable('bridge_outbox_messages')
      .set({ replica })
      .where('key', 'in', (eb) => {
        const picked = eb
          .selectFrom('bridge_outbox_messages')
          .select('key')
          .where('replica', 'not in', others)
          .orderBy('created_at')
          .orderBy('key')
          .limit(limit);
        return options.skipLocked ? picked.forUpdate().skipLocked() : picked;
      })
      .returning(['key', 'channel', 'payload', 'created_at'])
      .execute();
    // RETURNING has no order of its own.
    return {
      notifications: oldestFirst(notifications, (r) => r.instance_id).map(notificationFromColumns),
      messages: oldestFirst(messages, (r) => r.key).map(({ key, channel, payload }) => ({
        key,
        channel,
        payload,
      })),
    };
  });
}

function oldestFirst<T extends { created_at: Date | string }>(rows: T[], key: (row: T) => string): T[] {
  const time = (row: T): string => readTime(row.created_at);
  return rows.sort((a, b) => compare(time(a), time(b)) || compare(key(a), key(b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
