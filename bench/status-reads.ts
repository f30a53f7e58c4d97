/**
 * What the operator paths and the instance controller cost the bridge in instance reads with many
 * instances. Seeds INSTANCES instances (BENCH_INSTANCES, default 100,000) over CLUSTERS clusters
 * (BENCH_CLUSTERS, default 5), a tenth of them stopped, and times three runs of each read:
 * - `page-records`: every record that is not stopped (`listInstances`), what each refresh of the
 *   status page (every 2 s while a page is open) read before decision 40 changed it;
 * - `page-counts`: instances per cluster and phase (`countActiveInstances`), what it reads now;
 * - `controller-states`: the instance controller's columns of one cluster's active instances, read a
 *   page at a time as each of its passes (every 60 s) reads them (`statePages`);
 * - `stop-records`: the records of one cluster's active instances in one read, what a forced
 *   deregistration read before it stopped them;
 * - `stop-records-paged`: the same records as it reads them now: ids first, then a page at a time
 *   (`recordPages`).
 *
 *   scripts/services.sh start   # prints WSB_PG_URL
 *   WSB_PG_URL=postgres://... node --expose-gc --import tsx bench/status-reads.ts
 *
 * Prints one JSON line per database and read: median wall and CPU milliseconds, the longest the event
 * loop stood still during the read (what a stream waits), and the heap the read's result holds.
 * Without WSB_PG_URL only SQLite runs.
 */
import { silentLogger } from '../src/observability/logger.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/ports.js';
import { allStates, recordPages } from '../src/store/record-pages.js';
import type { InstancePhase, InstanceRecord } from '../src/store/types.js';
import { benchRow, machine, onEachDatabase, seedInstances } from './store-benches.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 100_000);
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 5);
const REPEATS = 3;
const ACTIVE: InstancePhase[] = ['pending', 'running'];

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('status-reads needs node --expose-gc');

/** Instance `i`: on cluster eu-(i mod CLUSTERS); a tenth stopped, a tenth pending, the rest running. */
function seeded(i: number) {
  const tenth = Math.floor(i / CLUSTERS) % 10;
  const phase: InstancePhase = tenth === 0 ? 'stopped' : tenth === 1 ? 'pending' : 'running';
  return { ...benchRow(i, phase === 'pending' ? 0 : 1), clusterName: `eu-${i % CLUSTERS}`, phase };
}

interface Run {
  wallMs: number;
  cpuMs: number;
  blockedMs: number;
  heldMb: number;
  rows: number;
}

/** The longest gap between ticks of a 1 ms timer, from now until `stop()`. */
function loopWatch(): { stop: () => number } {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

async function timed(read: () => Promise<readonly unknown[]>): Promise<Run> {
  gc?.();
  const base = process.memoryUsage().heapUsed;
  const loop = loopWatch();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await read();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  // One more turn, so that a read that held the loop for its whole length is sampled.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const blockedMs = loop.stop();
  gc?.();
  const heldMb = (process.memoryUsage().heapUsed - base) / 2 ** 20;
  return {
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    blockedMs,
    heldMb,
    rows: result.length,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measure(read: () => Promise<readonly unknown[]>): Promise<Record<string, number>> {
  await read(); // warm-up: statement caches, page cache, JIT
  const runs: Run[] = [];
  for (let r = 0; r < REPEATS; r++) runs.push(await timed(read));
  const figure = (pick: (run: Run) => number, digits = 1) => Number(median(runs.map(pick)).toFixed(digits));
  return {
    rows: runs[0]?.rows ?? 0,
    wall_ms: figure((r) => r.wallMs),
    cpu_ms: figure((r) => r.cpuMs),
    event_loop_blocked_ms: figure((r) => r.blockedMs),
    result_heap_mb: figure((r) => r.heldMb, 2),
  };
}

async function bench(database: string, url: string): Promise<void> {
  const store = await openStore(url, { logger: silentLogger() });
  try {
    await store.migrate();
    await seedInstances(store, INSTANCES, seeded);
    const reads: Record<string, (s: Store) => Promise<readonly unknown[]>> = {
      'page-records': (s) => s.listInstances({ phases: ACTIVE }),
      'page-counts': (s) => s.countActiveInstances(),
      'stop-records': (s) => s.listInstances({ clusterName: 'eu-0', phases: ACTIVE }),
      'controller-states': (s) => allStates(s, 'eu-0', ACTIVE),
      'stop-records-paged': async (s) => {
        const ids = (await allStates(s, 'eu-0', ACTIVE)).map((state) => state.id);
        const records: InstanceRecord[] = [];
        for await (const page of recordPages(s, ids)) records.push(...page.values());
        return records;
      },
    };
    for (const [read, run] of Object.entries(reads)) {
      const figures = await measure(() => run(store));
      console.log(
        JSON.stringify({
          bench: 'status-reads',
          database,
          instances: INSTANCES,
          read,
          ...figures,
          ...machine(),
        }),
      );
    }
  } finally {
    await store.close();
  }
}

await onEachDatabase('status-reads', bench);
