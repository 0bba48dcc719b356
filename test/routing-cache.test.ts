import {
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
} from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/**
 * The relay caches each source and its destinations after the first request; these change
 * through the API right after, and the very next request must already see the change
 * (the ingest statement refuses a write routed with an old config_version).
 */
describe('the relay’s source cache follows every change at once', () => {
  let hookline: HooklineProcess;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const storage = await backendEnv();
    hookline = await startHooklineProcess({ env: storage.env });
    cleanup = storage.cleanup;
  });
  afterAll(async () => {
    await hookline.stop();
    await cleanup();
  });

  const send = async (ingestUrl: string, secret = MUX_SECRET) => {
    const body = freshMuxEvent();
    return sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, secret) });
  };

  it('delivers to a destination added after the cache was filled, and not to one deleted', async () => {
    const first = await startReceiver();
    const second = await startReceiver();
    try {
      const { api } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      const one = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: first.url });
      expect((await send(source.ingest_url)).status).toBe(200); // fills the cache
      await first.waitFor(1);

      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: second.url });
      const added = await send(source.ingest_url);
      expect(added.status).toBe(200);
      await second.waitFor(1);
      await first.waitFor(2);

      await api.ok('DELETE', `/v1/destinations/${one.id}`);
      const afterDelete = await send(source.ingest_url);
      expect(afterDelete.status).toBe(200);
      await second.waitFor(2);
      const detail = await eventually(async () => {
        const event = await api.ok('GET', `/v1/events/${afterDelete.body.id}`);
        return event.deliveries.length > 0 && event;
      });
      expect(detail.deliveries.map((d: { destination_id: string }) => d.destination_id)).not.toContain(one.id);
      expect(detail.deliveries).toHaveLength(1);
      expect(first.received).toHaveLength(2);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('verifies with a rotated secret on the next request, and refuses a deleted source’s key', async () => {
    const receiver = await startReceiver();
    try {
      const { api } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
      expect((await send(source.ingest_url)).status).toBe(200);

      // No grace period: only the new secret is valid from now on.
      await api.ok('PATCH', `/v1/sources/${source.id}`, { verification: { secret: 'a-brand-new-secret-0002' }, grace_period_seconds: 0 });
      expect((await send(source.ingest_url, 'a-brand-new-secret-0002')).status).toBe(200);
      expect((await send(source.ingest_url)).status).toBe(401);

      await api.ok('DELETE', `/v1/sources/${source.id}`);
      expect((await send(source.ingest_url, 'a-brand-new-secret-0002')).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });
});
