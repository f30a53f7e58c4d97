/**
 * Every metric the bridge exports, declared in one place on a registry the composition root creates.
 * Names of the original bridge are kept; new metrics use the `gitpod_ws_manager_bridge_` prefix.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import { CounterTally } from './counter-tally.js';

const P = 'gitpod_ws_manager_bridge_';

/** Values read at scrape time; the composition root points them at the live components. */
export interface GaugeSources {
  notificationsPending: () => number;
  instancesTracked: () => number;
  instancesDirty: () => number;
}

function buildMetrics(options: { defaultMetrics?: boolean }) {
  const registry = new Registry();
  const sources: GaugeSources = {
    notificationsPending: () => 0,
    instancesTracked: () => 0,
    instancesDirty: () => 0,
  };
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Counted once or more per status: see counter-tally.ts. Each feeds its counter when collected.
  const statusUpdatesTally = new CounterTally('workspace_cluster', 'known_instance');
  const updateStartedTally = new CounterTally('workspace_cluster', 'workspace_instance_type');
  const clusterMessagesTally = new CounterTally('workspace_cluster', 'source');
  return {
    registry,
    sources,
    statusUpdatesTally,
    updateStartedTally,
    clusterMessagesTally,
    workspaceStartupTime: new Histogram({
      name: 'workspace_startup_time',
      help: 'Seconds from instance creation to its first RUNNING status',
      labelNames: ['neededImageBuild', 'region'] as const,
      buckets: exponentialBuckets(2, 2, 10),
      registers,
    }),
    firstUserActivityTime: new Histogram({
      name: 'first_user_activity_time',
      help: 'Seconds from an instance starting to its first user activity',
      labelNames: ['region'] as const,
      buckets: exponentialBuckets(2, 2, 10),
      registers,
    }),
    clusterScore: new Gauge({
      name: `${P}cluster_score`,
      help: 'Score of each known workspace cluster',
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    clusterCordoned: new Gauge({
      name: `${P}cluster_cordoned`,
      help: '1 when a workspace cluster is cordoned, else 0',
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    statusUpdatesTotal: new Counter({
      name: `${P}status_updates_total`,
      help: 'Status updates processed, by whether the instance is known to the database',
      labelNames: ['workspace_cluster', 'known_instance'] as const,
      registers,
      collect() {
        statusUpdatesTally.flushInto(this);
      },
    }),
    staleStatusUpdatesTotal: new Counter({
      name: `${P}stale_status_updates_total`,
      help: 'Status updates skipped because their status_version was not newer than the stored one',
      registers,
    }),
    stalePrebuildEventsTotal: new Counter({
      name: `${P}stale_prebuild_events_total`,
      help: 'Prebuild status events skipped because they were not newer than the stored one',
      registers,
    }),
    updateStartedTotal: new Counter({
      name: `${P}workspace_instance_update_started_total`,
      help: 'Valid status updates received',
      labelNames: ['workspace_cluster', 'workspace_instance_type'] as const,
      registers,
      collect() {
        updateStartedTally.flushInto(this);
      },
    }),
    updateCompletedSeconds: new Histogram({
      name: `${P}workspace_instance_update_completed_seconds`,
      help: 'Seconds from receiving a status update to its outcome (committed, skipped or failed)',
      labelNames: ['workspace_cluster', 'workspace_instance_type', 'outcome'] as const,
      buckets: exponentialBuckets(0.05, 2, 8),
      registers,
    }),
    invalidStatusUpdatesTotal: new Counter({
      name: `${P}invalid_status_updates_total`,
      help: 'Status updates rejected as malformed, by reason',
      labelNames: ['workspace_cluster', 'reason'] as const,
      registers,
    }),
    prebuildsCompletedTotal: new Counter({
      name: 'gitpod_prebuilds_completed_total',
      help: 'Prebuilds that reached a final state',
      labelNames: ['state'] as const,
      registers,
    }),
    instancesMarkedStoppedTotal: new Counter({
      name: 'gitpod_ws_instances_marked_stopped_total',
      help: 'Instances the bridge marked stopped itself, by their previous phase',
      labelNames: ['previous_phase'] as const,
      registers,
    }),
    redisUpdatesPublishedTotal: new Counter({
      name: 'gitpod_redis_updates_published_total',
      help: 'Notifications published, by type and whether publishing failed',
      labelNames: ['type', 'error'] as const,
      registers,
    }),
    notificationsPending: new Gauge({
      name: `${P}notifications_pending`,
      help: 'Notifications committed to the database and not yet delivered',
      registers,
      collect() {
        this.set(sources.notificationsPending());
      },
    }),
    dbBatchesTotal: new Counter({
      name: `${P}db_batches_total`,
      help: 'Write transactions, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    dbBatchRows: new Histogram({
      name: `${P}db_batch_rows`,
      help: 'Instance rows per write transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers,
    }),
    dbBatchSeconds: new Histogram({
      name: `${P}db_batch_seconds`,
      help: 'Duration of write transactions',
      buckets: exponentialBuckets(0.0005, 2, 14),
      registers,
    }),
    dbWriteConflictsTotal: new Counter({
      name: `${P}db_write_conflicts_total`,
      help: 'Instance writes refused because the database held a newer status_version',
      registers,
    }),
    dbLoadErrorsTotal: new Counter({
      name: `${P}db_load_errors_total`,
      help: 'Failed reads of instance rows (retried)',
      registers,
    }),
    instancesTracked: new Gauge({
      name: `${P}instances_tracked`,
      help: 'Instances with state held in memory by the sync engine',
      registers,
      collect() {
        this.set(sources.instancesTracked());
      },
    }),
    instancesForgottenTotal: new Counter({
      name: `${P}instances_forgotten_total`,
      help: 'Cached instances the sync engine let go, read again on their next status: limit (over BRIDGE_MAX_INSTANCES) or quiet (no status for 30 minutes)',
      labelNames: ['reason'] as const,
      registers,
    }),
    instancesDirty: new Gauge({
      name: `${P}instances_dirty`,
      help: 'Instances with reduced changes not yet committed',
      registers,
      collect() {
        this.set(sources.instancesDirty());
      },
    }),
    clusterStreamState: new Gauge({
      name: `${P}cluster_stream_state`,
      help: '1 for the current state of each cluster stream',
      labelNames: ['workspace_cluster', 'state'] as const,
      registers,
    }),
    clusterDisconnected: new Gauge({
      name: `${P}cluster_disconnected`,
      help: "1 while a cluster's ws-manager has been unreachable for longer than the max disconnect time",
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    controllerTicksTotal: new Counter({
      name: `${P}controller_ticks_total`,
      help: 'Instance controller runs, by cluster and outcome (ok, unreachable: ws-manager did not answer, error)',
      labelNames: ['workspace_cluster', 'outcome'] as const,
      registers,
    }),
    clusterLeaseHeld: new Gauge({
      name: `${P}cluster_lease_held`,
      help: '1 for every cluster lease (and the installation lease) this replica holds',
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    clusterLeaseTakeoversTotal: new Counter({
      name: `${P}cluster_lease_takeovers_total`,
      help: 'Leases this replica took from another replica (expired, released or abandoned)',
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    dbWritesFencedTotal: new Counter({
      name: `${P}db_writes_fenced_total`,
      help: 'Instance writes not committed because this replica no longer held their cluster lease',
      registers,
    }),
    clusterReconnectsTotal: new Counter({
      name: `${P}cluster_reconnects_total`,
      help: 'Stream (re)connect attempts after a failure or end, by cluster',
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    clusterStreamHoldsTotal: new Counter({
      name: `${P}cluster_stream_holds_total`,
      help: 'Times a cluster stream was paused because the bridge had too many writes and reads outstanding',
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    clusterStreamHeldSeconds: new Counter({
      name: `${P}cluster_stream_held_seconds_total`,
      help: 'Time cluster streams spent paused for the backlog, counted when each pause ends',
      labelNames: ['workspace_cluster'] as const,
      registers,
    }),
    clusterMessagesTotal: new Counter({
      name: `${P}cluster_messages_total`,
      help: 'Statuses received from ws-manager, by cluster and source (snapshot or stream)',
      labelNames: ['workspace_cluster', 'source'] as const,
      registers,
      collect() {
        clusterMessagesTally.flushInto(this);
      },
    }),
  };
}

/** The bridge's metric set and the registry that holds it. */
export type Metrics = ReturnType<typeof buildMetrics>;

/** Creates the metric set on a fresh registry (tests create one each). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  return buildMetrics(options);
}
