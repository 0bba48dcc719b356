import { ApiClient, backendEnv, eventually, signUp, startHooklineProcess, startRedisServer, testBackend } from '@hookline/testing';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';

type Answer = { status: number; body: { error?: { code: string } }; headers: Headers };

/** Calls until one is refused; how many passed, and the refusal. */
async function untilRefused(call: (i: number) => Promise<Answer>, most: number) {
  const passed: number[] = [];
  for (let i = 0; i < most; i++) {
    const res = await call(i);
    if (res.status === 429) return { passed, refused: res };
    passed.push(res.status);
  }
  return { passed, refused: undefined };
}

// Scale mode keeps rate-limit counters in Redis. When Redis is unreachable the limits must
// still hold (counted in each process), or login guessing is unlimited during an outage.
it.skipIf(testBackend() !== 'postgres')('rate limits stay in force while Redis is down, and go back to Redis when it returns', async () => {
  const redis = await startRedisServer();
  const storage = await backendEnv({ redisUrl: redis.url });
  const hookline = await startHooklineProcess({ role: 'api', env: { ...storage.env, HOOKLINE_API_RATE_LIMIT: '5' } });
  const admin = new Redis(redis.url, { retryStrategy: () => 100 });
  admin.on('error', () => {});
  const apiCounters = () => admin.keys(`${storage.env.HOOKLINE_REDIS_PREFIX}:rl:api:*`);
  try {
    const { api: setup } = await signUp(hookline.url);
    // Counting in Redis to begin with (once the process's connection to it is up).
    await eventually(async () => (await setup.call('GET', '/v1/sources')).status === 200 && (await apiCounters()).length === 1);
    // A key no call has used yet: its budget is counted in the process during the outage.
    const api = new ApiClient(hookline.url, (await setup.ok('POST', '/v1/api-keys', { name: 'outage' })).key);
    await redis.stop();

    // Logins: 30 a minute per address (the process may have counted a few of them itself
    // before its Redis connection was up). Each guess names another email, so only the
    // address limit applies, not the per-account one.
    const open = new ApiClient(hookline.url);
    const logins = await untilRefused(
      (i) => open.call('POST', '/v1/sessions', { email: `guess${i}-${Date.now()}@example.test`, password: 'a wrong guess' }),
      40,
    );
    expect(logins.passed.length).toBeLessThanOrEqual(30);
    expect(logins.passed.every((status) => status === 401)).toBe(true);
    expect(logins.refused?.body.error?.code).toBe('rate_limited');
    expect(Number(logins.refused?.headers.get('retry-after'))).toBeGreaterThan(0);

    // API calls: 5 a minute per key, counted afresh in this process.
    const calls = await untilRefused(() => api.call('GET', '/v1/sources'), 10);
    expect(calls.passed).toEqual([200, 200, 200, 200, 200]);
    expect(Number(calls.refused?.headers.get('retry-after'))).toBeGreaterThan(0);

    // Redis is back, empty: counting moves back to it, so the key's budget starts afresh there.
    await redis.start();
    await eventually(async () => (await api.call('GET', '/v1/sources')).status === 200, 20_000, 250);
    expect(await apiCounters()).toHaveLength(1); // the new key's
  } finally {
    admin.disconnect();
    await hookline.stop();
    await redis.stop();
    await storage.cleanup();
  }
});
