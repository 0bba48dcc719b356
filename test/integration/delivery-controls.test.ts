import {
  type BackendEnv,
  backendEnv,
  eventually,
  muxSignature,
  type Receiver,
  type Respond,
  sendWebhook,
  signUp,
  startReceiver,
  type Tenant,
} from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, type InProcessHookline, MUX_SECRET, startHooklineApp } from '../helpers.ts';

/** A receiver that also knows how many of its requests were open at once when each arrived. */
async function countingReceiver(respond: Respond) {
  let open = 0;
  const concurrency: number[] = [];
  const receiver = await startReceiver((n, req) => {
    open++;
    concurrency.push(open);
    const answer = respond(n, req);
    if (answer === 'hang') return answer;
    // The answer goes out after delayMs; the request counts as open until then.
    setTimeout(() => open--, answer.delayMs ?? 0);
    return answer;
  });
  return Object.assign(receiver, { concurrency });
}

describe('delivery controls: caps, rate limits, the circuit breaker', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let alice: Tenant;
  let bob: Tenant;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    storage = await backendEnv();
    hookline = await startHooklineApp({
      env: {
        ...storage.env,
        HOOKLINE_RETRY_SCHEDULE: '200ms,300ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms',
        HOOKLINE_DELIVERY_TIMEOUT: '4s',
        HOOKLINE_WORKER_CONCURRENCY: '8',
        HOOKLINE_TENANT_MAX_IN_FLIGHT: '4',
        HOOKLINE_BREAKER_THRESHOLD: '3',
        HOOKLINE_BREAKER_BACKOFF: '300ms',
        HOOKLINE_BREAKER_MAX_BACKOFF: '300ms',
        // "A day" of failing, on a fast clock.
        HOOKLINE_DISABLE_AFTER: '5s',
        // The sweeper is a backstop these flows must not need: a minute's sweep never comes.
        HOOKLINE_SWEEP_INTERVAL: '60s',
      },
    });
    alice = await signUp(hookline.url, hookline.fetch);
    bob = await signUp(hookline.url, hookline.fetch);
  });
  afterAll(async () => {
    await hookline?.close();
    for (const r of receivers) await r.close();
    await storage?.cleanup();
  });

  async function destinationFor(tenant: Tenant, url: string, controls: Record<string, unknown> = {}) {
    const source = await createMuxSource(tenant.api);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url, ...controls });
    return { source, destination };
  }

  /** Sends events one after the other; returns their ids in order. */
  async function send(source: { ingest_url: string }, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const body = freshMuxEvent();
      const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) }, hookline.fetch);
      expect(answer.status).toBe(200);
      ids.push(answer.body.id);
    }
    return ids;
  }

  const track = <T extends Receiver>(r: T) => {
    receivers.push(r);
    return r;
  };

  it('a cap of 1 delivers strictly in order, never two at once; a cap of 3 never more than 3', async () => {
    const serial = track(await countingReceiver(() => ({ status: 200, delayMs: 40 })));
    const three = track(await countingReceiver(() => ({ status: 200, delayMs: 40 })));
    const one = await destinationFor(alice, serial.url, { max_in_flight: 1 });
    expect(one.destination).toMatchObject({ max_in_flight: 1, rate_limit: null, status: 'active' });
    const capped = await destinationFor(alice, three.url, { max_in_flight: 3 });
    const [serialIds, threeIds] = await Promise.all([send(one.source, 15), send(capped.source, 15)]);
    await serial.waitFor(15);
    await three.waitFor(15);
    expect(serial.received.map((r) => r.headers['webhook-id'])).toEqual(serialIds);
    expect(Math.max(...serial.concurrency)).toBe(1);
    expect(Math.max(...three.concurrency)).toBeLessThanOrEqual(3);
    expect(new Set(three.received.map((r) => r.headers['webhook-id']))).toEqual(new Set(threeIds));
  });

  it('hanging destinations of one tenant do not hold the slots another tenant needs', async () => {
    const hanging = track(await startReceiver(() => 'hang'));
    const healthy = track(await startReceiver(() => ({ status: 200 })));
    // Alice: six destinations that hang until the 4 s timeout, 5 in flight each allowed (30 > 8 slots).
    const source = await createMuxSource(alice.api);
    for (let i = 0; i < 6; i++) await alice.api.ok('POST', '/v1/destinations', { source_id: source.id, url: hanging.url });
    await send(source, 6);
    await hanging.waitFor(4); // her share of this worker's slots is taken
    const bobs = await destinationFor(bob, healthy.url);
    const sentAt = Date.now();
    await send(bobs.source, 5);
    await healthy.waitFor(5, 3_000);
    // Well inside the timeout the hanging attempts hold their slots for.
    expect(Math.max(...healthy.received.map((r) => r.at)) - sentAt).toBeLessThan(3_000);
    // Alice's hangers never got more than her share of this worker's 8 slots.
    expect(hanging.received.length).toBeLessThanOrEqual(4);
    // Her hanging attempts end now and nothing of hers is retried into the next tests.
    await alice.api.ok('DELETE', `/v1/sources/${source.id}`);
    await hanging.close();
  });

  it('a rate limit spaces attempts: never more than `count` in any period', async () => {
    const receiver = track(await startReceiver(() => ({ status: 200 })));
    const { source } = await destinationFor(alice, receiver.url, { rate_limit: { count: 3, period: 'second' } });
    const ids = await send(source, 8);
    await receiver.waitFor(8, 10_000);
    const times = receiver.received.map((r) => r.at);
    // The limit counts attempts as they start; arrivals jitter by the network and a busy
    // machine, so windows are taken 300 ms short of the period.
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 700).length).toBeLessThanOrEqual(3);
    // 8 at 3 per second: the last at least two periods after the first.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1_900);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set(ids));
  });

  it('the breaker opens after 3 failures in a row, probes one at a time, and closes on a success', async () => {
    const receiver = track(await countingReceiver(() => ({ status: 500, delayMs: 100 })));
    const { source, destination } = await destinationFor(bob, receiver.url, { max_in_flight: 5 });
    const ids = await send(source, 10);
    await receiver.waitFor(8, 10_000);
    const view = await bob.api.ok('GET', `/v1/destinations/${destination.id}`);
    expect(view.consecutive_failures).toBeGreaterThanOrEqual(3);
    expect(view.failing_since).not.toBeNull();
    // Several at once before it tripped (the first batch), one at a time after.
    expect(Math.max(...receiver.concurrency.slice(0, 5))).toBeGreaterThan(1);
    expect(receiver.concurrency.slice(6)).toEqual(receiver.concurrency.slice(6).map(() => 1));
    // Every event retrying on its own would be ~10 attempts per 200–500 ms; the breaker lets one probe through per 300 ms.
    const before = receiver.received.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.received.length - before).toBeLessThanOrEqual(3);

    // The endpoint recovers: a successful probe closes the breaker and everything is delivered.
    receiver.respondWith(() => ({ status: 200 }));
    const delivered = await eventually(async () => {
      const page = await bob.api.ok('GET', `/v1/destinations/${destination.id}/deliveries?status=succeeded&limit=100`);
      return page.data.length === ids.length && page;
    }, 15_000);
    expect(new Set(delivered.data.map((d: any) => d.event_id))).toEqual(new Set(ids));
    expect(await bob.api.ok('GET', `/v1/destinations/${destination.id}`)).toMatchObject({
      status: 'active',
      consecutive_failures: 0,
      failing_since: null,
      breaker_open_until: null,
    });
  });

  it('a destination failing for "a day" is disabled, holds its events, and on re-enabling delivers every one in order', async () => {
    let failing = true;
    const receiver = track(await startReceiver(() => (failing ? { status: 503 } : { status: 200 })));
    const { source, destination } = await destinationFor(alice, receiver.url, { max_in_flight: 1 });
    const first = await send(source, 4);
    const disabled = await eventually(async () => {
      const view = await alice.api.ok('GET', `/v1/destinations/${destination.id}`);
      return view.status === 'disabled' && view;
    }, 15_000);
    expect(disabled.disabled_at).not.toBeNull();
    expect(disabled.failing_since).not.toBeNull();
    expect(disabled.paused).toBe(false);
    // Events that arrive while it is disabled are kept, held.
    const later = await send(source, 3);
    const ids = [...first, ...later];
    const held = await eventually(async () => {
      const page = await alice.api.ok('GET', `/v1/destinations/${destination.id}/deliveries?status=held&limit=100`);
      return page.data.length === ids.length && page.data;
    });
    expect(new Set(held.map((d: any) => d.event_id))).toEqual(new Set(ids));
    expect(new Set(held.map((d: any) => d.held_reason))).toEqual(new Set(['destination_disabled']));
    const event = await alice.api.ok('GET', `/v1/events/${later[0]}`);
    expect(event.deliveries[0]).toMatchObject({ status: 'held', held_reason: 'destination_disabled' });

    failing = false;
    const attemptsBefore = receiver.received.length;
    const enabled = await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { status: 'active' });
    expect(enabled).toMatchObject({ status: 'active', disabled_at: null, failing_since: null, consecutive_failures: 0 });
    await receiver.waitFor(attemptsBefore + ids.length, 10_000);
    expect(receiver.received.slice(attemptsBefore).map((r) => r.headers['webhook-id'])).toEqual(ids);
    await eventually(async () => {
      const page = await alice.api.ok('GET', `/v1/destinations/${destination.id}/deliveries?status=succeeded&limit=100`);
      return page.data.length === ids.length;
    });
  });

  it('pause and resume through status or the paused boolean, which agree', async () => {
    const { destination } = await destinationFor(alice, 'https://example.com/hook');
    const paused = await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { paused: true });
    expect(paused).toMatchObject({ status: 'paused', paused: true });
    const resumed = await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { status: 'active' });
    expect(resumed).toMatchObject({ status: 'active', paused: false });
    const again = await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { status: 'paused', max_in_flight: 2 });
    expect(again).toMatchObject({ status: 'paused', paused: true, max_in_flight: 2 });
    const limited = await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { rate_limit: { count: 10, period: 'minute' } });
    expect(limited.rate_limit).toEqual({ count: 10, period: 'minute' });
    expect((await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { rate_limit: null })).rate_limit).toBeNull();
  });

  it('refuses bad controls with 400 and changes nothing', async () => {
    const { destination } = await destinationFor(alice, 'https://example.com/hook');
    for (const body of [
      { max_in_flight: 0 },
      { max_in_flight: 2.5 },
      { max_in_flight: 1001 },
      { rate_limit: { count: 0, period: 'second' } },
      { rate_limit: { count: 5, period: 'day' } },
      { rate_limit: { count: 5 } },
      { status: 'disabled' },
      { status: 'sleeping' },
      { status: 'active', paused: true },
    ]) {
      const res = await alice.api.call('PATCH', `/v1/destinations/${destination.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toBeTruthy();
    }
    const created = await alice.api.call('POST', '/v1/destinations', {
      source_id: destination.source_id,
      url: 'https://example.com/x',
      max_in_flight: -1,
    });
    expect(created.status).toBe(400);
    expect(await alice.api.ok('GET', `/v1/destinations/${destination.id}`)).toMatchObject({
      status: 'active',
      max_in_flight: 5,
      rate_limit: null,
    });
  });

  it('another tenant can neither read, change, re-enable nor list the deliveries of a destination', async () => {
    const { destination } = await destinationFor(alice, 'https://example.com/hook', { max_in_flight: 2 });
    expect((await bob.api.call('PATCH', `/v1/destinations/${destination.id}`, { status: 'active' })).status).toBe(404);
    expect((await bob.api.call('PATCH', `/v1/destinations/${destination.id}`, { max_in_flight: 9 })).status).toBe(404);
    expect((await bob.api.call('GET', `/v1/destinations/${destination.id}/deliveries`)).status).toBe(404);
    expect((await alice.api.ok('GET', `/v1/destinations/${destination.id}`)).max_in_flight).toBe(2);
  });
});
