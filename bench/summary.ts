/** The line `npm run bench` prints for a scenario: the median of every figure over its runs. */

/** Figures whose value in every run is printed beside the median. */
const PER_RUN = [
  'updates_per_s',
  'bridge_cpu_us_per_update',
  'p99_ms',
  'p99_with_warmup_ms',
  'rss_mb',
  'converged_ms',
  'simulator_ceiling_per_s',
  'other_cores',
] as const;

/** The median, to two decimals (NaN for no values). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Number((value ?? Number.NaN).toFixed(2));
}

/**
 * Every numeric figure as the median of the runs (each figure on its own, so the line may combine
 * figures of different runs), other fields from the first run, and `runs_<figure>` with each run's
 * value of the figures that matter most.
 */
export function summarise(runs: readonly Record<string, unknown>[]): Record<string, unknown> {
  const first = runs[0] ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    const values = runs.map((r) => r[key]);
    out[key] =
      typeof value === 'number' && values.every((v) => typeof v === 'number') ? median(values) : value;
  }
  out.runs = runs.length;
  for (const key of PER_RUN) if (key in first) out[`runs_${key}`] = runs.map((r) => r[key]);
  return out;
}
