/**
 * Which leases a replica should take, hand back or drop, from what the lease table says. Pure: the
 * lease manager reads the table, calls this, and acts.
 */

/** What the plan is made from. */
export interface LeasePlanInput {
  /** This replica. */
  me: string;
  /** Names that should be leased: every cluster, and the installation. */
  desired: readonly string[];
  /** Replicas with a live heartbeat (this one included). */
  live: readonly string[];
  /** The lease table. */
  leases: readonly { name: string; holder: string; wantedBy: string | null; expired: boolean }[];
  /** Leases this replica holds and trusts (renewed in time). */
  held: ReadonlySet<string>;
  /**
   * Names this replica handed back lately: left for others to take, so a lease does not bounce back.
   * Once another replica has held one since, it is no longer held back (it has not bounced).
   */
  cooldown: ReadonlySet<string>;
}

/** What to do now. */
export interface LeasePlan {
  /** Names to try to take, best first; at most what is missing to the fair share. */
  acquire: string[];
  /** Held names to hand back (another replica asked for one, or the spread is too uneven). */
  release: string[];
  /** Held names that are no longer desired: stop and delete their lease row. */
  forget: string[];
}

/** A stable order per replica, so that replicas racing for free leases tend to pick different ones. */
function rank(me: string, name: string): number {
  let h = 2166136261;
  for (const c of `${me}/${name}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * Plans one round. A replica takes free, expired (handed back) or abandoned leases until it holds its fair share
 * (`ceil(desired / live replicas)`); it hands one back when it holds more than one lease more than
 * the live replica that holds least, one per round. A replica above its share always meets that rule
 * (someone then holds less than the share), and a spread of one never moves a lease, so joining and
 * leaving replicas even out without leases moving back and forth.
 */
export function planLeases(input: LeasePlanInput): LeasePlan {
  const { me, held } = input;
  const desired = new Set(input.desired);
  const live = new Set([...input.live, me]);
  const fair = Math.ceil(desired.size / live.size);
  const counts = new Map<string, number>([...live].map((r) => [r, 0]));
  const rows = new Map(input.leases.map((l) => [l.name, l]));
  for (const lease of input.leases) {
    if (lease.holder === me || lease.expired || !desired.has(lease.name) || !live.has(lease.holder)) continue;
    counts.set(lease.holder, (counts.get(lease.holder) ?? 0) + 1);
  }
  counts.set(me, [...held].filter((n) => desired.has(n)).length);

  const forget = [...held].filter((n) => !desired.has(n)).sort();
  const release = [...held]
    .filter((n) => desired.has(n))
    .filter((n) => {
      const wantedBy = rows.get(n)?.wantedBy;
      return wantedBy != null && wantedBy !== me && live.has(wantedBy);
    })
    .sort();

  const mine = (counts.get(me) ?? 0) - release.length;
  const others = [...counts.entries()].filter(([r]) => r !== me).map(([, n]) => n);
  const least = others.length > 0 ? Math.min(...others) : mine;
  if (release.length === 0 && mine - least > 1) {
    const keep = [...held].filter((n) => desired.has(n)).sort();
    const last = keep[keep.length - 1];
    if (last !== undefined) release.push(last);
  }

  const acquire: string[] = [];
  const missing = fair - mine;
  if (missing > 0 && release.length === 0) {
    const candidates = [...desired].filter((name) => {
      if (held.has(name)) return false;
      const row = rows.get(name);
      if (input.cooldown.has(name) && (row === undefined || row.holder === me)) return false;
      if (row === undefined) return true;
      if (row.wantedBy != null && row.wantedBy !== me && live.has(row.wantedBy)) return false;
      return row.expired || row.holder === me || !live.has(row.holder) || row.wantedBy === me;
    });
    candidates.sort((a, b) => rank(me, a) - rank(me, b));
    acquire.push(...candidates.slice(0, missing));
  }
  return { acquire, release, forget };
}
