/** Statuses over `STATUS_LIMITS` are refused whole, with a message that names the field, not its value. */
import { describe, expect, it } from 'vitest';
import type { DeepPartial, WorkspaceStatus } from '../../src/generated/wsman/core.js';
import { STATUS_LIMITS, validateStatus } from '../../src/sync/validate-status.js';
import { wireStatus } from '../helpers/statuses.js';

const TEXT = STATUS_LIMITS.textLength;
const ID = STATUS_LIMITS.idLength;
const long = (n: number): string => 'x'.repeat(n);
const ports = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ port: 1024 + i, url: `https://${i}.example.test` }));
const annotations = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, 'v']));

const refused: [string, DeepPartial<WorkspaceStatus>, string][] = [
  ['instance id', { id: long(ID + 1) }, `the instance id has ${ID + 1} characters, more than ${ID}`],
  ['workspace id', { metadata: { metaId: long(ID + 1) } }, `metadata.metaId has ${ID + 1} characters`],
  ['owner id', { metadata: { owner: long(ID + 1) } }, `metadata.owner has ${ID + 1} characters`],
  ['message', { message: long(TEXT + 1) }, `message has ${TEXT + 1} characters, more than ${TEXT}`],
  ['ide url', { spec: { url: long(TEXT + 1) } }, 'spec.url has'],
  ['timeout', { spec: { timeout: long(TEXT + 1) } }, 'spec.timeout has'],
  [
    'failure',
    { conditions: { failed: long(10 * 1024 * 1024) } },
    `conditions.failed has ${10 * 1024 * 1024} characters`,
  ],
  [
    'headless task failure',
    { conditions: { headlessTaskFailed: long(TEXT + 1) } },
    'conditions.headlessTaskFailed has',
  ],
  ['snapshot', { conditions: { snapshot: long(TEXT + 1) } }, 'conditions.snapshot has'],
  ['node name', { runtime: { nodeName: long(TEXT + 1) } }, 'runtime.nodeName has'],
  ['owner token', { auth: { ownerToken: long(TEXT + 1) } }, 'auth.ownerToken has'],
  [
    '10,000 exposed ports',
    { spec: { exposedPorts: ports(10_000) } },
    'spec.exposedPorts has 10000 entries, more than 1000',
  ],
  [
    'a port url',
    { spec: { exposedPorts: [{ port: 3000, url: long(TEXT + 1) }] } },
    'the url of exposed port 3000 has',
  ],
  [
    'annotations',
    { metadata: { annotations: annotations(STATUS_LIMITS.entries + 1) } },
    'metadata.annotations has 1001 entries',
  ],
  ['an annotation', { metadata: { annotations: { note: long(TEXT + 1) } } }, 'annotation note has'],
];

describe('status limits', () => {
  it.each(refused)('refuses an oversized %s, naming it', (_name, overrides, message) => {
    expect.hasAssertions();
    const result = validateStatus(wireStatus(overrides));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('too-large');
    expect(result.message).toContain(message);
    // The message never carries the value, and stays one short line.
    expect(result.message).not.toContain('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    expect(result.message.length).toBeLessThan(200);
  });

  it('accepts everything at the limits', () => {
    const result = validateStatus(
      wireStatus({
        id: long(ID),
        message: long(TEXT),
        spec: { url: long(TEXT), exposedPorts: ports(STATUS_LIMITS.entries) },
        conditions: { failed: long(TEXT) },
        metadata: { annotations: annotations(STATUS_LIMITS.entries) },
      }),
    );
    expect(result.ok).toBe(true);
  });
});
