/**
 * The GetWorkspaces snapshot of a large cluster is one gRPC message. Over real gRPC on loopback
 * against the simulated ws-manager: an answer larger than the channels' 16 MiB message limit still
 * arrives whole, so a cluster with tens of thousands of workspaces can resync (decision 57).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GetWorkspacesResponse, StartWorkspaceRequest } from '../../src/generated/wsman/core.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { WsmanClient } from '../../src/wsman/wsman-client.js';

const MiB = 1024 * 1024;
const WORKSPACES = 300;
/** Characters of message per workspace: 300 of them make an answer of about 17 MiB. */
const MESSAGE_LENGTH = 60_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

describe('WsmanClient.getWorkspaces', () => {
  it('takes a snapshot larger than the 16 MiB limit of the other messages', async () => {
    const sim = new SimulatedWsManager({ manual: true });
    const port = await sim.listen(0);
    cleanups.push(() => sim.close());
    for (let i = 0; i < WORKSPACES; i++) {
      sim.startWorkspace(
        StartWorkspaceRequest.fromPartial({
          id: `big-${i}`,
          metadata: { owner: 'user-a', metaId: `ws-big-${i}` },
          spec: { class: 'g1-standard' },
        }),
      );
    }
    // A message within the bridge's own status limits (64 KiB of text), as a workspace that
    // reports a long failure would send it.
    sim.hooks.afterSnapshot = (snapshot) => {
      for (const status of snapshot) status.message = 'm'.repeat(MESSAGE_LENGTH);
    };
    const client = new WsmanClient({ url: `127.0.0.1:${port}` });
    cleanups.push(() => client.close());

    const statuses = await client.getWorkspaces(new AbortController().signal, 30_000);

    expect(statuses.map((s) => s.id).sort()).toEqual(
      Array.from({ length: WORKSPACES }, (_, i) => `big-${i}`).sort(),
    );
    expect(statuses.every((s) => s.message.length === MESSAGE_LENGTH)).toBe(true);
    // The answer as ws-manager encodes it was over the limit every other call keeps.
    const encoded = GetWorkspacesResponse.encode(GetWorkspacesResponse.fromPartial({ status: statuses }));
    expect(encoded.finish().length).toBeGreaterThan(16 * MiB);
  });
});
