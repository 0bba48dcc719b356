import { type ApiClient, backendEnv, eventually, muxSignature, sendWebhook, signUp, startReceiver } from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET, startHooklineApp } from '../helpers.ts';

/** A Mux asset.ready event with its own provider event id and `data.passthrough`. */
function muxEvent(passthrough: string, name = 'video.asset.ready') {
  return freshMuxEvent(name).replace(/"data": \{/, `"data": {\n    "passthrough": "${passthrough}",`);
}

type Point = {
  at: string;
  requests: { accepted: number; duplicate: number; rejected: number; rate_limited: number; rejected_by_reason: Record<string, number> };
  events: number;
  events_by_type: Record<string, number>;
  deliveries: { succeeded: number; failed: number; retrying: number };
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
};

/** The series summed over its buckets (the traffic may straddle a minute). */
function total(series: Point[]) {
  const sum = {
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    rate_limited: 0,
    verification_failed: 0,
    events: 0,
    asset_ready: 0,
    succeeded: 0,
    failed: 0,
    retrying: 0,
    with_latency: 0,
  };
  for (const p of series) {
    sum.accepted += p.requests.accepted;
    sum.duplicate += p.requests.duplicate;
    sum.rejected += p.requests.rejected;
    sum.rate_limited += p.requests.rate_limited;
    sum.verification_failed += p.requests.rejected_by_reason.verification_failed ?? 0;
    sum.events += p.events;
    sum.asset_ready += p.events_by_type['video.asset.ready'] ?? 0;
    sum.succeeded += p.deliveries.succeeded;
    sum.failed += p.deliveries.failed;
    sum.retrying += p.deliveries.retrying;
    if (p.latency_ms.p50 !== null) sum.with_latency++;
  }
  return sum;
}

describe('stats and field search', () => {
  let stop: () => Promise<void>;
  let api: ApiClient;
  let other: ApiClient;
  let source: { id: string; ingest_url: string };
  let good: { id: string };
  let bad: { id: string };
  const since = new Date(Date.now() - 5 * 60_000).toISOString();
  const stats = async (client: ApiClient, query = '') =>
    client.ok<{ series: Point[]; backlog: { pending: number; oldest_pending_age_seconds: number | null } }>(
      'GET',
      `/v1/stats?bucket=minute&since=${since}${query}`,
    );

  beforeAll(async () => {
    const storage = await backendEnv();
    const ok = await startReceiver(() => ({ status: 200 }));
    const failing = await startReceiver(() => ({ status: 500 }));
    // Six requests a minute per source, so the seventh and eighth are answered 429; one
    // quick retry, so a failing delivery is retried once and then fails for good.
    const hookline = await startHooklineApp({
      env: { ...storage.env, HOOKLINE_INGEST_RATE_LIMIT: '6', HOOKLINE_RETRY_SCHEDULE: '10ms' },
    });
    stop = async () => {
      await hookline.close();
      await Promise.all([ok.close(), failing.close()]);
      await storage.cleanup();
    };
    ({ api } = await signUp(hookline.url, hookline.fetch));
    ({ api: other } = await signUp(hookline.url, hookline.fetch));
    source = await createMuxSource(api);
    good = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: ok.url });
    bad = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: failing.url });

    // 3 accepted, 1 duplicate, 2 rejected (forged signatures), 2 rate limited.
    const events = [muxEvent('order-1'), muxEvent('order-2'), muxEvent('order 3', 'video.asset.errored')];
    const signed = (body: string, secret = MUX_SECRET) =>
      sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, secret) }, hookline.fetch);
    const answers = [];
    for (const body of events) answers.push((await signed(body)).status);
    answers.push((await signed(events[0] as string)).status);
    answers.push((await signed(events[1] as string, 'forged')).status);
    answers.push((await signed(events[2] as string, 'forged')).status);
    answers.push((await signed(muxEvent('late-1'))).status);
    answers.push((await signed(muxEvent('late-2'))).status);
    expect(answers).toEqual([200, 200, 200, 200, 401, 401, 429, 429]);
    await ok.waitFor(3);
    await failing.waitFor(6);
  });
  afterAll(() => stop?.());

  it('counts exactly the requests, events and deliveries sent, per source and per destination', async () => {
    // Rate-limited requests are counted after the fact; attempts land as they are recorded.
    const all = await eventually(async () => {
      const body = await stats(api);
      const sum = total(body.series);
      return sum.rate_limited === 2 && sum.failed === 3 && sum.succeeded === 3 ? body : undefined;
    });
    expect(total(all.series)).toEqual({
      accepted: 3,
      duplicate: 1,
      rejected: 2,
      rate_limited: 2,
      verification_failed: 2,
      events: 3,
      asset_ready: 2,
      succeeded: 3,
      failed: 3,
      retrying: 3,
      with_latency: expect.any(Number),
    });
    expect(all.backlog).toEqual({ pending: 0, oldest_pending_age_seconds: null });
    // Oldest first, one point per minute with nothing missing.
    const times = all.series.map((p) => Date.parse(p.at));
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBe(60_000);
    const latencies = all.series.filter((p) => p.latency_ms.p50 !== null).map((p) => p.latency_ms);
    expect(latencies.length).toBeGreaterThan(0);
    for (const l of latencies) expect(l.p50 as number).toBeLessThanOrEqual(l.p99 as number);

    const bySource = total((await stats(api, `&source_id=${source.id}`)).series);
    expect(bySource).toEqual(total(all.series));

    const toGood = total((await stats(api, `&destination_id=${good.id}`)).series);
    expect([toGood.succeeded, toGood.failed, toGood.retrying]).toEqual([3, 0, 0]);
    const toBad = total((await stats(api, `&destination_id=${bad.id}`)).series);
    expect([toBad.succeeded, toBad.failed, toBad.retrying]).toEqual([0, 3, 3]);
    // The destination's source's requests come with it.
    expect(toBad.accepted).toBe(3);

    // Hours and days are sums of the minutes.
    const byDay = await api.ok<{ series: Point[] }>('GET', `/v1/stats?bucket=day&since=${since}`);
    expect(total(byDay.series)).toEqual(total(all.series));

    // The sources list counts events from the rollups.
    const sources = await api.ok('GET', '/v1/sources');
    expect(sources.data[0]).toMatchObject({ id: source.id, event_count: 3 });
    expect(Date.parse(sources.data[0].last_event_at)).toBeGreaterThan(Date.parse(since));
  });

  it('keeps tenants apart and refuses bad ranges', async () => {
    const theirs = total((await stats(other)).series);
    expect(Object.values(theirs).every((n) => n === 0)).toBe(true);
    expect((await other.call('GET', `/v1/stats?source_id=${source.id}`)).status).toBe(404);
    expect((await other.call('GET', `/v1/stats?destination_id=${good.id}`)).status).toBe(404);
    expect((await api.call('GET', '/v1/stats?bucket=minute&since=2020-01-01T00:00:00Z')).status).toBe(400);
    expect((await api.call('GET', `/v1/stats?since=${new Date().toISOString()}&until=${since}`)).status).toBe(400);
    expect((await api.call('GET', '/v1/stats?bucket=week')).status).toBe(400);
  });

  it('finds events by fields of the normalized envelope, ANDing terms', async () => {
    const search = async (client: ApiClient, q: string) => {
      const body = await client.ok('GET', `/v1/events?q=${encodeURIComponent(q)}`);
      return body.data.map((e: any) => e.data.passthrough as string).sort();
    };
    expect(await search(api, 'data.passthrough:order-1')).toEqual(['order-1']);
    expect(await search(api, 'data.passthrough:"order 3"')).toEqual(['order 3']);
    expect(await search(api, 'type:video.asset.ready')).toEqual(['order-1', 'order-2']);
    expect(await search(api, 'data.status:ready type:video.asset.ready data.passthrough:order-2')).toEqual(['order-2']);
    expect(await search(api, 'data.status:ready data.passthrough:"order 3"')).toEqual([]);
    // Into arrays, and JSON values other than strings.
    expect(await search(api, 'data.tracks.type:audio data.passthrough:order-1')).toEqual(['order-1']);
    expect(await search(api, 'data.test:true data.passthrough:order-2')).toEqual(['order-2']);
    expect(await search(api, 'object.type:asset')).toHaveLength(3);
    // Ids still work, alone or with fields.
    const one = (await api.ok('GET', '/v1/events?q=data.passthrough:order-2')).data[0];
    expect(await search(api, one.id)).toEqual(['order-2']);
    expect(await search(api, `${one.provider_event.id} data.passthrough:order-2`)).toEqual(['order-2']);
    expect(await search(api, `${one.id} data.passthrough:order-1`)).toEqual([]);
    // Another tenant finds nothing of this one's.
    expect(await search(other, 'data.passthrough:order-1')).toEqual([]);
    expect(await search(other, one.id)).toEqual([]);
    // A malformed query is a 400 that says why.
    const badQuery = await api.call('GET', '/v1/events?q=data.passthrough:');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.code).toBe('invalid_query');

    // The preview count of a bulk replay by query.
    expect(await api.ok('GET', '/v1/events/count?q=type:video.asset.ready')).toEqual({ count: 2, capped: false });
    expect(await other.ok('GET', '/v1/events/count?q=type:video.asset.ready')).toEqual({ count: 0, capped: false });
  });
});
