import {
  type BackendEnv,
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  type Receiver,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  startRedisServer,
  testBackend,
} from '@hookline/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

// Short timeout and sweep interval so a lapsed lease or a lost job is recovered in about a second.
const FAST = {
  HOOKLINE_DELIVERY_TIMEOUT: '1s',
  HOOKLINE_SWEEP_INTERVAL: '300ms',
  HOOKLINE_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms',
  // These tests fail many attempts in a row on purpose; the circuit breaker would rightly hold
  // the destination back for its 30 s back-off, which is not what they measure.
  HOOKLINE_BREAKER_THRESHOLD: '1000000',
};

describe('nothing answered 2xx is ever lost', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.reverse()) await fn();
    cleanups.length = 0;
  });

  async function setup(storage: BackendEnv, receiver: Receiver) {
    const hookline = await startHooklineProcess({ env: { ...storage.env, ...FAST } });
    const { api } = await signUp(hookline.url);
    const source = await createMuxSource(api);
    await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    return { hookline, api, source };
  }

  async function send(ingestUrl: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const body = freshMuxEvent();
      const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
      expect(answer.status).toBe(200);
      ids.push(answer.body.id);
    }
    return ids;
  }

  const deliveredIds = (receiver: Receiver) => new Set(receiver.received.map((r) => r.headers['webhook-id'] as string));

  it('kill -9 while a delivery is in flight: after a restart the event is delivered', async () => {
    const storage = await backendEnv();
    const receiver = await startReceiver(() => 'hang');
    cleanups.push(
      () => storage.cleanup(),
      () => receiver.close(),
    );
    const first = await setup(storage, receiver);
    let hookline: HooklineProcess = first.hookline;
    cleanups.push(() => hookline.stop());

    const [eventId] = await send(first.source.ingest_url, 1);
    await receiver.waitFor(1); // the attempt is in flight: the destination holds it
    expect(await hookline.stop('SIGKILL')).toBeNull();

    receiver.respondWith(() => ({ status: 200 }));
    hookline = await startHooklineProcess({ env: { ...storage.env, ...FAST }, port: hookline.port });
    await receiver.waitFor(2);
    expect(receiver.received[1]?.headers['webhook-id']).toBe(eventId);
    const detail = await eventually(async () => {
      const event = await first.api.ok('GET', `/v1/events/${eventId}`);
      return event.status === 'delivered' && event;
    });
    expect(detail.deliveries[0].attempts.at(-1).status_code).toBe(200);
  });

  it('kill -9 right after accepting a burst: every accepted event is delivered after a restart', async () => {
    const storage = await backendEnv();
    const receiver = await startReceiver(() => ({ status: 503 }));
    cleanups.push(
      () => storage.cleanup(),
      () => receiver.close(),
    );
    const first = await setup(storage, receiver);
    let hookline: HooklineProcess = first.hookline;
    cleanups.push(() => hookline.stop());

    const ids = await send(first.source.ingest_url, 10);
    await hookline.stop('SIGKILL');
    receiver.respondWith(() => ({ status: 200 }));
    hookline = await startHooklineProcess({ env: { ...storage.env, ...FAST }, port: hookline.port });
    // Jobs the dead worker held come back when BullMQ's stall check sees their locks expire.
    await eventually(async () => ids.every((id) => deliveredIds(receiver).has(id)), 40_000);
  });

  it.skipIf(testBackend() !== 'postgres')('FLUSHALL and a restart of Redis mid-run: every accepted event is still delivered', async () => {
    const redis = await startRedisServer();
    const storage = await backendEnv({ redisUrl: redis.url });
    const receiver = await startReceiver(() => ({ status: 500 }));
    cleanups.push(
      () => redis.stop(),
      () => storage.cleanup(),
      () => receiver.close(),
    );
    const { hookline, source } = await setup(storage, receiver);
    cleanups.push(() => hookline.stop());

    // Retries are queued as delayed jobs in Redis...
    const before = await send(source.ingest_url, 5);
    await receiver.waitFor(5);
    // ...and Redis forgets them all.
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    const during = await send(source.ingest_url, 5);

    // Redis goes away entirely: ingest keeps answering 200 from the database alone.
    await redis.stop();
    const whileDown = await send(source.ingest_url, 5);
    await redis.start();

    receiver.respondWith(() => ({ status: 200 }));
    const all = [...before, ...during, ...whileDown];
    await eventually(async () => all.every((id) => deliveredIds(receiver).has(id)), 30_000);
  });
});
