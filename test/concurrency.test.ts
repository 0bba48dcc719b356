import { backendEnv, eventually, muxSignature, sendWebhook, signUp, startHooklineProcess, startReceiver } from '@hookline/testing';
import { expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

it('20 simultaneous copies of one event yield exactly one event and one delivery', async () => {
  const storage = await backendEnv();
  const receiver = await startReceiver();
  const hookline = await startHooklineProcess({ env: storage.env });
  try {
    const { api } = await signUp(hookline.url);
    const source = await createMuxSource(api);
    await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    const body = freshMuxEvent();
    const signature = muxSignature(body, MUX_SECRET);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => sendWebhook(source.ingest_url, body, { 'mux-signature': signature })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);

    const events = await api.ok('GET', '/v1/events');
    expect(events.data).toHaveLength(1);
    const detail = await api.ok('GET', `/v1/events/${events.data[0].id}`);
    expect(detail.deliveries).toHaveLength(1);
    const log = await api.ok('GET', '/v1/requests?limit=100');
    expect(log.data.map((r: { outcome: string }) => r.outcome).sort()).toEqual(['accepted', ...Array(19).fill('duplicate')]);
    expect(new Set(log.data.map((r: { event_id: string }) => r.event_id))).toEqual(ids);

    await receiver.waitFor(1);
    // The one delivery settled with one attempt: a succeeded delivery is never claimed again,
    // so with one delivery row (above) nothing can send it a second time.
    await eventually(async () => {
      const [delivery] = (await api.ok('GET', `/v1/events/${events.data[0].id}`)).deliveries;
      return delivery.status === 'succeeded' && delivery.attempts.length === 1;
    });
    expect(receiver.received).toHaveLength(1);
  } finally {
    await hookline.stop();
    await receiver.close();
    await storage.cleanup();
  }
});
