/**
 * Store batch-write benchmark: seeds 10,000 instances, then writes batches of 1,000 realistic rows
 * (status JSON of about 600 bytes) and prints one JSON line per database, with outbox off and on.
 *
 *   scripts/services.sh start   # prints WSB_PG_URL
 *   WSB_PG_URL=postgres://... node --import tsx bench/store-batch.ts
 *
 * Without WSB_PG_URL only SQLite runs. Figures are medians of REPEATS timed runs; `cpu_us_per_row`
 * is this process's CPU (for PostgreSQL the server's CPU is not included).
 */
import { silentLogger } from '../src/observability/logger.js';
import { openStore } from '../src/store/open-store.js';
import type { InstanceWrite, Store } from '../src/store/ports.js';
import { benchRow, machine, onEachDatabase, seedInstances } from './store-benches.js';

const INSTANCES = 10_000;
const BATCH = 1_000;
const BATCHES_PER_RUN = 30;
const REPEATS = 3;
/** The replica outbox rows name; one process, no fence: the single-bridge write path. */
const REPLICA = 'bench';

/** Batches for rounds `first..first+count-1`, cycling through the instances; built before timing. */
function batches(first: number, count: number): InstanceWrite[][] {
  const out: InstanceWrite[][] = [];
  for (let b = 0; b < count; b++) {
    const round = first + b;
    const offset = (b * BATCH) % INSTANCES;
    const writes: InstanceWrite[] = [];
    for (let k = 0; k < BATCH; k++) {
      const i = offset + k;
      // The phase of the instance's previous write (the seeded row's before round 11), as the engine
      // passes it.
      const previousRound = round - INSTANCES / BATCH;
      writes.push({
        row: benchRow(i, round),
        previousPhase: previousRound > 0 ? 'running' : 'pending',
        notify: { instanceID: `inst-${i}`, ownerID: `user-${i % 500}`, workspaceID: `ws-${i}` },
      });
    }
    out.push(writes);
  }
  return out;
}

interface Run {
  rowsPerS: number;
  cpuUsPerRow: number;
}

async function timedRun(store: Store, work: InstanceWrite[][], outbox: boolean): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (const writes of work) {
    const result = await store.writeBatch(writes, { outbox, replica: REPLICA });
    if (result.applied.length !== writes.length)
      throw new Error(`expected every write to apply, got ${result.applied.length}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const rows = work.length * BATCH;
  return { rowsPerS: rows / seconds, cpuUsPerRow: (used.user + used.system) / rows };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measure(store: Store, outbox: boolean, firstRound: number): Promise<Record<string, number>> {
  const runs: Run[] = [];
  let round = firstRound;
  await timedRun(store, batches(round, 3), outbox); // warm-up: statement caches, page cache, JIT
  round += 3;
  for (let r = 0; r < REPEATS; r++) {
    const work = batches(round, BATCHES_PER_RUN);
    round += BATCHES_PER_RUN;
    runs.push(await timedRun(store, work, outbox));
    if (outbox) {
      const delivered = work.flat().map((w) => w.row.id);
      await store.ackNotifications(delivered, REPLICA);
    }
  }
  const rates = runs.map((r) => r.rowsPerS);
  return {
    rows_per_s: Math.round(median(rates)),
    min_rows_per_s: Math.round(Math.min(...rates)),
    max_rows_per_s: Math.round(Math.max(...rates)),
    cpu_us_per_row: Number(median(runs.map((r) => r.cpuUsPerRow)).toFixed(1)),
    next_round: round,
  };
}

async function bench(database: string, url: string): Promise<void> {
  const store = await openStore(url, { logger: silentLogger() });
  try {
    await store.migrate();
    await seedInstances(store, INSTANCES);
    const off = await measure(store, false, 1);
    const on = await measure(store, true, off.next_round ?? 0);
    const { next_round: _a, ...outboxOff } = off;
    const { next_round: _b, ...outboxOn } = on;
    console.log(
      JSON.stringify({
        bench: 'store-batch',
        database,
        instances: INSTANCES,
        batch_size: BATCH,
        rows_per_run: BATCH * BATCHES_PER_RUN,
        repeats: REPEATS,
        ...outboxOff,
        outbox: outboxOn,
        ...machine(),
      }),
    );
  } finally {
    await store.close();
  }
}

await onEachDatabase('store-batch', bench);
