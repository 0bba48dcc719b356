import type { FastifyRateLimitOptions, FastifyRateLimitStore } from '@fastify/rate-limit';
import { startRedisServer } from '@hookline/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failoverStore } from './failover-store.ts';

type RedisServer = Awaited<ReturnType<typeof startRedisServer>>;

let server: RedisServer;
let client: Redis;
let admin: Redis;
const events: string[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  // As the process makes it: no offline queue, so a disconnected client fails at once.
  client = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50 });
  client.on('error', () => {});
  admin = new Redis(server.url, { retryStrategy: () => 50 });
  admin.on('error', () => {});
  await Promise.all([once(client, 'ready'), once(admin, 'ready')]);
});

afterAll(async () => {
  client.disconnect();
  admin.disconnect();
  await server.stop();
});

function once(emitter: Redis, event: string) {
  return new Promise<void>((resolve) => emitter.once(event, () => resolve()));
}

function newStore(): FastifyRateLimitStore {
  const Store = failoverStore({
    redis: client,
    nameSpace: 'test-rl:',
    timeoutMs: 200,
    retryMs: 300,
    onFallback: (err) => events.push(`fallback: ${err.message}`),
    onRecover: () => events.push('recovered'),
  });
  return new Store({} as FastifyRateLimitOptions);
}

async function incr(store: FastifyRateLimitStore, key: string, max = 3) {
  const started = performance.now();
  const counts = await new Promise<{ current: number; ttl: number }>((resolve, reject) =>
    store.incr(key, (err, result) => (err || !result ? reject(err) : resolve(result)), 60_000, max),
  );
  return { ...counts, ms: performance.now() - started };
}

describe('failoverStore', () => {
  it('counts in Redis, in this process while Redis is down, and in Redis again once it is back', async () => {
    const store = newStore();
    expect((await incr(store, 'a')).current).toBe(1);
    expect((await incr(store, 'a')).current).toBe(2);
    expect(await admin.get('test-rl:a')).toBe('2');

    const closed = once(client, 'close');
    await server.stop();
    await closed;
    // Counted in this process from zero: the limit still holds, answered at once.
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await incr(store, 'a'));
    expect(during.map((c) => c.current)).toEqual([1, 2, 3, 4]);
    expect(Math.max(...during.map((c) => c.ms))).toBeLessThan(100);
    expect(during[3]?.ttl).toBeGreaterThan(50_000);

    const ready = Promise.all([once(client, 'ready'), once(admin, 'ready')]);
    await server.start();
    await ready;
    await new Promise((r) => setTimeout(r, 350)); // retryMs
    expect((await incr(store, 'a')).current).toBe(1); // a fresh Redis
    expect(await admin.get('test-rl:a')).toBe('1');
  });

  it('sends the increments of one turn as one Redis call, each request answered with its own count', async () => {
    const store = newStore();
    await admin.config('RESETSTAT');
    const turn = await Promise.all(Array.from({ length: 10 }, () => incr(store, 'c', 100)));
    expect(turn.map((c) => c.current).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const next = await Promise.all([incr(store, 'c', 100), incr(store, 'c', 100), incr(store, 'd', 100)]);
    expect(next.map((c) => c.current)).toEqual([11, 12, 1]);
    expect(await admin.get('test-rl:c')).toBe('12');
    // The window runs from the first count, as with one INCR each.
    expect(await admin.pttl('test-rl:c')).toBeGreaterThan(59_000);
    expect(turn.every((c) => c.ttl > 59_000 && c.ttl <= 60_000)).toBe(true);
    // Three calls of the script: one for the first turn, one per key in the second.
    const stats = await admin.info('commandstats');
    const calls = [...stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(calls).toBe(3);
  });

  it('falls back within its timeout when Redis hangs, without waiting again until it retries', async () => {
    const store = newStore();
    expect((await incr(store, 'b')).current).toBe(1);
    server.pause();
    try {
      const first = await incr(store, 'b');
      expect(first.current).toBe(1); // this process's count
      expect(first.ms).toBeGreaterThanOrEqual(190);
      expect(first.ms).toBeLessThan(1_000);
      const next = await incr(store, 'b');
      expect(next.current).toBe(2);
      expect(next.ms).toBeLessThan(50);
      expect(events.at(-1)).toMatch(/no answer from Redis in 200 ms/);
    } finally {
      server.resume();
    }
    await new Promise((r) => setTimeout(r, 350));
    // The answer to the timed-out call arrives late and is ignored; counting is in Redis again.
    const after = await incr(store, 'b');
    expect(Number(await admin.get('test-rl:b'))).toBe(after.current);
    expect(events.at(-1)).toBe('recovered');
  });
});
