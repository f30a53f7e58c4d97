import { describe, expect, it } from 'vitest';
import type { DeepPartial, WorkspaceStatus } from '../../src/generated/wsman/core.js';
import {
  PortProtocol,
  PortVisibility,
  WorkspaceConditionBool,
  WorkspacePhase,
} from '../../src/generated/wsman/core.js';
import type { InstanceMetrics, InstanceRecord, InstanceStatus } from '../../src/store/types.js';
import type { ReducerCase } from '../helpers/reductions.js';
import { expectReduction, reduceFrozen } from '../helpers/reductions.js';
import { OBSERVED_AT, OWNER_TOKEN, instanceRecord } from '../helpers/statuses.js';

const EARLIER = '2024-05-01T09:59:30.000Z';
const T = OBSERVED_AT;
const { TRUE, FALSE, EMPTY } = WorkspaceConditionBool;
const { RUNNING, CREATING } = WorkspacePhase;

function withStatus(
  status: Partial<InstanceStatus>,
  row: Parameters<typeof instanceRecord>[0] = {},
): InstanceRecord {
  return instanceRecord({ ...row, row: { ...row.row, status: { conditions: {}, ...status } } });
}

function running(status: Partial<InstanceStatus>, metrics: InstanceMetrics | null = null): InstanceRecord {
  return withStatus(status, {
    row: { phase: 'running', startedTime: EARLIER, statusVersion: 100n },
    metrics,
  });
}

/** The record a status leaves behind, as the store would hold it after applying it. */
function settled(status: DeepPartial<WorkspaceStatus>): InstanceRecord {
  const reduction = reduceFrozen(instanceRecord(), { ...status, statusVersion: 100n });
  if (reduction.kind !== 'apply') throw new Error(`expected apply, got ${reduction.reason}`);
  return instanceRecord({
    row: { ...reduction.row, updatedAt: EARLIER },
    metrics: reduction.metrics ?? null,
  });
}

const activity = new Date('2024-05-01T09:59:45.000Z');
const runningStatus: DeepPartial<WorkspaceStatus> = {
  phase: RUNNING,
  runtime: { nodeName: 'node-a', podName: 'ws-inst-1', nodeIp: '10.0.0.1' },
  conditions: { deployed: TRUE, firstUserActivity: activity, failed: 'OOM killed' },
  metadata: { metrics: { image: { totalSize: 300n, workspaceImageSize: 200n } } },
};

const identicalTable: ReducerCase[] = [
  {
    name: 'identical ignoring status_version: skipped, the incoming version remembered',
    current: settled(runningStatus),
    status: { ...runningStatus, statusVersion: 101n },
    expected: { kind: 'skip', reason: 'identical', statusVersion: 101n, events: [] },
  },
  {
    name: 'identical and unversioned: skipped, the stored version remembered',
    current: settled(runningStatus),
    status: { ...runningStatus, statusVersion: 0n },
    expected: { kind: 'skip', reason: 'identical', statusVersion: 100n, events: [] },
  },
  {
    name: 'identical once first activity and failure are kept',
    current: settled(runningStatus),
    status: {
      ...runningStatus,
      statusVersion: 101n,
      conditions: { ...runningStatus.conditions, firstUserActivity: undefined, failed: '' },
    },
    expected: {
      kind: 'skip',
      reason: 'identical',
      statusVersion: 101n,
      events: [{ type: 'failed-condition-kept' }],
    },
  },
  {
    name: 'same row but new initializer metrics: applied for the metrics',
    current: settled(runningStatus),
    status: {
      ...runningStatus,
      statusVersion: 101n,
      initializerMetrics: { git: { duration: { seconds: 2n, nanos: 0 }, size: 1024n } },
    },
    expected: {
      kind: 'apply',
      row: { statusVersion: 101n, updatedAt: T },
      metrics: {
        image: { totalSize: 300, workspaceImageSize: 200 },
        initializerMetrics: { git: { duration: 2000, size: 1024 } },
      },
    },
  },
  {
    name: 'a changed message is not identical',
    current: settled(runningStatus),
    status: { ...runningStatus, statusVersion: 101n, message: 'heartbeat missed' },
    expected: { kind: 'apply', row: { statusVersion: 101n, status: { message: 'heartbeat missed' } } },
  },
];

const fieldTable: ReducerCase[] = [
  {
    name: 'spec and message copied, owner token overwritten',
    current: withStatus(
      { ownerToken: 'old-token', message: 'old', timeout: '60m0s' },
      { row: { ideUrl: 'https://old' } },
    ),
    status: { message: 'pulling', spec: { url: 'https://new', timeout: '30m0s' } },
    expected: {
      kind: 'apply',
      row: {
        ideUrl: 'https://new',
        status: { ownerToken: OWNER_TOKEN, message: 'pulling', timeout: '30m0s' },
      },
    },
  },
  {
    name: 'ports mapped: public/private, http/https; unknown visibility left out',
    current: withStatus({ exposedPorts: [{ port: 1, visibility: 'public', url: 'u', protocol: 'http' }] }),
    status: {
      spec: {
        exposedPorts: [
          {
            port: 3000,
            visibility: PortVisibility.PORT_VISIBILITY_PUBLIC,
            url: 'https://3000-x',
            protocol: PortProtocol.PORT_PROTOCOL_HTTPS,
          },
          {
            port: 8080,
            visibility: PortVisibility.PORT_VISIBILITY_PRIVATE,
            url: 'https://8080-x',
            protocol: PortProtocol.PORT_PROTOCOL_HTTP,
          },
          { port: 9000, visibility: 7 as PortVisibility, url: '', protocol: 9 as PortProtocol },
        ],
      },
    },
    expected: {
      kind: 'apply',
      row: {
        status: {
          exposedPorts: [
            { port: 3000, visibility: 'public', url: 'https://3000-x', protocol: 'https' },
            { port: 8080, visibility: 'private', url: 'https://8080-x', protocol: 'http' },
            { port: 9000, visibility: undefined, url: '', protocol: 'http' },
          ],
        },
      },
    },
  },
  {
    name: 'ports replaced by none',
    current: withStatus({ exposedPorts: [{ port: 1, visibility: 'public', url: 'u', protocol: 'http' }] }),
    status: { spec: { exposedPorts: [] } },
    expected: { kind: 'apply', row: { status: { exposedPorts: [] } } },
  },
  {
    name: 'node and pod: first write wins, missing ones filled',
    current: withStatus({ nodeName: 'node-a', podName: 'pod-a' }),
    status: { runtime: { nodeName: 'node-b', podName: 'pod-b', nodeIp: '10.0.0.2' } },
    expected: {
      kind: 'apply',
      row: { status: { nodeName: 'node-a', podName: 'pod-a', nodeIp: '10.0.0.2' } },
    },
  },
  {
    name: 'node and pod kept when runtime is absent',
    current: withStatus({ nodeName: 'node-a', podName: 'pod-a', nodeIp: '10.0.0.1' }),
    status: { runtime: undefined, message: 'x' },
    expected: {
      kind: 'apply',
      row: { status: { nodeName: 'node-a', podName: 'pod-a', nodeIp: '10.0.0.1' } },
    },
  },
  {
    name: 'conditions: TRUE/FALSE/EMPTY, strings copied, neededImageBuild kept',
    current: withStatus({ conditions: { neededImageBuild: true, pullingImages: true } }),
    status: {
      conditions: {
        pullingImages: FALSE,
        deployed: EMPTY,
        stoppedByRequest: TRUE,
        timeout: 'headless timed out',
        headlessTaskFailed: 'task failed',
      },
    },
    expected: {
      kind: 'apply',
      row: {
        deployedTime: null,
        status: {
          conditions: {
            neededImageBuild: true,
            pullingImages: false,
            deployed: undefined,
            stoppedByRequest: true,
            timeout: 'headless timed out',
            headlessTaskFailed: 'task failed',
            failed: '',
          },
        },
      },
    },
  },
  {
    name: 'deployedTime set when deployed becomes true',
    current: withStatus({}),
    status: { conditions: { deployed: TRUE } },
    expected: { kind: 'apply', row: { deployedTime: T, status: { conditions: { deployed: true } } } },
  },
  {
    name: 'deployedTime set only once',
    current: withStatus({ conditions: { deployed: true } }, { row: { deployedTime: EARLIER } }),
    status: { conditions: { deployed: TRUE }, message: 'x' },
    expected: { kind: 'apply', row: { deployedTime: EARLIER } },
  },
  {
    name: 'failed kept when the incoming one is empty',
    current: withStatus({ conditions: { failed: 'OOM killed' } }),
    status: { conditions: { failed: '' } },
    expected: {
      kind: 'apply',
      row: { status: { conditions: { failed: 'OOM killed' } } },
      events: [{ type: 'failed-condition-kept' }],
    },
  },
  {
    name: 'failed replaced by a non-empty one',
    current: withStatus({ conditions: { failed: 'OOM killed' } }),
    status: { conditions: { failed: 'disk full' } },
    expected: { kind: 'apply', row: { status: { conditions: { failed: 'disk full' } } } },
  },
  {
    name: 'first user activity: event once startedTime is set',
    current: running({}),
    status: { phase: RUNNING, statusVersion: 101n, conditions: { firstUserActivity: activity } },
    expected: {
      kind: 'apply',
      row: { status: { conditions: { firstUserActivity: activity.toISOString() } } },
      events: [{ type: 'first-user-activity', secondsSinceStart: 15 }],
    },
  },
  {
    name: 'first user activity in the same status as the first RUNNING (never negative)',
    current: withStatus({}, { row: { phase: 'initializing' } }),
    status: { phase: RUNNING, conditions: { firstUserActivity: activity } },
    expected: {
      kind: 'apply',
      row: { startedTime: T, status: { conditions: { firstUserActivity: activity.toISOString() } } },
      events: [
        { type: 'started', startupSeconds: 60 },
        { type: 'first-user-activity', secondsSinceStart: 0 },
      ],
    },
  },
  {
    name: 'first user activity before startedTime: stored, no event',
    current: withStatus({}, { row: { phase: 'pending' } }),
    status: { phase: CREATING, conditions: { firstUserActivity: activity } },
    expected: {
      kind: 'apply',
      row: { startedTime: null, status: { conditions: { firstUserActivity: activity.toISOString() } } },
    },
  },
  {
    name: 'first user activity never cleared by a status without it',
    current: running({ conditions: { firstUserActivity: EARLIER } }),
    status: { phase: RUNNING, statusVersion: 101n, message: 'x' },
    expected: { kind: 'apply', row: { status: { conditions: { firstUserActivity: EARLIER } } } },
  },
  {
    name: 'status image metrics: first non-zero size wins; metrics row takes the reported sizes',
    current: withStatus({ metrics: { image: { totalSize: 100 } } }),
    status: { metadata: { metrics: { image: { totalSize: 200n, workspaceImageSize: 50n } } } },
    expected: {
      kind: 'apply',
      row: { status: { metrics: { image: { totalSize: 100, workspaceImageSize: 50 } } } },
      metrics: { image: { totalSize: 200, workspaceImageSize: 50 } },
    },
  },
  {
    name: 'zero image sizes mean unknown: nothing recorded',
    current: withStatus({}),
    status: { metadata: { metrics: { image: { totalSize: 0n, workspaceImageSize: 0n } } } },
    expected: { kind: 'apply', row: { status: { metrics: undefined } }, metrics: undefined },
  },
  {
    name: 'metrics deep-merged: stored kept, durationless metric ignored, nanos fractional',
    current: running(
      {},
      { image: { totalSize: 100 }, initializerMetrics: { git: { duration: 1000, size: 10 } } },
    ),
    status: {
      statusVersion: 101n,
      initializerMetrics: {
        git: { size: 99n },
        fileDownload: { duration: { seconds: 2n, nanos: 500_250_000 }, size: 2048n },
      },
    },
    expected: {
      kind: 'apply',
      row: {},
      metrics: {
        image: { totalSize: 100 },
        initializerMetrics: {
          git: { duration: 1000, size: 10 },
          fileDownload: { duration: 2500.25, size: 2048 },
        },
      },
    },
  },
  {
    name: 'metrics undefined when the merge changes nothing',
    current: running({}, { image: { totalSize: 300 } }),
    status: {
      phase: RUNNING,
      statusVersion: 101n,
      message: 'x',
      metadata: { metrics: { image: { totalSize: 300n } } },
    },
    expected: { kind: 'apply', row: { status: { message: 'x' } }, metrics: undefined },
  },
];

describe('reduceStatus: identical statuses', () => {
  it.each(identicalTable)('$name', ({ current, status, expected }) => {
    expectReduction(reduceFrozen(current, status), expected);
  });
});

describe('reduceStatus: field mapping', () => {
  it.each(fieldTable)('$name', ({ current, status, expected }) => {
    expectReduction(reduceFrozen(current, status), expected);
  });

  it('keeps the owner token out of events', () => {
    const reduction = reduceFrozen(withStatus({}), {
      phase: RUNNING,
      conditions: { firstUserActivity: activity },
    });
    expect(JSON.stringify(reduction.events)).not.toContain(OWNER_TOKEN);
  });
});
