/**
 * Redis publish benchmark: the bridge's `RedisPublisher` sends 200,000 instance notifications in
 * calls of 1,000 (the notifier's batch), once as it does by default (one script call per batch) and
 * once as a Redis user that may not run scripts (one pipelined PUBLISH per message). Prints one JSON
 * line per mode: the bridge process's CPU and Redis's CPU per message, and messages per second.
 *
 *   node --import tsx bench/redis-publish.ts [messages]
 *
 * Starts Redis through `scripts/services.sh`, as `npm run bench` does. Modes alternate, REPEATS each.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../src/observability/logger.js';
import { CHANNELS } from '../src/pubsub/channels.js';
import { instanceUpdateMessage } from '../src/pubsub/payloads.js';
import type { Message } from '../src/pubsub/ports.js';
import { RedisPublisher } from '../src/pubsub/redis-publisher.js';
import { machineInfo, processCpuSeconds } from './machine.js';
import { startServices } from './services.js';
import { median } from './summary.js';

const MESSAGES = Number(process.argv[2] ?? 200_000);
const BATCH = 1_000;
const REPEATS = 3;

const services = startServices();
const redisUrl: string = services.WSB_REDIS_URL ?? '';
if (redisUrl === '') throw new Error('scripts/services.sh printed no WSB_REDIS_URL');

const admin = new Redis(redisUrl);
const redisPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);

// Payloads as the notifier builds them, for distinct instances.
const batch: Message[] = Array.from({ length: BATCH }, (_, i) =>
  instanceUpdateMessage(
    {
      ownerID: randomUUID(),
      instanceID: randomUUID(),
      workspaceID: `bench-${i.toString(36)}-${randomUUID().slice(0, 8)}`,
    },
    CHANNELS.workspaceInstances,
  ),
);

/** A Redis user allowed everything but scripts: the publisher falls back to pipelined PUBLISH. */
const user = `wsb-bench-${randomUUID()}`;
await admin.call('ACL', 'SETUSER', user, 'on', '>bench', '+@all', '-@scripting', '~*', '&*');
const noScripts = new URL(redisUrl);
noScripts.username = user;
noScripts.password = 'bench';

async function run(mode: 'script' | 'pipeline'): Promise<Record<string, number>> {
  const url = mode === 'script' ? redisUrl : noScripts.toString();
  const publisher = new RedisPublisher({ url, logger: silentLogger() });
  await publisher.whenReady();
  await publisher.publish(batch); // the fallback decision and the script's first load, not timed
  const cpu0 = process.cpuUsage();
  const redis0 = processCpuSeconds(redisPid);
  const t0 = performance.now();
  for (let sent = 0; sent < MESSAGES; sent += BATCH) await publisher.publish(batch);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const redisSeconds = processCpuSeconds(redisPid) - redis0;
  await publisher.close();
  return {
    bridge_cpu_us_per_message: (cpu.user + cpu.system) / MESSAGES,
    redis_cpu_us_per_message: (redisSeconds * 1e6) / MESSAGES,
    messages_per_s: MESSAGES / seconds,
  };
}

try {
  const results = { script: [] as Record<string, number>[], pipeline: [] as Record<string, number>[] };
  for (let i = 0; i < REPEATS; i++) {
    results.script.push(await run('script'));
    results.pipeline.push(await run('pipeline'));
  }
  for (const [mode, runs] of Object.entries(results)) {
    const figure = (key: string): number => median(runs.map((r) => r[key] ?? 0));
    const line = {
      bench: 'redis-publish',
      mode,
      messages: MESSAGES,
      batch: BATCH,
      bridge_cpu_us_per_message: figure('bridge_cpu_us_per_message'),
      runs_bridge_cpu_us_per_message: runs.map((r) => Number((r.bridge_cpu_us_per_message ?? 0).toFixed(2))),
      redis_cpu_us_per_message: figure('redis_cpu_us_per_message'),
      messages_per_s: Math.round(figure('messages_per_s')),
      ...machineInfo(),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} finally {
  await admin.call('ACL', 'DELUSER', user);
  await admin.quit();
}
