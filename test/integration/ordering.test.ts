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
import { createMuxSource, type InProcessHookline, MUX_SECRET, muxFixture, startHooklineApp } from '../helpers.ts';
import { sample } from '../metrics-text.ts';

const TYPES = ['video.asset.created', 'video.asset.updated', 'video.asset.ready', 'video.asset.track.ready'];
const BASE = Date.parse('2026-11-30T12:00:00Z');

/** A Mux event about asset `asset`, the `seq`-th of its life: occurred `seq` seconds after BASE. */
function assetEvent(asset: string, seq: number, type = TYPES[seq % TYPES.length] as string): string {
  const event = JSON.parse(muxFixture(type));
  event.id = crypto.randomUUID();
  event.object = { type: 'asset', id: asset };
  event.data.id = asset;
  event.created_at = new Date(BASE + seq * 1000).toISOString();
  return JSON.stringify(event);
}

/** What the receiver learns from a delivery: its object and place in the object's life. */
function parse(body: string) {
  const event = JSON.parse(body);
  return { id: event.id as string, asset: event.object?.id as string, occurredAt: Date.parse(event.occurred_at) };
}

/**
 * A receiver that answers as `respond` does after a few milliseconds, and knows how many
 * requests of each object (and in all) were open at once.
 */
async function orderedReceiver(
  respond: (event: ReturnType<typeof parse>) => { status: number; headers?: Record<string, string>; delayMs?: number },
) {
  const open = new Map<string, number>();
  let openAll = 0;
  const stats = { maxPerObject: 0, maxOverall: 0 };
  /** The status each request was answered with, by its place in `received`. */
  const answers: number[] = [];
  const receiver = await startReceiver(((n, req) => {
    const event = parse(req.body);
    const { asset } = event;
    const answer = respond(event);
    const mine = (open.get(asset) ?? 0) + 1;
    open.set(asset, mine);
    openAll++;
    stats.maxPerObject = Math.max(stats.maxPerObject, mine);
    stats.maxOverall = Math.max(stats.maxOverall, openAll);
    const delayMs = answer.delayMs ?? 5 + Math.floor(Math.random() * 10);
    // The answer goes out after delayMs; the request is open until then.
    setTimeout(() => {
      open.set(asset, (open.get(asset) ?? 1) - 1);
      openAll--;
    }, delayMs);
    answers[n] = answer.status;
    return { ...answer, delayMs };
  }) satisfies Respond);
  return Object.assign(receiver, { stats, answers });
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('ordered delivery per object', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let tenant: Tenant;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    storage = await backendEnv();
    hookline = await startHooklineApp({
      env: {
        ...storage.env,
        HOOKLINE_RETRY_SCHEDULE: Array(20).fill('50ms').join(','),
        HOOKLINE_WORKER_CONCURRENCY: '50',
        HOOKLINE_TENANT_MAX_IN_FLIGHT: '50',
        // Random failures are not an outage: the breaker stays out of it.
        HOOKLINE_BREAKER_THRESHOLD: '100000',
        // The sweeper is the backstop, not the way an object's next event goes: each one
        // follows when the attempt before it is recorded, so a minute's sweep never comes.
        HOOKLINE_SWEEP_INTERVAL: '60s',
      },
    });
    tenant = await signUp(hookline.url, hookline.fetch);
  });
  afterAll(async () => {
    await hookline?.close();
    for (const r of receivers) await r.close();
    await storage?.cleanup();
  });

  async function orderedDestination(url: string, controls: Record<string, unknown> = {}) {
    const source = await createMuxSource(tenant.api);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url, ordering: 'object', ...controls });
    return { source, destination };
  }

  /** Sends the bodies, `parallel` at a time; returns the event ids in the same order. */
  async function send(source: { ingest_url: string }, bodies: string[], parallel = 1): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < bodies.length; i += parallel) {
      const answers = await Promise.all(
        bodies
          .slice(i, i + parallel)
          .map((body) => sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) }, hookline.fetch)),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        ids.push(answer.body.id);
      }
    }
    return ids;
  }

  const deliveriesOf = async (destinationId: string, query = '') =>
    (await tenant.api.ok('GET', `/v1/destinations/${destinationId}/deliveries?limit=100${query}`)).data as any[];

  it('ordering and ordering_window are destination settings, validated', async () => {
    const source = await createMuxSource(tenant.api);
    const plain = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: 'http://127.0.0.1:9/hook' });
    expect(plain).toMatchObject({ ordering: 'none', ordering_window: '2s' });
    const changed = await tenant.api.ok('PATCH', `/v1/destinations/${plain.id}`, { ordering: 'object', ordering_window: '1500ms' });
    expect(changed).toMatchObject({ ordering: 'object', ordering_window: '1500ms' });
    const bad = await tenant.api.call('PATCH', `/v1/destinations/${plain.id}`, { ordering_window: 'soon' });
    expect(bad.status).toBe(400);
    const tooLong = await tenant.api.call('PATCH', `/v1/destinations/${plain.id}`, { ordering_window: '2h' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('ordering_window');
    expect((await tenant.api.call('PATCH', `/v1/destinations/${plain.id}`, { ordering: 'type' })).status).toBe(400);
  });

  it('50 assets × 20 events sent shuffled, 20 % failing at random: each asset in order, one at a time, assets in parallel', {
    timeout: 120_000,
  }, async () => {
    const receiver = await orderedReceiver(() => ({ status: Math.random() < 0.2 ? 500 : 200 }));
    receivers.push(receiver);
    const { source, destination } = await orderedDestination(receiver.url, { max_in_flight: 50, ordering_window: '500ms' });
    const assets = Array.from({ length: 50 }, (_, i) => `asset-${i}-${crypto.randomUUID().slice(0, 8)}`);
    const bodies = shuffled(assets.flatMap((asset) => Array.from({ length: 20 }, (_, seq) => assetEvent(asset, seq))));
    // Held while every event arrives, so that the shuffle, not the window, decides what is earliest.
    await tenant.api.ok('PATCH', `/v1/destinations/${destination.id}`, { status: 'paused' });
    await send(source, bodies, 25);
    await tenant.api.ok('PATCH', `/v1/destinations/${destination.id}`, { status: 'active' });

    const delivered = () => new Set(receiver.received.filter((_, n) => receiver.answers[n] === 200).map((r) => parse(r.body).id));
    await eventually(async () => delivered().size === bodies.length, 60_000);

    const byAsset = new Map<string, { occurredAt: number; ok: boolean }[]>();
    receiver.received.forEach((r, n) => {
      const { asset, occurredAt } = parse(r.body);
      const list = byAsset.get(asset) ?? [];
      list.push({ occurredAt, ok: receiver.answers[n] === 200 });
      byAsset.set(asset, list);
    });
    for (const asset of assets) {
      const attempts = byAsset.get(asset) ?? [];
      // Every attempt, failed ones included, in occurred_at order: a failing event is retried before the next goes.
      const times = attempts.map((a) => a.occurredAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(attempts.filter((a) => a.ok).map((a) => a.occurredAt)).toEqual(Array.from({ length: 20 }, (_, seq) => BASE + seq * 1000));
    }
    expect(receiver.received.some((r) => r.headers['hookline-out-of-order'])).toBe(false);
    expect(receiver.stats.maxPerObject).toBe(1);
    expect(receiver.stats.maxOverall).toBeGreaterThan(1);
    // The last 2xx is recorded a moment after the receiver answered it.
    await eventually(async () => (await deliveriesOf(destination.id, '&status=pending')).length === 0);
  });

  it('a failing object holds back only its own later events, visibly; once it gets through, the rest follow in order', async () => {
    let stuckFails = true;
    const receiver = await orderedReceiver(({ asset }) =>
      asset === 'stuck' && stuckFails ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 },
    );
    receivers.push(receiver);
    const { source, destination } = await orderedDestination(receiver.url, { ordering_window: '0ms' });
    const [stuck1, stuck2, stuck3] = await send(source, [assetEvent('stuck', 1), assetEvent('stuck', 2), assetEvent('stuck', 3)]);
    const free = await send(source, [assetEvent('free', 1), assetEvent('free', 2), assetEvent('free', 3)]);

    // The other object goes through while the first event of "stuck" waits an hour for its retry.
    await eventually(async () => (await deliveriesOf(destination.id, '&status=succeeded')).length === 3);
    expect(new Set((await deliveriesOf(destination.id, '&status=succeeded')).map((d) => d.event_id))).toEqual(new Set(free));
    const held = await deliveriesOf(destination.id, '&status=held');
    expect(held.map((d) => d.event_id).sort()).toEqual([stuck2, stuck3].sort());
    for (const d of held) {
      expect(d).toMatchObject({
        status: 'held',
        held_reason: 'ordering',
        held_by_event_id: stuck1,
        attempt_count: 0,
        next_attempt_at: null,
      });
    }
    const [first] = await deliveriesOf(destination.id, '&status=pending');
    expect(first).toMatchObject({ event_id: stuck1, held_reason: null, held_by_event_id: null });
    expect(first.attempt_count).toBeGreaterThanOrEqual(1);
    const detail = await tenant.api.ok('GET', `/v1/events/${stuck3}`);
    expect(detail.deliveries[0]).toMatchObject({ status: 'held', held_reason: 'ordering', held_by_event_id: stuck1 });
    expect(receiver.received.filter((r) => parse(r.body).asset === 'stuck').map((r) => parse(r.body).id)).toEqual([stuck1]);
    // Waiting for their object is not being overdue: the queue lag does not count them (nothing else is pending).
    const metrics = await eventually(async () => {
      const text = await (await hookline.fetch(`${hookline.url}/metrics`)).text();
      return sample(text, 'hookline_deliveries_pending') === 3 && text;
    });
    expect(sample(metrics, 'hookline_queue_lag_seconds')).toBe(0);

    // The endpoint recovers and the first is retried now: the held ones follow at once, in order.
    stuckFails = false;
    await tenant.api.ok('POST', `/v1/events/${stuck1}/retry`);
    await eventually(async () => (await deliveriesOf(destination.id, '&status=succeeded')).length === 6);
    const stuckIds = receiver.received.filter((r) => parse(r.body).asset === 'stuck').map((r) => parse(r.body).id);
    expect(stuckIds).toEqual([stuck1, stuck1, stuck2, stuck3]);
    expect(await deliveriesOf(destination.id, '&status=held')).toEqual([]);
  });

  it('a retry of an earlier event waits while a later one of its object is in flight, then goes flagged out of order', async () => {
    // The later event's attempt stays open a while: the retry of the earlier one is asked for meanwhile.
    const receiver = await orderedReceiver(({ occurredAt }) => ({ status: 200, delayMs: occurredAt === BASE + 2000 ? 1_500 : 5 }));
    receivers.push(receiver);
    const { source } = await orderedDestination(receiver.url, { ordering_window: '0ms' });
    const [first] = await send(source, [assetEvent('replayed-early', 1)]);
    await receiver.waitFor(1);
    const [second] = await send(source, [assetEvent('replayed-early', 2)]);
    await receiver.waitFor(2);
    await tenant.api.ok('POST', `/v1/events/${first}/retry`);
    await receiver.waitFor(3);
    expect(receiver.received.map((r) => parse(r.body).id)).toEqual([first, second, first]);
    // The retry was not sent while the later event's request was still open.
    expect(receiver.stats.maxPerObject).toBe(1);
    expect(receiver.received.map((r) => r.headers['hookline-out-of-order'])).toEqual([undefined, undefined, 'true']);
  });

  it('events a filter kept out and then sent with "replay exactly these" are ordered too', async () => {
    const receiver = await orderedReceiver(() => ({ status: 503, headers: { 'retry-after': '3600' } }));
    receivers.push(receiver);
    const { source, destination } = await orderedDestination(receiver.url, {
      ordering_window: '0ms',
      event_types: ['video.asset.deleted'],
    });
    const [first, second] = await send(source, [assetEvent('replayed', 1), assetEvent('replayed', 2)]);
    expect(await deliveriesOf(destination.id)).toEqual([]);
    await tenant.api.ok('PATCH', `/v1/destinations/${destination.id}`, { event_types: null });
    await tenant.api.ok('POST', '/v1/rules/replay', { destination_id: destination.id, event_ids: [second, first] });
    await receiver.waitFor(1);
    const held = await eventually(async () => {
      const list = await deliveriesOf(destination.id, '&status=held');
      return list.length === 1 && list[0];
    });
    expect(held).toMatchObject({ event_id: second, held_reason: 'ordering', held_by_event_id: first });
    expect(receiver.received.map((r) => parse(r.body).id)).toEqual([first]);
  });

  it('the window puts a later arrival that occurred earlier first; one too late for it is flagged out of order', async () => {
    const receiver = await orderedReceiver(() => ({ status: 200 }));
    receivers.push(receiver);
    const { source, destination } = await orderedDestination(receiver.url, { ordering_window: '1s' });
    // The provider sends the second before the first; both within the window.
    const [second, first] = await send(source, [assetEvent('late', 2), assetEvent('late', 1)]);
    await receiver.waitFor(2);
    expect(receiver.received.map((r) => parse(r.body).id)).toEqual([first, second]);
    expect(receiver.received.map((r) => r.headers['hookline-out-of-order'])).toEqual([undefined, undefined]);

    // An event that occurred before both arrives after they were delivered: sent, flagged.
    const [zeroth] = await send(source, [assetEvent('late', 0)]);
    await receiver.waitFor(3);
    expect(parse((receiver.received[2] as { body: string }).body).id).toBe(zeroth);
    expect(receiver.received[2]?.headers['hookline-out-of-order']).toBe('true');

    // An event about no object is not ordered: it goes out like any other.
    const test = await tenant.api.ok('POST', `/v1/destinations/${destination.id}/test`);
    await receiver.waitFor(4);
    expect(JSON.parse((receiver.received[3] as { body: string }).body).id).toBe(test.event_id);
  });
});
