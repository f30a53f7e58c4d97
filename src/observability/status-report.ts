/**
 * The JSON behind the status page (`GET /status.json`): every cluster with its stream, last update,
 * lease holder and active instances per phase; update and commit rates; pending notifications; the
 * last warnings. Built from what the bridge already holds plus two database reads.
 */
import type { RateSample } from './rate-history.js';
import type { RecentLogEntry } from './recent-log.js';

/** One cluster on the status page. */
export interface ClusterReport {
  name: string;
  /** From the configuration rather than the database. */
  static: boolean;
  /** This replica's stream state (`streaming`, `backoff`, …), or `not here` when another replica or none streams it. */
  stream: string;
  /** Seconds since the cluster's last status reached this replica; null before the first. */
  lastUpdateAgeSeconds: number | null;
  /** The replica holding the cluster's lease; null when none does. */
  leaseHolder: string | null;
  /** Instances not yet stopped, per phase, from the database. */
  phases: Record<string, number>;
}

/** The whole status report. */
export interface StatusReport {
  generatedAt: string;
  replica: string;
  /** The bridge's lifecycle state. */
  bridge: string;
  clusters: ClusterReport[];
  notificationsPending: number;
  rates: { intervalSeconds: number; samples: RateSample[] };
  /** The last warn/error log lines (newest first) and how many there were since start. */
  warnings: { total: number; recent: RecentLogEntry[] };
}

/** Where the report's parts come from; the composition root points them at the live components. */
export interface StatusSources {
  replica: string;
  bridgeState: () => string;
  /** Stream state of each cluster this replica streams. */
  streams: () => ReadonlyMap<string, string>;
  /** Clusters in the database and in the configuration. */
  knownClusters: () => Promise<readonly { name: string; static: boolean }[]>;
  /** Current lease holder per cluster name. */
  leaseHolders: () => Promise<ReadonlyMap<string, string>>;
  /** How many instances of each cluster are in each phase but `stopped` (one row per pair). */
  activeInstances: () => Promise<readonly { clusterName: string; phase: string; count: number }[]>;
  notificationsPending: () => number;
  rates: () => Promise<RateSample[]>;
  rateIntervalSeconds: number;
  lastUpdate: (cluster: string) => number | undefined;
  warnings: () => { total: number; recent: RecentLogEntry[] };
  /** @default Date.now */
  now?: () => number;
}

/** Builds one report. Rejects when the database cannot answer. */
export async function buildStatusReport(sources: StatusSources): Promise<StatusReport> {
  const now = (sources.now ?? Date.now)();
  const [known, holders, instances, rates] = await Promise.all([
    sources.knownClusters(),
    sources.leaseHolders(),
    sources.activeInstances(),
    sources.rates(),
  ]);
  const streams = sources.streams();
  const phases = new Map<string, Record<string, number>>();
  for (const { clusterName, phase, count } of instances) {
    const counts = phases.get(clusterName) ?? {};
    counts[phase] = (counts[phase] ?? 0) + count;
    phases.set(clusterName, counts);
  }
  const names = new Map<string, boolean>(known.map((c) => [c.name, c.static]));
  // A cluster streamed here or holding instances is shown even when it has left the configuration.
  for (const name of [...streams.keys(), ...phases.keys()]) if (!names.has(name)) names.set(name, false);
  const clusters = [...names.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, isStatic]): ClusterReport => {
      const last = sources.lastUpdate(name);
      return {
        name,
        static: isStatic,
        stream: streams.get(name) ?? 'not here',
        lastUpdateAgeSeconds: last === undefined ? null : Math.max(0, Math.round((now - last) / 1000)),
        leaseHolder: holders.get(name) ?? null,
        phases: phases.get(name) ?? {},
      };
    });
  return {
    generatedAt: new Date(now).toISOString(),
    replica: sources.replica,
    bridge: sources.bridgeState(),
    clusters,
    notificationsPending: sources.notificationsPending(),
    rates: { intervalSeconds: sources.rateIntervalSeconds, samples: rates },
    warnings: sources.warnings(),
  };
}
