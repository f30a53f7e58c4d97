/** Chooses the publisher from `REDIS_URL`. */
import type { Logger } from '../observability/logger.js';
import { redactUrl } from '../observability/redact.js';
import { InProcessPublisher } from './in-process-publisher.js';
import type { Publisher } from './ports.js';
import { RedisPublisher } from './redis-publisher.js';

/**
 * Opens the process publisher: in-process when `redisUrl` is undefined or blank, Redis otherwise.
 *
 * The Redis publisher connects in the background and this does not wait for it: the database is the
 * truth and the notifier retries (and keeps an outbox), so a Redis outage at start must not keep the
 * bridge from recording status. Readiness reports `healthy()`; connection errors are logged once.
 * Throws `InvalidRedisUrlError` (without the password) for a malformed URL.
 */
export function openPublisher(redisUrl: string | undefined, logger: Logger): Promise<Publisher> {
  if (redisUrl === undefined || redisUrl.trim() === '') {
    logger.info('REDIS_URL is not set: notifications stay in this process');
    return Promise.resolve(new InProcessPublisher({ logger }));
  }
  try {
    const publisher = new RedisPublisher({ url: redisUrl, logger });
    logger.info({ redis: redactUrl(redisUrl) }, 'publishing notifications to redis');
    return Promise.resolve(publisher);
  } catch (error: unknown) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
