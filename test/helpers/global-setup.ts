/**
 * Vitest global setup: makes a real PostgreSQL and a real Redis available to every test, through the
 * project's own scripts/services.sh (Debian packages, loopback only). When WSB_PG_URL and
 * WSB_REDIS_URL are already set, those servers are used as they are. Tests read the URLs with
 * `inject('pgUrl')` / `inject('redisUrl')`; nothing is skipped when a server is missing: setup fails.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    redisUrl: string;
  }
}

const script = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));

export default function setup(project: TestProject): () => void {
  let started = false;
  let pgUrl = process.env.WSB_PG_URL;
  let redisUrl = process.env.WSB_REDIS_URL;
  if (!pgUrl || !redisUrl) {
    const out = execFileSync(script, ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const env = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    pgUrl = env.WSB_PG_URL;
    redisUrl = env.WSB_REDIS_URL;
    started = env.WSB_STARTED === '1' && process.env.WSB_KEEP_SERVICES !== '1';
  }
  if (!pgUrl || !redisUrl) throw new Error('scripts/services.sh did not report WSB_PG_URL and WSB_REDIS_URL');
  project.provide('pgUrl', pgUrl);
  project.provide('redisUrl', redisUrl);
  return () => {
    if (started) execFileSync(script, ['stop'], { stdio: 'inherit' });
  };
}
