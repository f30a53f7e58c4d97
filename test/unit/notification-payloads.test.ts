import { describe, expect, it } from 'vitest';
import {
  headlessEventPayload,
  headlessMessage,
  instanceUpdateMessage,
  instanceUpdatePayload,
  lifecycleEventPayload,
  lifecycleMessage,
  messageKind,
  prebuildMessage,
  prebuildUpdatePayload,
  type LifecycleEvent,
  type PrebuildUpdate,
} from '../../src/pubsub/payloads.js';
import type { InstanceConditions } from '../../src/store/types.js';

describe('instanceUpdatePayload', () => {
  it('writes exactly the three ids in the original key order', () => {
    // Keys given in another order on purpose: the payload order must not depend on the input.
    const payload = instanceUpdatePayload({ workspaceID: 'ws-1', instanceID: 'inst-1', ownerID: 'user-1' });
    expect(payload).toBe('{"ownerID":"user-1","instanceID":"inst-1","workspaceID":"ws-1"}');
  });

  it('leaves out fields that are not part of the payload', () => {
    const extra = { ownerID: 'u', instanceID: 'i', workspaceID: 'w', ownerToken: 'secret' };
    expect(instanceUpdatePayload(extra)).toBe('{"ownerID":"u","instanceID":"i","workspaceID":"w"}');
  });

  it('escapes like JSON.stringify', () => {
    expect(instanceUpdatePayload({ ownerID: 'a"b', instanceID: 'c\\d', workspaceID: 'é' })).toBe(
      '{"ownerID":"a\\"b","instanceID":"c\\\\d","workspaceID":"é"}',
    );
  });
});

describe('prebuildUpdatePayload', () => {
  const base: PrebuildUpdate = {
    projectID: 'p-1',
    prebuildID: 'pb-1',
    status: 'building',
    workspaceID: 'ws-1',
  };
  it.each<[string, PrebuildUpdate, string]>([
    [
      'without organization',
      base,
      '{"projectID":"p-1","prebuildID":"pb-1","status":"building","workspaceID":"ws-1"}',
    ],
    [
      'with organization last',
      { ...base, organizationID: 'org-1' },
      '{"projectID":"p-1","prebuildID":"pb-1","status":"building","workspaceID":"ws-1","organizationID":"org-1"}',
    ],
    [
      'organization explicitly undefined',
      { ...base, organizationID: undefined },
      '{"projectID":"p-1","prebuildID":"pb-1","status":"building","workspaceID":"ws-1"}',
    ],
    [
      'organization null (workspace without one)',
      { ...base, organizationID: null },
      '{"projectID":"p-1","prebuildID":"pb-1","status":"building","workspaceID":"ws-1"}',
    ],
    [
      'no project (null)',
      { ...base, projectID: null, status: 'aborted' },
      '{"projectID":"","prebuildID":"pb-1","status":"aborted","workspaceID":"ws-1"}',
    ],
    [
      'no project (undefined)',
      { ...base, projectID: undefined, status: 'available' },
      '{"projectID":"","prebuildID":"pb-1","status":"available","workspaceID":"ws-1"}',
    ],
  ])('%s', (_name, update, expected) => {
    expect(prebuildUpdatePayload(update)).toBe(expected);
  });
});

describe('headlessEventPayload', () => {
  it('writes type then workspaceID', () => {
    expect(headlessEventPayload({ workspaceID: 'ws-1', type: 'finish-success' })).toBe(
      '{"type":"finish-success","workspaceID":"ws-1"}',
    );
  });
});

describe('lifecycleEventPayload', () => {
  const ids = {
    instanceId: 'inst-1',
    workspaceId: 'ws-1',
    ownerId: 'user-1',
    creationTime: '2026-01-02T03:04:05.000Z',
  };
  it.each<[string, LifecycleEvent, string]>([
    [
      'running: the ids and the times',
      { type: 'workspace_running', ...ids, startedTime: '2026-01-02T03:05:00.000Z' },
      '{"type":"workspace_running","messageId":"bridge-wsrun-inst-1","ownerId":"user-1","instanceId":"inst-1",' +
        '"workspaceId":"ws-1","creationTime":"2026-01-02T03:04:05.000Z","startedTime":"2026-01-02T03:05:00.000Z"}',
    ],
    [
      'stopped: the times, the conditions and the timeout',
      {
        type: 'workspace_stopped',
        ...ids,
        startedTime: null,
        stoppingTime: '2026-01-02T03:06:00.000Z',
        stoppedTime: '2026-01-02T03:07:00.000Z',
        conditions: { failed: 'oom', deployed: true },
        timeout: '30m0s',
      },
      '{"type":"workspace_stopped","messageId":"bridge-wsstopped-inst-1","ownerId":"user-1","instanceId":"inst-1",' +
        '"workspaceId":"ws-1","creationTime":"2026-01-02T03:04:05.000Z","startedTime":null,' +
        '"stoppingTime":"2026-01-02T03:06:00.000Z","stoppedTime":"2026-01-02T03:07:00.000Z",' +
        '"conditions":{"failed":"oom","deployed":true},"timeout":"30m0s"}',
    ],
  ])('%s', (_name, event, expected) => {
    expect(lifecycleEventPayload(event)).toBe(expected);
  });

  it('never carries fields beyond the known conditions (no owner token can slip in)', () => {
    // A record read from the database could hold anything in its JSON.
    const conditions = { failed: '', ownerToken: 'secret-token' } as InstanceConditions;
    const payload = lifecycleEventPayload({
      type: 'workspace_stopped',
      ...ids,
      startedTime: null,
      stoppingTime: null,
      stoppedTime: '2026-01-02T03:07:00.000Z',
      conditions,
      timeout: undefined,
    });
    expect(payload).not.toContain('secret-token');
    expect(JSON.parse(payload)).toMatchObject({ conditions: { failed: '' } });
  });
});

describe('message builders', () => {
  it('use the original channels by default', () => {
    const n = { ownerID: 'u', instanceID: 'i', workspaceID: 'w' };
    expect(instanceUpdateMessage(n).channel).toBe('chan:workspace-instances');
    expect(
      prebuildMessage('i', { projectID: 'p', prebuildID: 'b', status: 'queued', workspaceID: 'w' }).channel,
    ).toBe('chan:prebuilds');
    expect(headlessMessage('i', { type: 'started', workspaceID: 'w' }).channel).toBe('chan:headless');
  });

  it('accept another channel and carry the same payload', () => {
    const n = { ownerID: 'u', instanceID: 'i', workspaceID: 'w' };
    expect(instanceUpdateMessage(n, 'test:x')).toEqual({
      channel: 'test:x',
      payload: instanceUpdatePayload(n),
    });
  });

  it('key messages so that one per instance and kind (one per event for lifecycle) is kept', () => {
    const headless = headlessMessage('i-1', { type: 'started', workspaceID: 'w' });
    const prebuild = prebuildMessage('i-1', {
      projectID: 'p',
      prebuildID: 'b',
      status: 'queued',
      workspaceID: 'w',
    });
    const stopped = lifecycleMessage({
      type: 'workspace_stopped',
      instanceId: 'i-1',
      workspaceId: 'w',
      ownerId: 'u',
      creationTime: 't0',
      startedTime: null,
      stoppingTime: null,
      stoppedTime: 't1',
      conditions: {},
      timeout: undefined,
    });
    const running = lifecycleMessage({
      type: 'workspace_running',
      instanceId: 'i-1',
      workspaceId: 'w',
      ownerId: 'u',
      creationTime: 't0',
      startedTime: 't1',
    });
    expect([headless, prebuild, running, stopped].map((m) => [m.key, m.channel, messageKind(m.key)])).toEqual(
      [
        ['headless:i-1', 'chan:headless', 'headless'],
        ['prebuild:i-1', 'chan:prebuilds', 'prebuild'],
        ['lifecycle:bridge-wsrun-i-1', 'chan:workspace-lifecycle', 'workspace-lifecycle'],
        ['lifecycle:bridge-wsstopped-i-1', 'chan:workspace-lifecycle', 'workspace-lifecycle'],
      ],
    );
  });
});
