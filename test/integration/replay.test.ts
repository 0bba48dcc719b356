import {
  type BackendEnv,
  backendEnv,
  eventually,
  muxSignature,
  type Receiver,
  sendWebhook,
  signUp,
  startReceiver,
  type Tenant,
} from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, type InProcessHookline, MUX_SECRET, startHooklineApp } from '../helpers.ts';

// One retry, then the delivery is a dead letter; replay jobs start within 100 ms and move
// two deliveries per chunk with a pause, so a job lasts long enough to be cancelled midway.
const SETTINGS = {
  HOOKLINE_RETRY_SCHEDULE: '50ms',
  // Dead letters are made by failing many deliveries at once: the circuit breaker would hold them back instead.
  HOOKLINE_BREAKER_THRESHOLD: '1000000',
  HOOKLINE_DELIVERY_TIMEOUT: '1s',
  HOOKLINE_REPLAY_POLL_INTERVAL: '100ms',
  HOOKLINE_REPLAY_CHUNK: '2',
  HOOKLINE_REPLAY_CHUNK_PAUSE: '150ms',
};

describe('dead letters and replay jobs', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let alice: Tenant;
  let bob: Tenant;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    storage = await backendEnv();
    hookline = await startHooklineApp({ env: { ...storage.env, ...SETTINGS } });
    alice = await signUp(hookline.url, hookline.fetch);
    bob = await signUp(hookline.url, hookline.fetch);
  });
  afterAll(async () => {
    await hookline?.close();
    for (const r of receivers) await r.close();
    await storage?.cleanup();
  });

  /** A destination that fails until told otherwise. */
  async function failingDestination(tenant: Tenant, sourceId: string) {
    const receiver = await startReceiver(() => ({ status: 500 }));
    receivers.push(receiver);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: sourceId, url: receiver.url });
    return { receiver, destination };
  }

  /** Events of a type, each with `data.passthrough` when given (what a search finds them by). */
  async function send(ingestUrl: string, type: string, count: number, passthrough?: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const fresh = freshMuxEvent(type);
      const body = passthrough ? fresh.replace(/"data": \{/, `"data": {\n    "passthrough": "${passthrough}",`) : fresh;
      const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) }, hookline.fetch);
      expect(answer.status).toBe(200);
      ids.push(answer.body.id);
    }
    return ids;
  }

  const deadLetterCount = async (tenant: Tenant, destinationId: string) =>
    (await tenant.api.ok('GET', `/v1/dead-letters/counts`)).data.find((c: { destination_id: string }) => c.destination_id === destinationId)
      ?.count ?? 0;

  const finished = (tenant: Tenant, id: string) =>
    eventually(async () => {
      const job = await tenant.api.ok('GET', `/v1/replays/${id}`);
      return job.status !== 'queued' && job.status !== 'running' && job;
    });

  /** Webhook ids a receiver got from its `from`-th request on. */
  const idsFrom = (receiver: Receiver, from: number) => receiver.received.slice(from).map((r) => r.headers['webhook-id'] as string);

  it('lists dead letters per destination and replays exactly what a filter picks (type, time range, destination)', async () => {
    const source = await createMuxSource(alice.api);
    const a = await failingDestination(alice, source.id);
    const b = await failingDestination(alice, source.id);
    const earlyReady = await send(source.ingest_url, 'video.asset.ready', 2);
    const earlyCreated = await send(source.ingest_url, 'video.asset.created', 1);
    await eventually(
      async () => (await deadLetterCount(alice, a.destination.id)) === 3 && (await deadLetterCount(alice, b.destination.id)) === 3,
    );
    const since = new Date().toISOString();
    const lateReady = await send(source.ingest_url, 'video.asset.ready', 3);
    const lateCreated = await send(source.ingest_url, 'video.asset.created', 2);
    await eventually(
      async () => (await deadLetterCount(alice, a.destination.id)) === 8 && (await deadLetterCount(alice, b.destination.id)) === 8,
    );

    // The list: newest first, with the last attempt's outcome, filtered like a replay.
    const page = await alice.api.ok('GET', `/v1/dead-letters?destination_id=${a.destination.id}&type=video.asset.ready&since=${since}`);
    expect(page.data.map((d: { event_id: string }) => d.event_id)).toEqual([...lateReady].reverse());
    expect(page.data[0]).toMatchObject({
      destination_id: a.destination.id,
      attempt_count: 2,
      last_status_code: 500,
      last_error: 'HTTP 500',
    });
    const firstPage = await alice.api.ok('GET', `/v1/dead-letters?destination_id=${a.destination.id}&limit=5`);
    const secondPage = await alice.api.ok(
      'GET',
      `/v1/dead-letters?destination_id=${a.destination.id}&limit=5&cursor=${firstPage.next_cursor}`,
    );
    expect(firstPage.data.length + secondPage.data.length).toBe(8);
    expect(secondPage.next_cursor).toBeNull();

    a.receiver.respondWith(() => ({ status: 200 }));
    b.receiver.respondWith(() => ({ status: 200 }));
    const [aBefore, bBefore] = [a.receiver.received.length, b.receiver.received.length];
    const filter = { destination_id: a.destination.id, types: ['video.asset.ready'], since, status: ['failed'] };
    expect(await alice.api.ok('POST', '/v1/replays/preview', { filter })).toEqual({ total: 3 });
    const started = await alice.api.call('POST', '/v1/replays', { filter });
    expect(started).toMatchObject({ status: 202, body: { status: 'queued', total: 3, done: 0, filter } });
    expect(await finished(alice, started.body.id)).toMatchObject({ status: 'succeeded', total: 3, done: 3 });
    await a.receiver.waitFor(aBefore + 3);
    expect(idsFrom(a.receiver, aBefore).sort()).toEqual([...lateReady].sort());
    // Nothing else moved: the rest are still dead letters, and the other destination got nothing.
    expect(await deadLetterCount(alice, a.destination.id)).toBe(5);
    expect(await deadLetterCount(alice, b.destination.id)).toBe(8);
    expect(b.receiver.received.length).toBe(bBefore);

    // A type glob and a time range with an upper bound: the early events of every type, on b.
    const until = since;
    const byRange = await alice.api.ok('POST', '/v1/replays', {
      filter: { destination_id: b.destination.id, types: ['video.asset.*'], until, status: ['failed'] },
    });
    expect(byRange.total).toBe(3);
    await finished(alice, byRange.id);
    await b.receiver.waitFor(bBefore + 3);
    expect(idsFrom(b.receiver, bBefore).sort()).toEqual([...earlyReady, ...earlyCreated].sort());

    // The destination's own replay: its held and failed deliveries.
    const rest = await alice.api.call('POST', `/v1/destinations/${b.destination.id}/replay`, {});
    expect(rest).toMatchObject({ status: 202, body: { count: 5 } });
    await finished(alice, rest.body.id);
    await b.receiver.waitFor(bBefore + 8);
    expect(idsFrom(b.receiver, bBefore + 3).sort()).toEqual([...lateReady, ...lateCreated].sort());
    expect(await deadLetterCount(alice, b.destination.id)).toBe(0);

    // The event-level replay is a job too; replaying succeeded deliveries redelivers them with the same webhook-id.
    // (Once b's last attempts are recorded: they arrived, but their records commit a moment later.)
    const succeededCreated = { filter: { source_id: source.id, types: ['video.asset.created'], status: ['succeeded'] } };
    await eventually(async () => (await alice.api.ok('POST', '/v1/replays/preview', succeededCreated)).total === 3);
    const legacy = await alice.api.call('POST', '/v1/events/replay', {
      source_id: source.id,
      type: 'video.asset.created',
      status: 'delivered',
    });
    expect(legacy.status).toBe(202);
    expect(legacy.body.count).toBe(3); // b's three created events are delivered; a's are still dead letters
    expect(await finished(alice, legacy.body.id)).toMatchObject({ status: 'succeeded', done: 3 });
    await b.receiver.waitFor(bBefore + 11);
    expect(idsFrom(b.receiver, bBefore + 8).sort()).toEqual([...earlyCreated, ...lateCreated].sort());

    const listed = await alice.api.ok('GET', '/v1/replays');
    expect(listed.data.map((j: { id: string }) => j.id)).toEqual(expect.arrayContaining([started.body.id, byRange.id, rest.body.id]));
  });

  it("replays by search: exactly the deliveries of the events `q` finds, chunk by chunk, as previewed; never another tenant's", async () => {
    const tag = `order-${crypto.randomUUID()}`;
    const source = await createMuxSource(alice.api);
    const a = await failingDestination(alice, source.id);
    const b = await failingDestination(alice, source.id);
    const matching = await send(source.ingest_url, 'video.asset.ready', 3, tag);
    const others = await send(source.ingest_url, 'video.asset.ready', 2, `${tag}-other`);
    // Another tenant's events carry the same passthrough (a tenant of its own: the test below wants Bob with no dead letters).
    const carol = await signUp(hookline.url, hookline.fetch);
    const carolSource = await createMuxSource(carol.api);
    const carols = await failingDestination(carol, carolSource.id);
    await send(carolSource.ingest_url, 'video.asset.ready', 2, tag);
    await eventually(
      async () =>
        (await deadLetterCount(alice, a.destination.id)) === 5 &&
        (await deadLetterCount(alice, b.destination.id)) === 5 &&
        (await deadLetterCount(carol, carols.destination.id)) === 2,
    );
    for (const { receiver } of [a, b, carols]) receiver.respondWith(() => ({ status: 200 }));
    const [aBefore, bBefore, carolBefore] = [a, b, carols].map(({ receiver }) => receiver.received.length) as [number, number, number];

    // Three events at two destinations: six deliveries, three chunks of two (HOOKLINE_REPLAY_CHUNK).
    const filter = { q: `data.passthrough:${tag} type:video.asset.ready`, status: ['failed'] };
    expect(await alice.api.ok('POST', '/v1/replays/preview', { filter })).toEqual({ total: 6 });
    expect(await carol.api.ok('POST', '/v1/replays/preview', { filter })).toEqual({ total: 2 });
    const job = await alice.api.ok('POST', '/v1/replays', { filter });
    expect(job).toMatchObject({ status: 'queued', total: 6, done: 0, filter });
    expect(await finished(alice, job.id)).toMatchObject({ status: 'succeeded', total: 6, done: 6 });
    await a.receiver.waitFor(aBefore + 3);
    await b.receiver.waitFor(bBefore + 3);
    expect(idsFrom(a.receiver, aBefore).sort()).toEqual([...matching].sort());
    expect(idsFrom(b.receiver, bBefore).sort()).toEqual([...matching].sort());
    // The other events stayed dead letters, and Carol's were not touched.
    expect(await deadLetterCount(alice, a.destination.id)).toBe(2);
    expect(await deadLetterCount(carol, carols.destination.id)).toBe(2);
    expect(carols.receiver.received.length).toBe(carolBefore);

    // The event-level replay takes the same search into its job.
    const byEvents = await alice.api.call('POST', '/v1/events/replay', { q: `data.passthrough:${tag}-other`, status: 'failed' });
    expect(byEvents).toMatchObject({ status: 202, body: { count: 4 } });
    expect(await finished(alice, byEvents.body.id)).toMatchObject({
      status: 'succeeded',
      done: 4,
      filter: { q: `data.passthrough:${tag}-other`, status: ['failed'] },
    });
    await a.receiver.waitFor(aBefore + 5);
    expect(idsFrom(a.receiver, aBefore + 3).sort()).toEqual([...others].sort());
    expect(carols.receiver.received.length).toBe(carolBefore);
  });

  it('cancel stops a job between chunks; what it redelivered stays, the rest stay dead letters', async () => {
    const source = await createMuxSource(alice.api);
    const { receiver, destination } = await failingDestination(alice, source.id);
    await send(source.ingest_url, 'video.asset.ready', 24, 'to-cancel');
    await eventually(async () => (await deadLetterCount(alice, destination.id)) === 24);
    receiver.respondWith(() => ({ status: 200 }));
    const before = receiver.received.length;
    // A search's job stops the same way (it resolves its query chunk by chunk like any selection).
    const job = await alice.api.ok('POST', '/v1/replays', {
      filter: { destination_id: destination.id, status: ['failed'], q: 'data.passthrough:to-cancel' },
    });
    expect(job.total).toBe(24);
    await eventually(async () => (await alice.api.ok('GET', `/v1/replays/${job.id}`)).done >= 2, 20_000, 20);
    const cancelled = await alice.api.call('POST', `/v1/replays/${job.id}/cancel`);
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    const done = cancelled.body.done as number;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(24);
    // Every redelivered one arrives; none past the cursor moves.
    await receiver.waitFor(before + done);
    expect(await deadLetterCount(alice, destination.id)).toBe(24 - done);
    expect(await alice.api.ok('GET', `/v1/replays/${job.id}`)).toMatchObject({ status: 'cancelled', done });
    expect((await alice.api.call('POST', `/v1/replays/${job.id}/cancel`)).status).toBe(409);
    expect(receiver.received.length).toBe(before + done);
  });

  it("a tenant never sees, starts or cancels a replay over another tenant's deliveries", async () => {
    const source = await createMuxSource(alice.api);
    const { destination } = await failingDestination(alice, source.id);
    const [eventId] = await send(source.ingest_url, 'video.asset.ready', 1);
    await eventually(async () => (await deadLetterCount(alice, destination.id)) === 1);
    const job = await alice.api.ok('POST', '/v1/replays', { filter: { destination_id: destination.id, status: ['failed'] } });

    expect((await bob.api.call('GET', `/v1/replays/${job.id}`)).status).toBe(404);
    expect((await bob.api.call('POST', `/v1/replays/${job.id}/cancel`)).status).toBe(404);
    expect((await bob.api.ok('GET', '/v1/replays')).data).toEqual([]);
    expect((await bob.api.call('POST', '/v1/replays', { filter: { destination_id: destination.id } })).status).toBe(404);
    expect((await bob.api.call('POST', '/v1/replays', { filter: { source_id: source.id } })).status).toBe(404);
    expect((await bob.api.call('POST', `/v1/destinations/${destination.id}/replay`, {})).status).toBe(404);
    expect((await bob.api.call('GET', `/v1/dead-letters?destination_id=${destination.id}`)).status).toBe(404);
    expect(await bob.api.ok('GET', '/v1/dead-letters')).toEqual({ data: [], next_cursor: null });
    expect(await bob.api.ok('GET', '/v1/dead-letters/counts')).toEqual({ data: [], total: 0 });
    // Naming another tenant's events picks nothing.
    const theirs = await bob.api.ok('POST', '/v1/replays', { filter: { event_ids: [eventId] } });
    expect(theirs).toMatchObject({ status: 'succeeded', total: 0 });
  });

  it('refuses a bad selection with a clear error', async () => {
    const bad = async (filter: unknown) => (await alice.api.call('POST', '/v1/replays', { filter })).body.error;
    expect(await bad({ event_ids: ['nope'] })).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('event_ids') });
    expect(await bad({ since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' })).toMatchObject({
      message: 'since must be before until',
    });
    expect(await bad({ status: ['gone'] })).toMatchObject({ code: 'invalid_request' });
    expect(await bad({ colour: 'red' })).toMatchObject({ code: 'invalid_request', message: 'filter: unknown field "colour"' });
    expect(await bad({ q: 'data.status:' })).toMatchObject({ code: 'invalid_query', message: expect.stringContaining('data.status') });
    expect((await alice.api.call('POST', '/v1/replays/preview', { filter: { q: 'data.status:' } })).body.error.code).toBe('invalid_query');
    expect((await alice.api.call('GET', '/v1/replays/rpl_nope')).status).toBe(404);
  });
});
