/**
 * Measures emit→commit latency: the simulator stamps each status with its wall-clock emit time
 * (annotation `sim/emitted-at-us`); the probe remembers stamps per instance and, when the engine
 * commits an instance, every stamp folded into that write yields one latency sample.
 */
import type { WorkspaceStatus } from '../src/generated/wsman/core.js';
import type { SyncProbe } from '../src/sync/sync-engine.js';

const STAMP = 'sim/emitted-at-us';

function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

function stampOf(status: WorkspaceStatus): number | undefined {
  const raw = status.metadata?.annotations[STAMP];
  return raw ? Number(raw) : undefined;
}

/**
 * Collects latency samples and counts; `probe` is what the sync engine calls. Samples committed within
 * `warmupMs` of the first status received are kept apart (`warmupSamples`): they measure a bridge
 * whose code is not compiled yet, not its steady latency.
 */
export class LatencyProbe {
  readonly #stamps = new Map<string, number[]>();
  readonly #warmupMs: number;
  readonly samples: number[] = [];
  readonly warmupSamples: number[] = [];
  received = 0;
  firstReceivedAt = 0;
  lastCommittedAt = 0;

  constructor(warmupMs = 0) {
    this.#warmupMs = warmupMs;
  }

  readonly probe: SyncProbe = {
    received: (status) => {
      this.received++;
      if (this.firstReceivedAt === 0) this.firstReceivedAt = performance.now();
      const stamp = stampOf(status);
      if (stamp === undefined) return;
      const list = this.#stamps.get(status.id);
      if (list) list.push(stamp);
      else this.#stamps.set(status.id, [stamp]);
    },
    skipped: (status) => {
      const stamp = stampOf(status);
      const list = this.#stamps.get(status.id);
      if (stamp === undefined || !list) return;
      const at = list.lastIndexOf(stamp);
      if (at >= 0) list.splice(at, 1);
    },
    committed: (ids) => {
      const now = nowUs();
      this.lastCommittedAt = performance.now();
      const into =
        this.lastCommittedAt - this.firstReceivedAt < this.#warmupMs ? this.warmupSamples : this.samples;
      for (const id of ids) {
        const list = this.#stamps.get(id);
        if (!list) continue;
        for (const stamp of list) into.push((now - stamp) / 1000);
        this.#stamps.delete(id);
      }
    },
  };

  /** Percentile of the latency samples in milliseconds; with `warmup`, of the warm-up's samples too. */
  percentile(p: number, warmup = false): number {
    const samples = warmup ? [...this.warmupSamples, ...this.samples] : this.samples;
    if (samples.length === 0) return NaN;
    const sorted = Float64Array.from(samples).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  }
}
