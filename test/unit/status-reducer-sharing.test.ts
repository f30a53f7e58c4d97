/** What the reducer reuses from the current row: unchanged parts stay the very objects a record holds. */
import { describe, expect, it } from 'vitest';
import { PortProtocol, PortVisibility, WorkspacePhase } from '../../src/generated/wsman/core.js';
import type { InstanceRecord } from '../../src/store/types.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import { deepFreeze } from '../helpers/deep-freeze.js';
import { instanceRecord, OBSERVED_AT, validStatus } from '../helpers/statuses.js';

const running = {
  phase: WorkspacePhase.RUNNING,
  message: 'workspace is running',
  runtime: { nodeName: 'node-1', podName: 'ws-inst-1', nodeIp: '10.0.0.1' },
  metadata: { metrics: { image: { totalSize: 5n, workspaceImageSize: 3n } } },
  spec: {
    exposedPorts: [
      {
        port: 3000,
        visibility: PortVisibility.PORT_VISIBILITY_PUBLIC,
        url: 'https://3000-ws-1.test',
        protocol: PortProtocol.PORT_PROTOCOL_HTTPS,
      },
    ],
  },
};

function applied(current: InstanceRecord, version: bigint, extra = {}): InstanceRecord {
  const reduction = reduceStatus(
    deepFreeze(current),
    deepFreeze(validStatus({ ...running, ...extra, statusVersion: version })),
    OBSERVED_AT,
  );
  if (reduction.kind !== 'apply') throw new Error(`expected an apply, got ${reduction.reason}`);
  return { ...current, row: reduction.row, metrics: reduction.metrics ?? current.metrics };
}

describe('reduceStatus reuses what does not change', () => {
  it('keeps the conditions, ports, image metrics and strings of the current row', () => {
    const first = applied(instanceRecord({ row: { phase: 'creating' } }), 101n);
    const second = applied(first, 102n, { message: 'workspace is running, now with a new message' });
    const before = first.row.status;
    const after = second.row.status;
    expect(after.message).toBe('workspace is running, now with a new message');
    expect(after.conditions).toBe(before.conditions);
    expect(after.exposedPorts).toBe(before.exposedPorts);
    expect(after.metrics).toBe(before.metrics);
    expect(after.ownerToken).toBe(before.ownerToken);
    expect(after.nodeName).toBe(before.nodeName);
  });

  it('builds new parts when they change', () => {
    const first = applied(instanceRecord({ row: { phase: 'creating' } }), 101n);
    const ports = [{ port: 8080, visibility: PortVisibility.PORT_VISIBILITY_PRIVATE, url: '', protocol: 0 }];
    const second = applied(first, 102n, { spec: { exposedPorts: ports }, conditions: { failed: 'oom' } });
    expect(second.row.status.exposedPorts).toEqual([
      { port: 8080, visibility: 'private', url: '', protocol: 'http' },
    ]);
    expect(second.row.status.conditions.failed).toBe('oom');
    expect(second.row.status.conditions).not.toBe(first.row.status.conditions);
  });
});
