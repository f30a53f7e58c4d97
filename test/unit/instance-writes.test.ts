/** What goes into one write besides the row: lifecycle events, token revocation, prebuild messages. */
import { describe, expect, it } from 'vitest';
import type { InstanceRecord, InstanceRow } from '../../src/store/types.js';
import { statusChange, stopChange } from '../../src/sync/instance-writes.js';
import { markStopped } from '../../src/sync/mark-stopped.js';
import { lifecycleEffects } from '../../src/sync/side-effects.js';
import { prebuildRow } from '../contract/store-fixtures.js';
import { deepFreeze } from '../helpers/deep-freeze.js';
import { instanceRecord } from '../helpers/statuses.js';

const T1 = '2026-03-01T10:00:00.000Z';
const T2 = '2026-03-01T10:05:00.000Z';

const record = (row: Partial<InstanceRow> = {}, extra: Partial<InstanceRecord> = {}): InstanceRecord =>
  deepFreeze({ ...instanceRecord({ row, ownerId: 'user-1' }), ...extra });

const keys = (messages: readonly { key: string }[] | undefined): string[] =>
  (messages ?? []).map((m) => m.key);

describe('lifecycleEffects', () => {
  it.each<[string, Partial<InstanceRow>, Partial<InstanceRow>, boolean, string[], boolean]>([
    [
      'first RUNNING: a running event',
      { phase: 'creating' },
      { phase: 'running', startedTime: T1 },
      true,
      ['lifecycle:bridge-wsrun-inst-1'],
      false,
    ],
    [
      'a later RUNNING: nothing',
      { phase: 'running', startedTime: T1 },
      { phase: 'running', startedTime: T1 },
      false,
      [],
      false,
    ],
    [
      'into stopped: a stopped event and the revocation',
      { phase: 'stopping', startedTime: T1, stoppingTime: T1 },
      { phase: 'stopped', startedTime: T1, stoppingTime: T1, stoppedTime: T2 },
      false,
      ['lifecycle:bridge-wsstopped-inst-1'],
      true,
    ],
    [
      'a repeated STOPPED: nothing',
      { phase: 'stopped', stoppedTime: T1 },
      { phase: 'stopped', stoppedTime: T1 },
      false,
      [],
      false,
    ],
    [
      'stopping: nothing yet',
      { phase: 'running' },
      { phase: 'stopping', stoppingTime: T1 },
      false,
      [],
      false,
    ],
  ])('%s', (_name, before, after, started, expectedKeys, revokes) => {
    const current = record(before);
    const next = { ...current.row, ...after };
    const effects = lifecycleEffects(current, next, started);
    expect(keys(effects.messages)).toEqual(expectedKeys);
    expect(effects.revokeTokens).toEqual(revokes ? { userId: 'user-1', namePrefix: 'inst-1-' } : undefined);
  });

  it('carries the times, the conditions and the timeout in the stopped event, never the owner token', () => {
    const current = record({
      phase: 'running',
      startedTime: T1,
      status: { conditions: { failed: 'oom' }, timeout: '30m0s', ownerToken: 'very-secret' },
    });
    const stopped = markStopped(current.row, T2) as InstanceRow;
    const [message] = lifecycleEffects(current, stopped, false).messages ?? [];
    expect(message?.channel).toBe('chan:workspace-lifecycle');
    expect(message?.payload).not.toContain('very-secret');
    expect(JSON.parse(message?.payload ?? '{}')).toEqual({
      type: 'workspace_stopped',
      messageId: 'bridge-wsstopped-inst-1',
      ownerId: 'user-1',
      instanceId: 'inst-1',
      workspaceId: 'ws-1',
      creationTime: current.row.creationTime,
      startedTime: T1,
      stoppingTime: T2,
      stoppedTime: T2,
      conditions: { failed: 'oom' },
      timeout: '30m0s',
    });
  });
});

describe('stopChange', () => {
  const stopped = (r: InstanceRecord): InstanceRow => markStopped(r.row, T2) as InstanceRow;

  it('aborts an unfinished prebuild with its headless and prebuild messages, before the lifecycle event', () => {
    const current = record(
      { phase: 'running', workspaceId: 'ws-pb' },
      { prebuild: prebuildRow('pb-1', { state: 'building', statusVersion: 3n }), organizationId: 'org-9' },
    );
    const { record: next, pending } = stopChange(
      current,
      stopped(current),
      { adopt: undefined, lease: 'eu-1' },
      () => undefined,
    );
    expect(pending.write.prebuild).toMatchObject({ id: 'pb-1', state: 'aborted', statusVersion: 3n });
    expect(pending.prebuildCompleted).toBe('aborted');
    expect(next.prebuild?.state).toBe('aborted');
    expect(keys(pending.write.messages)).toEqual([
      'headless:inst-1',
      'prebuild:inst-1',
      'lifecycle:bridge-wsstopped-inst-1',
    ]);
    const [headless, prebuild] = pending.write.messages ?? [];
    expect(headless?.payload).toBe('{"type":"aborted","workspaceID":"ws-pb"}');
    expect(prebuild?.payload).toBe(
      '{"projectID":"project-1","prebuildID":"pb-1","status":"aborted","workspaceID":"ws-pb","organizationID":"org-9"}',
    );
    expect(pending.write.notify).toEqual({ ownerID: 'user-1', instanceID: 'inst-1', workspaceID: 'ws-pb' });
    expect(pending.write.revokeTokens).toEqual({ userId: 'user-1', namePrefix: 'inst-1-' });
    expect(pending.write.previousPhase).toBe('running');
  });

  it('leaves a finished prebuild alone', () => {
    const current = record({ phase: 'stopping' }, { prebuild: prebuildRow('pb-1', { state: 'available' }) });
    const { pending } = stopChange(
      current,
      stopped(current),
      { adopt: undefined, lease: 'eu-1' },
      () => undefined,
    );
    expect(pending.write.prebuild).toBeUndefined();
    expect(pending.prebuildCompleted).toBeUndefined();
    expect(keys(pending.write.messages)).toEqual(['lifecycle:bridge-wsstopped-inst-1']);
  });
});

describe('statusChange', () => {
  it("announces with ws-manager's owner, falling back to the stored owner, and keeps metrics when none change", () => {
    const current = record({}, { metrics: { image: { totalSize: 1 } } });
    const change = {
      row: { ...current.row, phase: 'creating' as const },
      metrics: undefined,
      started: false,
      prebuild: undefined,
      receivedAt: 1,
      lease: 'eu-1',
    };
    const fromStatus = statusChange(current, { ...change, owner: 'user-wsman' }, undefined);
    expect(fromStatus.pending.write.notify.ownerID).toBe('user-wsman');
    // The phase the write follows: the store's hint for leaving an unchanged phase alone.
    expect(fromStatus.pending.write.previousPhase).toBe(current.row.phase);
    expect(fromStatus.pending.write.row.phase).toBe('creating');
    expect(fromStatus.record.metrics).toEqual({ image: { totalSize: 1 } });
    expect(statusChange(current, { ...change, owner: '' }, undefined).pending.write.notify.ownerID).toBe(
      'user-1',
    );
  });
});
