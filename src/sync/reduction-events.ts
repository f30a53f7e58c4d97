/** Turns the reducer's events into metric observations and log lines. */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { InstanceRecord } from '../store/types.js';
import type { ReductionEvent } from './reduction.js';

/** Observes startup and first-activity times; logs revivals, ignored statuses and kept failures. */
export function reportEvents(
  sinks: { metrics: Metrics; logger: Logger },
  context: { cluster: string; instanceId: string; workspaceId: string },
  record: InstanceRecord,
  events: readonly ReductionEvent[],
): void {
  const cluster = context.cluster;
  for (const event of events) {
    switch (event.type) {
      case 'started':
        sinks.metrics.workspaceStartupTime.observe(
          {
            neededImageBuild: String(record.row.status.conditions.neededImageBuild ?? false),
            region: cluster,
          },
          event.startupSeconds,
        );
        break;
      case 'first-user-activity':
        sinks.metrics.firstUserActivityTime.observe({ region: cluster }, event.secondsSinceStart);
        break;
      case 'resurrected':
        sinks.logger.warn(
          { ...context, previousPhase: event.previousPhase },
          'newer RUNNING status revives a stopped instance',
        );
        break;
      case 'ignored-after-stopped':
        sinks.logger.info(
          { ...context, phase: event.incomingPhase },
          'ignoring a status for an already stopped instance',
        );
        break;
      case 'failed-condition-kept':
        sinks.logger.warn(context, 'empty "failed" condition received; keeping the stored one');
        break;
    }
  }
}
