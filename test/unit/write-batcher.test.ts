import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { BatchResult, InstanceWrite } from '../../src/store/ports.js';
import type { InstanceRow } from '../../src/store/types.js';
import { WriteBatcher, type PendingWrite } from '../../src/sync/write-batcher.js';
import { instanceRow } from '../contract/store-fixtures.js';

function row(id: string, version: bigint): InstanceRow {
  return instanceRow(id, { phase: 'running', statusVersion: version, clusterName: 'c' });
}

function pending(
  id: string,
  version: bigint,
  extra: Partial<InstanceWrite> = {},
  settle: ((committed: boolean) => void)[] = [],
): PendingWrite {
  const notify = { ownerID: 'o', instanceID: id, workspaceID: `ws-${id}` };
  return { write: { row: row(id, version), notify, ...extra }, receivedAt: [performance.now()], settle };
}

/** A store double that records batches and fails on demand: unit scope, the real adapters have their own suite. */
class ScriptedStore {
  batches: InstanceWrite[][] = [];
  down = false;
  poison = new Set<string>();
  conflict = new Set<string>();
  /** Leases this store no longer lets the batcher write under. */
  lostLeases = new Set<string>();
  /** Resolves the write in flight, when `hold` is set. */
  release: (() => void) | undefined;
  hold = false;
  /** Batches refused while the store was down. */
  refused = 0;
  async writeBatch(writes: readonly InstanceWrite[]): Promise<BatchResult> {
    if (this.hold) await new Promise<void>((resolve) => (this.release = resolve));
    await Promise.resolve();
    if (this.down) {
      this.refused++;
      throw new Error('connection refused');
    }
    if (writes.some((w) => this.poison.has(w.row.id))) throw new Error('constraint violation');
    this.batches.push([...writes]);
    const fenced = writes.filter((w) => this.lostLeases.has(w.lease ?? '')).map((w) => w.row.id);
    const ids = writes.map((w) => w.row.id).filter((i) => !fenced.includes(i));
    return {
      applied: ids.filter((i) => !this.conflict.has(i)),
      conflicted: ids.filter((i) => this.conflict.has(i)),
      fenced,
    };
  }
  isTransientError(error: unknown): boolean {
    return error instanceof Error && error.message === 'connection refused';
  }
  async ping(): Promise<void> {
    await Promise.resolve();
    if (this.down) throw new Error('connection refused');
  }
}

function setup(maxBatchSize = 100) {
  const store = new ScriptedStore();
  const committed: string[] = [];
  const conflicted: string[] = [];
  const rejected: string[] = [];
  const fenced: string[] = [];
  const batcher = new WriteBatcher({
    store,
    logger: silentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
    batchOptions: () => ({ outbox: false, replica: 'r-1' }),
    maxBatchSize,
    backoff: { initialMs: 1, maxMs: 5, factor: 2 },
    onCommitted: (applied) =>
      committed.push(...applied.map((p) => `${p.write.row.id}@${p.write.row.statusVersion}`)),
    onConflicted: (writes) => conflicted.push(...writes.map((p) => p.write.row.id)),
    onRejected: (write) => rejected.push(write.write.row.id),
    onFenced: (writes) => fenced.push(...writes.map((p) => p.write.row.id)),
  });
  return { store, batcher, committed, conflicted, rejected, fenced };
}

describe('WriteBatcher', () => {
  it('folds updates of one instance queued together into one row write with the newest state', async () => {
    const { store, batcher, committed } = setup();
    batcher.submit(pending('a', 1n, { metrics: { image: { totalSize: 5 } } }));
    batcher.submit(pending('b', 1n));
    batcher.submit(pending('a', 2n));
    batcher.submit(pending('a', 3n));
    await batcher.whenIdle();
    expect(store.batches).toHaveLength(1);
    const batch = store.batches[0] ?? [];
    expect(batch.map((w) => `${w.row.id}@${w.row.statusVersion}`)).toEqual(['a@3', 'b@1']);
    // a later write without metrics keeps the earlier metrics value
    expect(batch[0]?.metrics).toEqual({ image: { totalSize: 5 } });
    expect(committed).toEqual(['a@3', 'b@1']);
  });

  it("keeps the first folded write's previous phase: the rows after it were never stored", async () => {
    const { store, batcher } = setup();
    batcher.submit(pending('a', 1n, { previousPhase: 'creating' }));
    batcher.submit(pending('a', 2n, { previousPhase: 'running' }));
    batcher.submit(pending('a', 3n, { previousPhase: 'running' }));
    await batcher.whenIdle();
    expect(store.batches.flat().map((w) => [w.row.statusVersion, w.previousPhase])).toEqual([
      [3n, 'creating'],
    ]);
  });

  it('splits into batches of at most maxBatchSize', async () => {
    const { store, batcher } = setup(3);
    for (let i = 0; i < 8; i++) batcher.submit(pending(`i${i}`, 1n));
    await batcher.whenIdle();
    expect(store.batches.map((b) => b.length)).toEqual([3, 3, 2]);
  });

  it('keeps writes through an outage and commits them, newest state, when the database is back', async () => {
    const { store, batcher, committed } = setup();
    store.down = true;
    batcher.submit(pending('a', 1n));
    batcher.submit(pending('b', 1n));
    await vi.waitFor(() => expect(store.refused).toBeGreaterThan(0));
    batcher.submit(pending('a', 2n));
    expect(batcher.dirty).toBe(2);
    store.down = false;
    await batcher.whenIdle();
    expect(committed.sort()).toEqual(['a@2', 'b@1']);
  });

  it('counts an instance once while a newer write waits behind its open transaction', async () => {
    const { store, batcher, committed } = setup();
    store.hold = true;
    batcher.submit(pending('a', 1n));
    await vi.waitFor(() => expect(store.release).toBeDefined());
    batcher.submit(pending('a', 2n));
    batcher.submit(pending('a', 3n));
    batcher.submit(pending('b', 1n));
    expect(batcher.holds('a')).toBe(true);
    expect(batcher.dirty).toBe(2);
    batcher.discard(['b']);
    expect(batcher.dirty).toBe(1);
    store.hold = false;
    store.release?.();
    await batcher.whenIdle();
    expect(batcher.dirty).toBe(0);
    expect(committed).toEqual(['a@1', 'a@3']);
  });

  it('counts an instance once when its refused write goes back to the queue under a newer one', async () => {
    const { store, batcher, committed } = setup();
    store.down = true;
    store.hold = true;
    batcher.submit(pending('a', 1n));
    await vi.waitFor(() => expect(store.release).toBeDefined());
    batcher.submit(pending('a', 2n));
    expect(batcher.dirty).toBe(1);
    store.hold = false;
    store.release?.();
    await vi.waitFor(() => expect(store.refused).toBeGreaterThan(0));
    expect(batcher.dirty).toBe(1);
    store.down = false;
    await batcher.whenIdle();
    expect(batcher.dirty).toBe(0);
    expect(committed).toEqual(['a@2']);
  });

  it('isolates a row the database refuses so the others still commit', async () => {
    const { store, batcher, committed, rejected } = setup();
    store.poison.add('bad');
    for (const id of ['a', 'b', 'bad', 'c', 'd']) batcher.submit(pending(id, 1n));
    await batcher.whenIdle();
    expect(rejected).toEqual(['bad']);
    expect(committed.sort()).toEqual(['a@1', 'b@1', 'c@1', 'd@1']);
  });

  it('reports conflicts separately from commits', async () => {
    const { store, batcher, committed, conflicted } = setup();
    store.conflict.add('old');
    batcher.submit(pending('old', 1n));
    batcher.submit(pending('new', 1n));
    await batcher.whenIdle();
    expect(conflicted).toEqual(['old']);
    expect(committed).toEqual(['new@1']);
  });

  it('folds the side effects of queued writes: newest prebuild, older revocation, messages once per key', async () => {
    const { store, batcher } = setup();
    const prebuild = (state: 'building' | 'available') => ({
      id: 'pb-a',
      buildWorkspaceId: 'ws-a',
      projectId: null,
      state,
      snapshot: null,
      error: null,
      statusVersion: 1n,
    });
    const msg = (key: string, payload: string) => ({ key, channel: 'chan:x', payload });
    batcher.submit(
      pending('a', 1n, {
        prebuild: prebuild('building'),
        messages: [msg('headless:a', 'started'), msg('lifecycle:run-a', 'running')],
        revokeTokens: { userId: 'o', namePrefix: 'a-' },
      }),
    );
    batcher.submit(
      pending('a', 2n, { prebuild: prebuild('available'), messages: [msg('headless:a', 'done')] }),
    );
    batcher.submit(pending('a', 3n));
    await batcher.whenIdle();
    const [write] = store.batches[0] ?? [];
    expect(write?.row.statusVersion).toBe(3n);
    expect(write?.prebuild?.state).toBe('available');
    expect(write?.revokeTokens).toEqual({ userId: 'o', namePrefix: 'a-' });
    expect(write?.messages).toEqual([msg('lifecycle:run-a', 'running'), msg('headless:a', 'done')]);
  });

  it('tells each waiter once whether its write committed: folded, conflicted, refused, or given up at stop', async () => {
    const { store, batcher } = setup();
    const outcomes: string[] = [];
    const waiter = (label: string) => (committed: boolean) => outcomes.push(`${label}:${committed}`);
    store.conflict.add('old');
    store.poison.add('bad');
    batcher.submit(pending('a', 1n, {}, [waiter('a1')]));
    batcher.submit(pending('a', 2n, {}, [waiter('a2')]));
    batcher.submit(pending('old', 1n, {}, [waiter('old')]));
    batcher.submit(pending('bad', 1n, {}, [waiter('bad')]));
    await batcher.whenIdle();
    expect(outcomes.sort()).toEqual(['a1:true', 'a2:true', 'bad:false', 'old:false']);
    outcomes.length = 0;
    store.down = true;
    batcher.submit(pending('late', 1n, {}, [waiter('late')]));
    await vi.waitFor(() => expect(store.refused).toBeGreaterThan(0));
    batcher.stop();
    await vi.waitFor(() => expect(outcomes).toEqual(['late:false']));
    batcher.submit(pending('after', 1n, {}, [waiter('after')]));
    expect(outcomes.sort()).toEqual(['after:false', 'late:false']);
  });

  it('reports writes under a lost lease as fenced, not committed', async () => {
    const { store, batcher, committed, fenced } = setup();
    store.lostLeases.add('gone');
    const outcomes: boolean[] = [];
    batcher.submit(pending('a', 1n, { lease: 'kept' }));
    batcher.submit(pending('b', 1n, { lease: 'gone' }, [(ok) => outcomes.push(ok)]));
    await batcher.whenIdle();
    expect(committed).toEqual(['a@1']);
    expect(fenced).toEqual(['b']);
    expect(outcomes).toEqual([false]);
  });

  it('waits for the writes of some instances only, and drops queued ones on request', async () => {
    // One write per batch, each held until the test releases it.
    const { store, batcher, committed } = setup(1);
    store.hold = true;
    const inFlight = async (): Promise<() => void> => {
      await vi.waitFor(() => expect(store.release).toBeDefined());
      const release = store.release as () => void;
      store.release = undefined;
      return release;
    };
    batcher.submit(pending('mine', 1n));
    batcher.submit(pending('other', 1n));
    batcher.submit(pending('queued', 1n));
    let settled = false;
    const waiting = batcher.whenSettled(['mine', 'nothing-queued']).then(() => (settled = true));
    (await inFlight())();
    await waiting;
    expect(settled).toBe(true);
    // `other` is in flight now and `queued` still waits: only the waiting one can be dropped.
    const releaseOther = await inFlight();
    batcher.discard(['queued', 'other']);
    releaseOther();
    await batcher.whenIdle();
    expect(committed).toEqual(['mine@1', 'other@1']);
  });

  it('holds an instance until its write has settled: in the transaction and while a failure is looked into', async () => {
    // The engine forgets only cached rows the batcher does not hold: a row forgotten while its write
    // is on its way would be read back from the database without that write.
    const { store, batcher, committed, rejected } = setup();
    store.hold = true;
    batcher.submit(pending('a', 1n));
    await vi.waitFor(() => expect(store.release).toBeDefined());
    expect(batcher.holds('a')).toBe(true);
    (store.release as () => void)();
    await batcher.whenIdle();
    expect(committed).toEqual(['a@1']);
    expect(batcher.holds('a')).toBe(false);

    // A refused batch: while the batcher checks that the database is reachable (before it splits the
    // batch to find the bad row), both rows are still held.
    store.hold = false;
    store.poison.add('bad');
    const heldDuringPing: boolean[] = [];
    const ping = store.ping.bind(store);
    store.ping = async () => {
      heldDuringPing.push(batcher.holds('b'), batcher.holds('bad'));
      await ping();
    };
    batcher.submit(pending('b', 1n));
    batcher.submit(pending('bad', 1n));
    await batcher.whenIdle();
    expect(heldDuringPing.slice(0, 2)).toEqual([true, true]);
    expect(rejected).toEqual(['bad']);
    expect([batcher.holds('b'), batcher.holds('bad')]).toEqual([false, false]);
  });
});
