import { describe, expect, it } from 'vitest';
import {
  headlessEventMessage,
  headlessEventPayload,
  instanceUpdateMessage,
  instanceUpdatePayload,
  prebuildUpdateMessage,
  prebuildUpdatePayload,
  type PrebuildUpdate,
} from '../../src/pubsub/payloads.js';

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

describe('message builders', () => {
  it('use the original channels by default', () => {
    const n = { ownerID: 'u', instanceID: 'i', workspaceID: 'w' };
    expect(instanceUpdateMessage(n).channel).toBe('chan:workspace-instances');
    expect(
      prebuildUpdateMessage({ projectID: 'p', prebuildID: 'b', status: 'queued', workspaceID: 'w' }).channel,
    ).toBe('chan:prebuilds');
    expect(headlessEventMessage({ type: 'started', workspaceID: 'w' }).channel).toBe('chan:headless');
  });

  it('accept another channel and carry the same payload', () => {
    const n = { ownerID: 'u', instanceID: 'i', workspaceID: 'w' };
    expect(instanceUpdateMessage(n, 'test:x')).toEqual({
      channel: 'test:x',
      payload: instanceUpdatePayload(n),
    });
  });
});
