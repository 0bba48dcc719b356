import {
  backendEnv,
  eventually,
  muxSignature,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  startRedisServer,
  testBackend,
} from '@hookline/testing';
import { expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

async function readiness(baseUrl: string) {
  const res = await fetch(`${baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; database: string; queue: string } };
}

// Readiness per role (CONTRACT §7): ingest stores first and leaves enqueueing to the sweeper,
// so a Redis outage must not take relays out of rotation; a worker cannot work without it.
it.skipIf(testBackend() !== 'postgres')(
  'while Redis is down the relay and API stay ready and ingest answers; the worker is unready naming the queue',
  async () => {
    const redis = await startRedisServer();
    const storage = await backendEnv({ redisUrl: redis.url });
    const receiver = await startReceiver();
    const env = { ...storage.env, HOOKLINE_SWEEP_INTERVAL: '500ms' };
    const [relay, api, worker] = await Promise.all(['relay', 'api', 'worker'].map((role) => startHooklineProcess({ role, env })));
    try {
      for (const p of [relay!, api!, worker!])
        expect(await readiness(p.url)).toEqual({ status: 200, body: { ok: true, database: 'ok', queue: 'ok' } });
      const tenant = await signUp(api!.url);
      const source = await createMuxSource(tenant.api);
      await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
      const ingestUrl = source.ingest_url.replace(api!.url, relay!.url);

      await redis.stop();
      const workerState = await eventually(async () => {
        const state = await readiness(worker!.url);
        return state.status === 503 ? state : undefined;
      });
      expect(workerState.body).toMatchObject({ ok: false, database: 'ok' });
      expect(workerState.body.queue).toMatch(/^unavailable/);

      for (const p of [relay!, api!]) {
        const state = await readiness(p.url);
        expect(state.status).toBe(200);
        expect(state.body).toMatchObject({ ok: true, database: 'ok' });
        expect(state.body.queue).toMatch(/^unavailable/);
      }
      // Ingest keeps answering: the event is stored, its delivery waits for the queue.
      const body = freshMuxEvent();
      const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
      expect(answer.status).toBe(200);

      // Redis returns: the worker is ready again and the sweeper hands it the delivery.
      await redis.start();
      await eventually(async () => (await readiness(worker!.url)).status === 200, 30_000, 200);
      await receiver.waitFor(1, 30_000);
      expect(receiver.received[0]?.headers['webhook-id']).toBe(answer.body.id);
    } finally {
      await Promise.all([relay, api, worker].map((p) => p?.stop()));
      await receiver.close();
      await redis.stop();
      await storage.cleanup();
    }
  },
);
