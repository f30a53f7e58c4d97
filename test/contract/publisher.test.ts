/**
 * Publisher contract: the same cases over every adapter (real Redis and in-process), each test on its
 * own channels. Redis-only behaviour (outages, partial failure, secrets) follows at the end.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { InProcessPublisher } from '../../src/pubsub/in-process-publisher.js';
import type { Message, Publisher } from '../../src/pubsub/ports.js';
import { RedisPublishError, RedisPublisher } from '../../src/pubsub/redis-publisher.js';
import { Inbox } from '../helpers/inbox.js';
import { LogCapture } from '../helpers/log-capture.js';
import { unusedPort } from '../helpers/tcp-proxy.js';

const redisUrl = inject('redisUrl');

interface Adapter {
  name: string;
  durable: boolean;
  create(): Promise<Publisher>;
}

const ADAPTERS: readonly Adapter[] = [
  {
    name: 'redis',
    durable: true,
    create: async () => {
      const publisher = new RedisPublisher({ url: redisUrl, logger: silentLogger() });
      await publisher.whenReady();
      return publisher;
    },
  },
  { name: 'in-process', durable: false, create: () => Promise.resolve(new InProcessPublisher()) },
];

const channel = (label: string): string => `test:${randomUUID()}:${label}`;
const messagesOn = (ch: string, payloads: readonly string[]): Message[] =>
  payloads.map((payload) => ({ channel: ch, payload }));

const opened: Publisher[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
});

for (const adapter of ADAPTERS) {
  describe(`Publisher contract: ${adapter.name}`, () => {
    const open = async (): Promise<Publisher> => {
      const publisher = await adapter.create();
      opened.push(publisher);
      return publisher;
    };

    it('reports durability and is healthy while open', async () => {
      const publisher = await open();
      expect(publisher.durable).toBe(adapter.durable);
      expect(publisher.healthy()).toBe(true);
    });

    it('delivers payloads verbatim', async () => {
      const publisher = await open();
      const ch = channel('verbatim');
      const inbox = new Inbox();
      await publisher.subscribe(ch, inbox.handler);
      const payloads = [
        '{"ownerID":"o","instanceID":"i","workspaceID":"w"}',
        '{"b":1,"a":2}',
        'ünïcödé € 🚀 "quoted" \\ back\nslash',
        '',
        'x'.repeat(64 * 1024),
      ];
      await publisher.publish(messagesOn(ch, payloads));
      const received = await inbox.waitForCount(payloads.length);
      expect(received.map((m) => m.payload)).toEqual(payloads);
      expect(received.every((m) => m.channel === ch)).toBe(true);
    });

    it('keeps order within a call and across calls', async () => {
      const publisher = await open();
      const ch = channel('order');
      const inbox = new Inbox();
      await publisher.subscribe(ch, inbox.handler);
      const big = Array.from({ length: 2500 }, (_, i) => `big-${i}`);
      const small = [0, 1, 2].map((call) => Array.from({ length: 100 }, (_, i) => `call-${call}-${i}`));
      // Calls are not awaited one by one: the order of the calls must still be the order on the wire.
      await Promise.all([big, ...small].map((payloads) => publisher.publish(messagesOn(ch, payloads))));
      const expected = [big, ...small].flat();
      await inbox.waitForCount(expected.length);
      expect(inbox.payloads).toEqual(expected);
    });

    it('keeps publish order across channels', async () => {
      const publisher = await open();
      const [a, b] = [channel('a'), channel('b')];
      const inbox = new Inbox();
      await publisher.subscribe(a, inbox.handler);
      await publisher.subscribe(b, inbox.handler);
      const messages = Array.from({ length: 50 }, (_, i) => ({
        channel: i % 3 === 0 ? a : b,
        payload: `m${i}`,
      }));
      await publisher.publish(messages);
      await inbox.waitForCount(messages.length);
      expect(inbox.messages).toEqual(messages);
    });

    it('publishing nothing resolves', async () => {
      const publisher = await open();
      await expect(publisher.publish([])).resolves.toBeUndefined();
    });

    it('delivers to every subscriber and stops after unsubscribe', async () => {
      const publisher = await open();
      const ch = channel('unsubscribe');
      const [first, second] = [new Inbox(), new Inbox()];
      const unsubscribeFirst = await publisher.subscribe(ch, first.handler);
      await publisher.subscribe(ch, second.handler);
      await publisher.publish(messagesOn(ch, ['one']));
      await Promise.all([first.waitForCount(1), second.waitForCount(1)]);
      await unsubscribeFirst();
      await unsubscribeFirst();
      await publisher.publish(messagesOn(ch, ['two']));
      // The second subscriber sees "two" only after any delivery to the first would have happened.
      await second.waitForPayload('two');
      expect(first.payloads).toEqual(['one']);
      expect(second.payloads).toEqual(['one', 'two']);
    });

    it('subscribes again after the last subscriber left', async () => {
      const publisher = await open();
      const ch = channel('resubscribe');
      const unsubscribe = await publisher.subscribe(ch, () => undefined);
      await unsubscribe();
      const inbox = new Inbox();
      await publisher.subscribe(ch, inbox.handler);
      await publisher.publish(messagesOn(ch, ['back']));
      await inbox.waitForPayload('back');
      expect(inbox.payloads).toEqual(['back']);
    });

    it('keeps delivering when a handler throws', async () => {
      const publisher = await open();
      const ch = channel('throwing');
      let thrown = 0;
      await publisher.subscribe(ch, () => {
        thrown++;
        throw new Error('handler failure');
      });
      const inbox = new Inbox();
      await publisher.subscribe(ch, inbox.handler);
      await publisher.publish(messagesOn(ch, ['p1', 'p2']));
      await publisher.publish(messagesOn(ch, ['p3']));
      await inbox.waitForCount(3);
      expect(inbox.payloads).toEqual(['p1', 'p2', 'p3']);
      expect(thrown).toBe(3);
    });

    it('close is idempotent and final', async () => {
      const publisher = await open();
      const first = publisher.close();
      const second = publisher.close();
      await Promise.all([first, second]);
      expect(publisher.healthy()).toBe(false);
      await expect(publisher.publish(messagesOn(channel('closed'), ['x']))).rejects.toThrow(/closed/);
      await expect(publisher.subscribe(channel('closed'), () => undefined)).rejects.toThrow(/closed/);
    });
  });
}

describe('RedisPublisher specifics', () => {
  it('fails fast while Redis is unreachable and keeps the password out of errors and logs', async () => {
    const port = await unusedPort();
    const capture = new LogCapture();
    const publisher = new RedisPublisher({
      url: `redis://bridge:s3cr3t-pw@127.0.0.1:${port}`,
      logger: capture.logger,
      reconnect: { initialMs: 10, maxMs: 50, factor: 2 },
    });
    opened.push(publisher);
    const error: unknown = await publisher
      .publish(messagesOn(channel('down'), ['x']))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisPublishError);
    expect((error as RedisPublishError).failed).toBe(1);
    expect(publisher.healthy()).toBe(false);
    await capture.waitFor('redis publish connection failed');
    await publisher.close();
    expect(String(error)).not.toContain('s3cr3t-pw');
    expect(capture.raw.join('\n')).not.toContain('s3cr3t-pw');
    expect(capture.matching('redis publish connection failed')).toHaveLength(1);
  });

  /**
   * Runs `body` with the URL of a fresh Redis user (password `password`) that has these ACL rules; the
   * user is deleted afterwards.
   */
  async function asRedisUser(
    rules: readonly string[],
    password: string,
    body: (url: string) => Promise<void>,
  ): Promise<void> {
    const admin = new Redis(redisUrl);
    const user = `wsb-test-${randomUUID()}`;
    try {
      await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, ...rules);
      const url = new URL(redisUrl);
      url.username = user;
      url.password = password;
      await body(url.toString());
    } finally {
      await admin.call('ACL', 'DELUSER', user);
      await admin.quit();
    }
  }

  it('rejects the whole call when Redis refuses one of its messages', async () => {
    const prefix = `test:${randomUUID()}:allowed`;
    await asRedisUser(['+@all', '~*', 'resetchannels', `&${prefix}*`], 'pw-1', async (url) => {
      const publisher = new RedisPublisher({ url, logger: silentLogger() });
      opened.push(publisher);
      await publisher.whenReady();
      const inbox = new Inbox();
      await publisher.subscribe(`${prefix}:1`, inbox.handler);
      const call = publisher.publish([
        { channel: `${prefix}:1`, payload: 'a' },
        { channel: channel('forbidden'), payload: 'b' },
        { channel: `${prefix}:1`, payload: 'c' },
      ]);
      await expect(call).rejects.toThrow(/1 of 3 messages/);
      // The others were accepted: the caller retries the whole call, so consumers may see them twice.
      await inbox.waitForCount(2);
      expect(inbox.payloads).toEqual(['a', 'c']);
    });
  });

  it('publishes with one PUBLISH per message when the user may not run scripts, and says so once', async () => {
    await asRedisUser(['+@all', '-@scripting', '~*', '&*'], 'pw-2', async (url) => {
      const capture = new LogCapture();
      const publisher = new RedisPublisher({ url, logger: capture.logger });
      opened.push(publisher);
      await publisher.whenReady();
      const ch = channel('no-scripts');
      const inbox = new Inbox();
      await publisher.subscribe(ch, inbox.handler);
      await publisher.publish(messagesOn(ch, ['1', '2']));
      await publisher.publish(messagesOn(ch, ['3']));
      await inbox.waitForCount(3);
      expect(inbox.payloads).toEqual(['1', '2', '3']);
      expect(capture.matching('redis refused the publish script')).toHaveLength(1);
      expect(capture.raw.join('\n')).not.toContain('pw-2');
    });
  });
});
