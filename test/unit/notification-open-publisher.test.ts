import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { InProcessPublisher } from '../../src/pubsub/in-process-publisher.js';
import { openPublisher } from '../../src/pubsub/open-publisher.js';
import { RedisPublisher } from '../../src/pubsub/redis-publisher.js';
import { InvalidRedisUrlError } from '../../src/pubsub/redis-url.js';
import { unusedPort } from '../helpers/tcp-proxy.js';

describe('openPublisher', () => {
  it.each([undefined, '', '   '])('stays in process for REDIS_URL=%j', async (url) => {
    const publisher = await openPublisher(url, silentLogger());
    expect(publisher).toBeInstanceOf(InProcessPublisher);
    expect(publisher.durable).toBe(false);
    await publisher.close();
  });

  it('opens Redis without waiting for it to be reachable', async () => {
    const publisher = await openPublisher(`redis://127.0.0.1:${await unusedPort()}`, silentLogger());
    expect(publisher).toBeInstanceOf(RedisPublisher);
    expect(publisher.durable).toBe(true);
    expect(publisher.healthy()).toBe(false);
    await publisher.close();
  });

  it('rejects an unusable URL with a clear error and no password', async () => {
    const opening = openPublisher('redis://bridge:topsecret@host/notanumber', silentLogger());
    await expect(opening).rejects.toBeInstanceOf(InvalidRedisUrlError);
    await expect(opening).rejects.toThrow(/^invalid REDIS_URL: the path must be a database number/);
    await expect(opening).rejects.not.toThrow(/topsecret/);
  });
});
