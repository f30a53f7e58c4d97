/**
 * Leases and heartbeats of replicas sharing one PostgreSQL database: a lease row per cluster names the
 * replica that streams and controls it, a heartbeat row per running replica says until when it is
 * live. Every time is the database's `now()`, so replicas never compare their clocks with each other;
 * each method is one statement, so each is atomic on its own.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../../observability/logger.js';
import { readBigint, readTime } from '../column-values.js';
import { StoreClosedError } from '../errors.js';
import type { LeaseRow, LeaseStore } from '../ports.js';
import type { StoreSchema } from '../schema.js';
import { ClusterChangeListener } from './postgres-cluster-listener.js';

/** What `PostgresLeaseStore` needs besides the pool's Kysely. */
export interface PostgresLeaseStoreOptions {
  /** Settings of the listener's own connection (the pool's, see `postgresClientConfig`). */
  client: pg.ClientConfig;
  logger: Logger;
}

/** `ttlMs` from now on, as an interval the database adds to `now()`. */
function ttl(ttlMs: number): RawBuilder<unknown> {
  return sql`make_interval(secs => ${ttlMs / 1000})`;
}

/** The PostgreSQL `LeaseStore`. Every method throws `StoreClosedError` after `close()`. */
export class PostgresLeaseStore implements LeaseStore {
  readonly #db: Kysely<StoreSchema>;
  readonly #options: PostgresLeaseStoreOptions;
  readonly #listeners = new Set<ClusterChangeListener>();
  #closed = false;

  constructor(db: Kysely<StoreSchema>, options: PostgresLeaseStoreOptions) {
    this.#db = db;
    this.#options = options;
  }

  async heartbeat(replica: string, ttlMs: number): Promise<void> {
    await sql`
      INSERT INTO bridge_replicas (replica_id, started_at, heartbeat_at, expires_at)
      VALUES (${replica}, now(), now(), now() + ${ttl(ttlMs)})
      ON CONFLICT (replica_id) DO UPDATE SET
        heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`.execute(this.#open());
  }

  async leave(replica: string): Promise<void> {
    await this.#open().deleteFrom('bridge_replicas').where('replica_id', '=', replica).execute();
  }

  async liveReplicas(): Promise<string[]> {
    const { rows } = await sql<{ replica_id: string }>`
      SELECT replica_id FROM bridge_replicas WHERE expires_at > now()
      ORDER BY replica_id COLLATE "C"`.execute(this.#open());
    return rows.map((r) => r.replica_id);
  }

  async listLeases(): Promise<LeaseRow[]> {
    const { rows } = await sql<{
      cluster_name: string;
      holder: string;
      epoch: unknown;
      expires_at: Date | string;
      wanted_by: string | null;
      expired: boolean;
    }>`
      SELECT cluster_name, holder, epoch, expires_at, wanted_by, expires_at <= now() AS expired
      FROM cluster_leases
      ORDER BY cluster_name COLLATE "C"`.execute(this.#open());
    return rows.map((r) => ({
      name: r.cluster_name,
      holder: r.holder,
      epoch: readBigint(r.epoch),
      expiresAt: readTime(r.expires_at),
      wantedBy: r.wanted_by,
      expired: r.expired,
    }));
  }

  /**
   * One upsert: a new row starts at epoch 1; an existing one is taken (epoch + 1, request cleared)
   * only when the WHERE of DO UPDATE holds, otherwise nothing is returned.
   */
  async acquire(name: string, holder: string, ttlMs: number): Promise<bigint | undefined> {
    const { rows } = await sql<{ epoch: unknown }>`
      INSERT INTO cluster_leases AS l
        (cluster_name, holder, epoch, expires_at, acquired_at, renewed_at, wanted_by, wanted_at)
      VALUES (${name}, ${holder}, 1, now() + ${ttl(ttlMs)}, now(), now(), NULL, NULL)
      ON CONFLICT (cluster_name) DO UPDATE SET
        holder = excluded.holder, epoch = l.epoch + 1, expires_at = excluded.expires_at,
        acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at,
        wanted_by = NULL, wanted_at = NULL
      WHERE (l.expires_at <= now() OR l.holder = excluded.holder)
        AND (l.wanted_by IS NULL OR l.wanted_by = excluded.holder OR l.wanted_at <= now() - 2 * ${ttl(ttlMs)})
      RETURNING l.epoch`.execute(this.#open());
    const row = rows[0];
    return row === undefined ? undefined : readBigint(row.epoch);
  }

  /** Locks the rows in name order first, as the fenced batch does, so the two never deadlock. */
  async renew(
    holder: string,
    leases: readonly { name: string; epoch: bigint }[],
    ttlMs: number,
  ): Promise<{ renewed: string[]; wanted: string[] }> {
    const db = this.#open();
    if (leases.length === 0) return { renewed: [], wanted: [] };
    const { rows } = await sql<{ name: string; wanted: boolean }>`
      WITH mine AS (
        SELECT l.cluster_name FROM cluster_leases l
        JOIN unnest(${leases.map((l) => l.name)}::text[], ${leases.map((l) => String(l.epoch))}::bigint[])
          AS r(name, epoch) ON r.name = l.cluster_name AND r.epoch = l.epoch
        WHERE l.holder = ${holder} AND l.expires_at > now()
        ORDER BY l.cluster_name
        FOR NO KEY UPDATE OF l
      )
      UPDATE cluster_leases l SET expires_at = now() + ${ttl(ttlMs)}, renewed_at = now()
      FROM mine WHERE l.cluster_name = mine.cluster_name
      RETURNING l.cluster_name AS name, (l.wanted_by IS NOT NULL AND l.wanted_by <> ${holder}) AS wanted`.execute(
      db,
    );
    const renewed = rows.map((r) => r.name).sort();
    const wanted = rows
      .filter((r) => r.wanted)
      .map((r) => r.name)
      .sort();
    return { renewed, wanted };
  }

  /** Locks in name order like `renew`. Leases already expired are left as they are. */
  async release(holder: string, names: readonly string[]): Promise<void> {
    const db = this.#open();
    if (names.length === 0) return;
    await sql`
      UPDATE cluster_leases SET expires_at = now()
      WHERE cluster_name IN (
        SELECT cluster_name FROM cluster_leases
        WHERE holder = ${holder} AND cluster_name = ANY(${[...names]}::text[]) AND expires_at > now()
        ORDER BY cluster_name
        FOR NO KEY UPDATE)`.execute(db);
  }

  async want(name: string, replica: string): Promise<void> {
    await sql`
      UPDATE cluster_leases SET wanted_by = ${replica}, wanted_at = now()
      WHERE cluster_name = ${name}`.execute(this.#open());
  }

  async forget(name: string, holder: string): Promise<void> {
    await this.#open()
      .deleteFrom('cluster_leases')
      .where('cluster_name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  /**
   * Resolves once the listener's connection listens, or after its first attempt failed (logged; it
   * keeps retrying in the background, and the reconcilers' periodic reads cover the gap).
   */
  async onClusterChange(listener: (name: string) => void): Promise<() => Promise<void>> {
    this.#open();
    const changes = new ClusterChangeListener({ ...this.#options, listener });
    this.#listeners.add(changes);
    await changes.start();
    return async () => {
      this.#listeners.delete(changes);
      await changes.stop();
    };
  }

  /** Stops every listener; later calls throw `StoreClosedError`. Idempotent; never throws. */
  async close(): Promise<void> {
    this.#closed = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    await Promise.all(listeners.map((l) => l.stop()));
  }

  #open(): Kysely<StoreSchema> {
    if (this.#closed) throw new StoreClosedError();
    return this.#db;
  }
}
