/**
 * Splits a V8 CPU profile (`node --cpu-prof`) of a benchmark run into the parts bench/README.md
 * reports. Each sample goes to the part of the innermost frame that belongs to one, so native work
 * (a SQLite statement, JSON.stringify) counts for the code that called it.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts --one throughput sqlite
 *   node --import tsx bench/profile-split.ts /tmp/prof/CPU.*.cpuprofile [updates [cpu_us_per_update]]
 *
 * Prints one line per part: milliseconds, share of the busy (non-idle) time and, given the number
 * of updates, microseconds per update. The profiler counts wall time between samples, which a busy
 * machine inflates; given the CPU per update the run measured, the parts are scaled to it. Pass the
 * profile of the main thread (the largest file of a `--cpu-prof` run).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Parts in the order they are printed; the first rule that matches a frame names its part. */
const PARTS: { part: string; match: (f: CallFrame) => boolean }[] = [
  { part: 'garbage collection', match: (f) => f.functionName === '(garbage collector)' },
  { part: 'idle', match: (f) => f.functionName === '(idle)' },
  { part: 'bench harness (probe, sampling)', match: (f) => f.url.includes('/bench/') },
  {
    part: 'startup (module loading, tsx)',
    match: (f) => /modules\/esm|modules\/cjs|node_modules\/tsx\/|bootstrap\/realm/.test(f.url),
  },
  {
    part: 'database writes (batch transaction, row building)',
    match: (f) =>
      /store\/(sqlite|postgres)\/|better-sqlite3|node_modules\/pg\/|pg-protocol|batch-rules|kysely-store/.test(
        f.url,
      ),
  },
  { part: 'outbox reads and acks (Kysely)', match: (f) => /outbox-queries|node_modules\/kysely/.test(f.url) },
  { part: 'notifier and Redis', match: (f) => /src\/pubsub\/|ioredis|redis-parser/.test(f.url) },
  { part: 'metrics (prom-client)', match: (f) => f.url.includes('prom-client') },
  {
    part: 'protobuf decode',
    match: (f) =>
      /src\/generated\/|@bufbuild\/protobuf|src\/wsman\/(status-decoder|proto-reader)/.test(f.url),
  },
  {
    part: 'gRPC and HTTP/2 receive',
    match: (f) => /@grpc\/grpc-js|internal\/http2/.test(f.url),
  },
  { part: 'validation', match: (f) => f.url.includes('validate-status') },
  {
    part: 'reduction (reducer, mapping, metrics merge)',
    match: (f) =>
      /status-reducer|status-mapping|metrics-|phase-transition|structural-equal|prebuild-(reducer|mapper)/.test(
        f.url,
      ),
  },
  { part: 'engine, batcher, side effects', match: (f) => f.url.includes('/src/sync/') },
  { part: 'subscriber', match: (f) => f.url.includes('/src/wsman/') },
  { part: 'store (other)', match: (f) => f.url.includes('/src/store/') },
];
const OTHER = 'other (timers, buffers, event loop)';

/**
 * Node's sockets and streams serve every client (gRPC, PostgreSQL, Redis): a socket write counts for
 * the library that called it, found further out on the stack, and only otherwise for this part.
 */
const SOCKETS = {
  part: 'sockets and streams (no library on the stack)',
  match: (f: CallFrame) => /internal\/streams|node:net|node:stream|stream_base_commons/.test(f.url),
};

function partOf(stack: readonly CallFrame[]): string {
  for (const frame of stack) {
    for (const { part, match } of PARTS) if (match(frame)) return part;
  }
  for (const frame of stack) if (SOCKETS.match(frame)) return SOCKETS.part;
  return OTHER;
}

/** Milliseconds per part of one profile. */
export function splitProfile(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const partById = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = partById.get(id);
    if (known !== undefined) return known;
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node) stack.push(node.callFrame);
    }
    const part = partOf(stack);
    partById.set(id, part);
    return part;
  };
  const ms = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const part = resolve(id);
    ms.set(part, (ms.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return ms;
}

if (process.argv[1]?.endsWith('profile-split.ts')) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-split.ts PROFILE.cpuprofile [updates]');
  const updates = Number(process.argv[3] ?? 0);
  const measuredUs = Number(process.argv[4] ?? 0);
  const ms = splitProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const busy = [...ms].filter(([part]) => part !== 'idle').reduce((sum, [, t]) => sum + t, 0);
  const scale = measuredUs > 0 && updates > 0 ? (measuredUs * updates) / 1000 / busy : 1;
  const order = [...PARTS.map((p) => p.part), SOCKETS.part, OTHER];
  const rows = [...ms].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]));
  for (const [part, t] of rows) {
    const share = part === 'idle' ? '' : `${((100 * t) / busy).toFixed(1)} %`;
    const perUpdate = updates > 0 && part !== 'idle' ? `${((1000 * t * scale) / updates).toFixed(1)} µs` : '';
    console.log(
      `${part.padEnd(52)} ${t.toFixed(0).padStart(7)} ms ${share.padStart(8)} ${perUpdate.padStart(10)}`,
    );
  }
  const perUpdate = updates > 0 ? `${((1000 * busy * scale) / updates).toFixed(1)} µs/update` : '';
  console.log(`${'busy'.padEnd(52)} ${busy.toFixed(0).padStart(7)} ms ${''.padStart(8)} ${perUpdate}`);
}
