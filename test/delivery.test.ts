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
} from '@hookline/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';
import { sample, scrape } from './metrics-text.ts';

describe('a signed Mux webhook in, a signed delivery out', () => {
  let storage: BackendEnv;
  let hookline: HooklineProcess;
  let receiver: Receiver;

  beforeAll(async () => {
    storage = await backendEnv();
    receiver = await startReceiver();
    hookline = await startHooklineProcess({ env: storage.env });
  });
  afterAll(async () => {
    await hookline?.stop();
    await receiver?.close();
    await storage?.cleanup();
  });

  it('verifies, stores, answers, and delivers the normalized event signed with Standard Webhooks', async () => {
    const { api } = await signUp(hookline.url);
    const source = await createMuxSource(api);
    expect(source.ingest_url).toMatch(new RegExp(`^${hookline.url}/in/[\\w-]{20,}$`));
    const destination = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    expect(destination.signing_secret).toMatch(/^whsec_/);

    const providerEventId = crypto.randomUUID();
    const body = freshMuxEvent('video.asset.ready', providerEventId);
    const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: expect.stringMatching(/^evt_/), duplicate: false });

    await receiver.waitFor(1);
    const delivered = receiver.received[0]!;
    // The destination verifies with the reference Standard Webhooks library.
    const event = new Webhook(destination.signing_secret).verify(delivered.body, delivered.headers as Record<string, string>) as any;
    expect(delivered.headers['webhook-id']).toBe(answer.body.id);
    expect(delivered.headers['content-type']).toBe('application/json');
    expect(delivered.headers['hookline-event-type']).toBe('video.asset.ready');
    expect(delivered.headers['hookline-provider']).toBe('mux');
    expect(delivered.headers['hookline-source-id']).toBe(source.id);
    expect(delivered.headers['hookline-attempt']).toBe('1');

    const original = JSON.parse(body);
    expect(event).toMatchObject({
      id: answer.body.id,
      type: 'video.asset.ready',
      provider: 'mux',
      source_id: source.id,
      occurred_at: new Date(original.created_at).toISOString(),
      object: { type: 'asset', id: original.object.id },
      environment: { id: original.environment.id, name: original.environment.name },
      provider_event: { id: providerEventId, type: 'video.asset.ready' },
    });
    expect(event.data).toEqual(original.data);

    // The API tells the same story: the event, its raw request, its delivery and attempt.
    // The destination has answered; the attempt is recorded a moment later.
    const detail = await eventually(async () => {
      const event = await api.ok('GET', `/v1/events/${answer.body.id}`);
      return event.status === 'delivered' && event;
    });
    expect(detail.request.body).toBe(body);
    expect(detail.request.headers['mux-signature']).toBeDefined();
    expect(detail.deliveries).toHaveLength(1);
    expect(detail.deliveries[0]).toMatchObject({ destination_id: destination.id, status: 'succeeded' });
    expect(detail.deliveries[0].attempts).toEqual([
      expect.objectContaining({ number: 1, status_code: 200, error: null, duration_ms: expect.any(Number) }),
    ]);
    const list = await api.ok('GET', `/v1/events?source_id=${source.id}`);
    expect(list.data.map((e: { id: string }) => e.id)).toEqual([answer.body.id]);
    expect(list.data[0].status).toBe('delivered');
  });

  it('keeps a tenant out of another tenant’s sources, destinations and events', async () => {
    const alice = await signUp(hookline.url);
    const bob = await signUp(hookline.url);
    const source = await createMuxSource(alice.api);
    const destination = await alice.api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    const body = freshMuxEvent();
    const { body: accepted } = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });

    for (const path of [`/v1/sources/${source.id}`, `/v1/destinations/${destination.id}`, `/v1/events/${accepted.id}`]) {
      expect((await bob.api.call('GET', path)).status).toBe(404);
      expect((await alice.api.call('GET', path)).status).toBe(200);
    }
    const bobsCreate = await bob.api.call('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    expect(bobsCreate.status).toBe(404);
    for (const path of ['/v1/sources', '/v1/destinations', '/v1/events', '/v1/requests']) {
      expect((await bob.api.ok('GET', path)).data).toEqual([]);
    }
    expect((await bob.api.call('GET', '/v1/sources', undefined)).status).toBe(200);
    const anonymous = await fetch(`${hookline.url}/v1/sources`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  // The worker runs in this process: the ingest statement leases new deliveries to it, so
  // their attempts start with no claim (IngestLease, @hookline/db); what a destination's cap
  // leaves is claimed as its attempts finish.
  it('starts new events’ attempts from the ingest statement, and claims what a full destination could not take yet', async () => {
    const { api } = await signUp(hookline.url);
    const source = await createMuxSource(api);
    const slow = await startReceiver(() => ({ status: 200, delayMs: 200 }));
    try {
      const send = async () => {
        const body = freshMuxEvent('video.asset.ready', crypto.randomUUID());
        const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
        expect(answer.status).toBe(200);
        return answer.body.id as string;
      };
      const starts = async () => {
        const text = await scrape(hookline.url);
        const via = (v: string) => sample(text, 'hookline_delivery_attempt_starts_total', { via: v });
        return { ingest: via('ingest'), claim: via('claim') };
      };

      const idle = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
      const before = await starts();
      const arrived = receiver.received.length;
      for (let i = 0; i < 5; i++) await send();
      await receiver.waitFor(arrived + 5);
      expect(await starts()).toEqual({ ingest: before.ingest + 5, claim: before.claim });
      await api.ok('DELETE', `/v1/destinations/${idle.id}`);

      // One attempt at a time, each answered after 200 ms: the first event's is leased at
      // ingest, the next two wait for room and are claimed one by one.
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: slow.url, max_in_flight: 1 });
      const then = await starts();
      const ids = [await send(), await send(), await send()];
      await slow.waitFor(3);
      expect(slow.received.map((r) => r.headers['webhook-id'])).toEqual(ids);
      const gaps = slow.received.slice(1).map((r, i) => r.at - (slow.received[i]?.at as number));
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(190);
      expect(
        await eventually(async () => {
          const now = await starts();
          return now.claim === then.claim + 2 && now;
        }),
      ).toEqual({ ingest: then.ingest + 1, claim: then.claim + 2 });
    } finally {
      await slow.close();
    }
  });
});
