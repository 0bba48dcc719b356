import { TEST_REDIS_URL, testRedisPrefix } from '@hookline/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisNotifier } from './notifier.ts';

// Relay and worker processes only publish; a process listens on the stream channel once it
// serves a live stream, so no other process is woken for every batch written.
describe('RedisNotifier', () => {
  const prefix = testRedisPrefix();
  const channel = `${prefix}:stream`;
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(TEST_REDIS_URL);
  });
  afterAll(() => admin.disconnect());

  const listeners = async () => ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1];
  const until = async (check: () => Promise<boolean>) => {
    while (!(await check())) await new Promise((r) => setImmediate(r));
  };

  it('listens from the first stream on, and hands published wake-ups to it', async () => {
    const publisher = new RedisNotifier({ redisUrl: TEST_REDIS_URL, prefix });
    const streams = new RedisNotifier({ redisUrl: TEST_REDIS_URL, prefix });
    try {
      publisher.publish('ten_a');
      await new Promise((r) => setTimeout(r, 20));
      expect(await listeners()).toBe(0);

      const woken: string[] = [];
      const unsubscribe = streams.subscribe('ten_a', () => woken.push('ten_a'));
      const second = streams.subscribe('ten_b', () => woken.push('ten_b'));
      await until(async () => (await listeners()) === 1);
      publisher.publish('ten_a');
      await until(async () => woken.length > 0);
      expect(woken).toEqual(['ten_a']);

      unsubscribe();
      second();
      publisher.publish('ten_a');
      publisher.publish('ten_b');
      await new Promise((r) => setTimeout(r, 50));
      expect(woken).toEqual(['ten_a']);
    } finally {
      await publisher.close();
      await streams.close();
    }
  });
});
