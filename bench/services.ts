/**
 * The benchmarks' PostgreSQL and Redis: `scripts/services.sh start` (installed and started on loopback
 * if needed), and the variables it prints (`WSB_PG_URL`, `WSB_REDIS_URL`).
 */
import { execFileSync } from 'node:child_process';

/** Starts the services and returns what the script printed, NAME → value. */
export function startServices(): Record<string, string> {
  const out = execFileSync('scripts/services.sh', ['start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}
