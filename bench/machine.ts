/**
 * What the benchmark knows about the machine it runs on and how busy it was: the CPU model, cores,
 * Node, and per run how many cores the whole machine was busy against how many this benchmark's own
 * processes used. The difference is everything else (database servers, Redis, other work), so a run
 * taken under contention says so.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/** Jiffies per second of /proc (USER_HZ; 100 on Linux). */
const HZ = 100;

/** Busy and total CPU time of the whole machine so far, in seconds; zeros where /proc is missing. */
export function machineCpu(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / HZ, total: total / HZ };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** CPU seconds (user + system) a process has used, from /proc; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / HZ;
  } catch {
    return 0;
  }
}

/** The machine, for every printed line. */
export function machineInfo(): Record<string, unknown> {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    mem_gb: Math.round(totalmem() / 2 ** 30),
  };
}

/** Measures how busy the machine was between construction and `report()`. */
export class MachineLoad {
  readonly #start = machineCpu();
  readonly #startedAt = performance.now();
  readonly #loadBefore = loadavg()[0] ?? 0;

  /**
   * `ownCpuSeconds`: what this benchmark's processes used in the interval. `other_cores` is the
   * rest of the machine's busy time per second of wall time.
   */
  report(ownCpuSeconds: number): Record<string, number> {
    const end = machineCpu();
    const wall = (performance.now() - this.#startedAt) / 1000;
    const busy = end.busy - this.#start.busy;
    return {
      loadavg_before: Number(this.#loadBefore.toFixed(2)),
      machine_busy_cores: Number((busy / wall).toFixed(2)),
      other_cores: Number((Math.max(0, busy - ownCpuSeconds) / wall).toFixed(2)),
    };
  }
}
