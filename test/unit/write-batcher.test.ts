import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { BatchResult, InstanceWrite } from '../../src/store/ports.js';
import type { InstanceRow } from '../../src/store/types.js';
import { WriteBatcher, type PendingWrite } from '../../src/sync/write-batcher.js';
import { instanceRow } from '../contract/store-fixtures.js';

function row(id: string, version: bigint): InstanceRow {
  return instanceRow(id, { phase: 'running', statusVersion: version, clusterName: 'c' });
}

function pending(id: string, version: bigint, extra: Partial<InstanceWrite> = {}): PendingWrite {
  const notify = { ownerID: 'o', instanceID: id, workspaceID: `ws-${id}` };
  return { write: { row: row(id, version), notify, ...extra }, notify, receivedAt: [performance.now()] };
}

/** A store double that records batches and fails on demand: unit scope, the real adapters have their own suite. */
class ScriptedStore {
  batches: InstanceWrite[][] = [];
  down = false;
  poison = new Set<string>();
  conflict = new Set<string>();
  async writeBatch(writes: readonly InstanceWrite[]): Promise<BatchResult> {
    await Promise.resolve();
    if (this.down) throw new Error('connection refused');
    if (writes.some((w) => this.poison.has(w.row.id))) throw new Error('constraint violation');
    this.batches.push([...writes]);
    const ids = writes.map((w) => w.row.id);
    return {
      applied: ids.filter((i) => !this.conflict.has(i)),
      conflicted: ids.filter((i) => this.conflict.has(i)),
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
  const batcher = new WriteBatcher({
    store,
    logger: silentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
    outbox: false,
    maxBatchSize,
    backoff: { initialMs: 1, maxMs: 5, factor: 2 },
    onCommitted: (applied) =>
      committed.push(...applied.map((p) => `${p.write.row.id}@${p.write.row.statusVersion}`)),
    onConflicted: (ids) => conflicted.push(...ids),
    onRejected: (id) => rejected.push(id),
  });
  return { store, batcher, committed, conflicted, rejected };
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
    await new Promise((r) => setTimeout(r, 20));
    batcher.submit(pending('a', 2n));
    expect(batcher.dirty).toBe(2);
    store.down = false;
    await batcher.whenIdle();
    expect(committed.sort()).toEqual(['a@2', 'b@1']);
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
});
