import { describe, expect, it } from 'vitest';
import type { DeepPartial, WorkspaceStatus } from '../../src/generated/wsman/core.js';
import { WorkspacePhase, WorkspaceType } from '../../src/generated/wsman/core.js';
import type { InvalidStatusReason } from '../../src/sync/reduction.js';
import { validateStatus } from '../../src/sync/validate-status.js';
import { OWNER_TOKEN, wireStatus } from '../helpers/statuses.js';

interface InvalidCase {
  name: string;
  overrides: DeepPartial<WorkspaceStatus>;
  reason: InvalidStatusReason;
  message: string;
}

const invalidCases: InvalidCase[] = [
  {
    name: 'empty id',
    overrides: { id: '' },
    reason: 'missing-id',
    message: 'invalid status: empty instance id',
  },
  {
    name: 'no metadata',
    overrides: { metadata: undefined },
    reason: 'missing-metadata',
    message: 'invalid status for instance inst-1: metadata is missing',
  },
  {
    name: 'no spec',
    overrides: { spec: undefined },
    reason: 'missing-spec',
    message: 'invalid status for instance inst-1: spec is missing',
  },
  {
    name: 'no conditions',
    overrides: { conditions: undefined },
    reason: 'missing-conditions',
    message: 'invalid status for instance inst-1: conditions are missing',
  },
  {
    name: 'no auth',
    overrides: { auth: undefined },
    reason: 'missing-auth',
    message: 'invalid status for instance inst-1: auth is missing',
  },
  {
    name: 'phase number the decoder kept',
    overrides: { phase: 9 as WorkspacePhase },
    reason: 'unknown-phase',
    message: 'invalid status for instance inst-1: unknown phase 9',
  },
  {
    name: 'UNRECOGNIZED phase',
    overrides: { phase: WorkspacePhase.UNRECOGNIZED },
    reason: 'unknown-phase',
    message: 'invalid status for instance inst-1: unknown phase -1',
  },
  {
    name: 'reserved workspace type (probe)',
    overrides: { spec: { type: 2 as WorkspaceType } },
    reason: 'unknown-type',
    message: 'invalid status for instance inst-1: unknown workspace type 2',
  },
  {
    name: 'status_version 2^63',
    overrides: { statusVersion: 2n ** 63n },
    reason: 'version-out-of-range',
    message: 'invalid status for instance inst-1: status_version 9223372036854775808 exceeds int64',
  },
  {
    name: 'status_version 2^64-1',
    overrides: { statusVersion: 2n ** 64n - 1n },
    reason: 'version-out-of-range',
    message: 'invalid status for instance inst-1: status_version 18446744073709551615 exceeds int64',
  },
];

describe('validateStatus', () => {
  it.each(invalidCases)('rejects $name', ({ overrides, reason, message }) => {
    const result = validateStatus(wireStatus(overrides));
    expect(result).toEqual({ ok: false, reason, message });
  });

  it.each(invalidCases)('never puts the owner token in the message ($name)', ({ overrides }) => {
    const result = validateStatus(wireStatus(overrides));
    expect(JSON.stringify(result)).not.toContain(OWNER_TOKEN);
  });

  it('shortens a very long instance id in the message', () => {
    const id = 'x'.repeat(200);
    const result = validateStatus(wireStatus({ id, auth: undefined }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toBe(`invalid status for instance ${'x'.repeat(64)}…: auth is missing`);
  });

  const validCases: { name: string; overrides: DeepPartial<WorkspaceStatus> }[] = [
    { name: 'a regular pending workspace', overrides: {} },
    { name: 'phase UNKNOWN', overrides: { phase: WorkspacePhase.UNKNOWN } },
    { name: 'phase INTERRUPTED', overrides: { phase: WorkspacePhase.INTERRUPTED } },
    { name: 'a prebuild', overrides: { spec: { type: WorkspaceType.PREBUILD } } },
    { name: 'an image build', overrides: { spec: { type: WorkspaceType.IMAGEBUILD } } },
    { name: 'status_version 0', overrides: { statusVersion: 0n } },
    { name: 'status_version 2^63-1', overrides: { statusVersion: 2n ** 63n - 1n } },
    { name: 'an empty owner token', overrides: { auth: { ownerToken: '' } } },
  ];

  it.each(validCases)('accepts $name and returns the same status', ({ overrides }) => {
    const status = wireStatus(overrides);
    const result = validateStatus(status);
    expect(result).toEqual({ ok: true, status });
  });
});
