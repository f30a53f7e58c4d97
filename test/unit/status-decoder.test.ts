/** The lean decoder gives what the generated decoder gives, minus the fields the bridge never reads. */
import { describe, expect, it } from 'vitest';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import {
  GetWorkspacesResponse,
  SubscribeResponse,
  WorkspaceStatus,
  WorkspaceType,
  type DeepPartial,
  type WorkspaceConditionBool,
} from '../../src/generated/wsman/core.js';
import { createTemplate, LIFECYCLE_STEPS, statusAt } from '../../src/wsman/simulator/index.js';
import { createTenants, syntheticRequest } from '../../src/wsman/simulator/synthetic-request.js';
import { ProtoDecodeError } from '../../src/wsman/proto-reader.js';
import { decodeGetWorkspacesResponse, decodeSubscribeResponse } from '../../src/wsman/status-decoder.js';

/** What the lean decoder leaves at its default: fields no part of the bridge reads. */
function withoutSkipped(status: WorkspaceStatus): WorkspaceStatus {
  const spec = status.spec && {
    ...status.spec,
    workspaceImage: '',
    ideImage: undefined,
    class: '',
    ideImageLayers: [],
    closedTimeout: '',
  };
  const conditions = status.conditions && { ...status.conditions, volumeSnapshot: undefined };
  return { ...status, repo: undefined, spec, conditions };
}

function simulatorStatuses(): WorkspaceStatus[] {
  const tenants = createTenants(4);
  const statuses: WorkspaceStatus[] = [];
  for (const [n, prebuildEvery] of [
    [0, 0],
    [1, 1],
    [2, 1],
  ] as const) {
    const request = syntheticRequest(n, tenants, prebuildEvery);
    const template = createTemplate({
      request,
      domain: 'ws.sim.test',
      defaultClass: 'g1-standard',
      ownerToken: 'tok-ü-✓',
      startedAt: new Date('2024-05-01T10:00:00.123Z'),
      seed: 7 + n,
    });
    let prev: WorkspaceStatus | undefined;
    LIFECYCLE_STEPS.forEach((step, i) => {
      const now = new Date(Date.UTC(2024, 4, 1, 10, 0, i, 456));
      const stop = { byRequest: i % 2 === 0, aborted: i === 6 };
      prev = statusAt(template, prev, { step, version: 2n ** 40n + BigInt(i), now, stop });
      statuses.push(prev);
    });
  }
  return statuses;
}

const EDGE_CASES: DeepPartial<WorkspaceStatus>[] = [
  {},
  { id: 'only-id' },
  { id: 'x', statusVersion: 2n ** 64n - 1n, phase: 7 },
  { id: 'neg', metadata: { metrics: { image: { totalSize: -5n, workspaceImageSize: 2n ** 62n } } } },
  { id: 'ts', metadata: { startedAt: new Date(-1234567) }, conditions: { firstUserActivity: new Date(0) } },
  { id: 'anno', metadata: { annotations: { a: '', '': 'empty key', ü: '✓' }, team: '', project: 'p' } },
  {
    id: 'init',
    initializerMetrics: {
      fileDownload: { duration: { seconds: 2n, nanos: 5 }, size: 0n },
      backup: { duration: undefined, size: 2n ** 63n },
    },
  },
  { id: 'ports', spec: { exposedPorts: [{}, { port: 65535, visibility: 1, url: 'u', protocol: 1 }] } },
  // Values no enum knows, negative ones too, pass through as numbers (validation judges them).
  {
    id: 'neg-enum',
    phase: -1,
    spec: { type: -3 as WorkspaceType },
    conditions: { deployed: 9 as WorkspaceConditionBool },
  },
];

describe('lean status decoder', () => {
  it('decodes every field the bridge reads exactly as the generated decoder does', () => {
    const statuses = [...simulatorStatuses(), ...EDGE_CASES.map((s) => WorkspaceStatus.fromPartial(s))];
    for (const status of statuses) {
      const bytes = SubscribeResponse.encode({ status, header: { h: 'v' } }).finish();
      const expected = SubscribeResponse.decode(bytes);
      const lean = decodeSubscribeResponse(bytes);
      expect(lean.status).toStrictEqual(withoutSkipped(expected.status as WorkspaceStatus));
      expect(lean.header).toEqual({ h: 'v' });
    }
  });

  it('reads the trace context header, and gives an empty one when none is sent', () => {
    const status = simulatorStatuses()[0];
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const header = { traceparent, tracestate: 'k=v' };
    expect(decodeSubscribeResponse(SubscribeResponse.encode({ status, header }).finish()).header).toEqual(
      header,
    );
    expect(decodeSubscribeResponse(SubscribeResponse.encode({ status, header: {} }).finish()).header).toEqual(
      {},
    );
  });

  it('decodes a GetWorkspaces snapshot, empty or not', () => {
    const status = simulatorStatuses();
    const bytes = GetWorkspacesResponse.encode({ status }).finish();
    expect(decodeGetWorkspacesResponse(bytes).status).toStrictEqual(
      GetWorkspacesResponse.decode(bytes).status.map(withoutSkipped),
    );
    expect(decodeGetWorkspacesResponse(new Uint8Array()).status).toEqual([]);
    expect(decodeSubscribeResponse(new Uint8Array()).status).toBeUndefined();
  });

  it('skips unknown fields of every wire type, groups included, and keeps the last of a repeated field', () => {
    const inner = WorkspaceStatus.encode(WorkspaceStatus.fromPartial({ id: 'a', phase: 4 })).finish();
    const w = new BinaryWriter();
    w.uint32(10).bytes(inner);
    w.uint32((99 << 3) | 0).uint64(2n ** 63n); // varint
    w.uint32((98 << 3) | 1).fixed64(1n); // fixed64
    w.uint32((97 << 3) | 5).fixed32(1); // fixed32
    w.uint32((96 << 3) | 3); // group with a field inside
    w.uint32((1 << 3) | 0).uint32(5);
    w.uint32((96 << 3) | 4);
    const second = WorkspaceStatus.encode(
      WorkspaceStatus.fromPartial({ id: 'b', spec: { type: 1 } }),
    ).finish();
    w.uint32(10).bytes(second);
    const decoded = decodeSubscribeResponse(w.finish()).status;
    expect(decoded?.id).toBe('b');
    expect(decoded?.spec?.type).toBe(WorkspaceType.PREBUILD);
  });

  it('throws ProtoDecodeError for truncated or malformed input', () => {
    const bytes = SubscribeResponse.encode({ status: simulatorStatuses()[3], header: {} }).finish();
    for (const cut of [1, 2, 10, Math.floor(bytes.length / 2), bytes.length - 1]) {
      expect(() => decodeSubscribeResponse(bytes.subarray(0, cut))).toThrow(ProtoDecodeError);
    }
    const longVarint = new Uint8Array([80, ...Array<number>(11).fill(0xff)]);
    expect(() => decodeSubscribeResponse(Uint8Array.of(10, longVarint.length, ...longVarint))).toThrow(
      ProtoDecodeError,
    );
    expect(() => decodeSubscribeResponse(Uint8Array.of((5 << 3) | 6))).toThrow(ProtoDecodeError);
  });
});
