// `npm run bench:insight`: what stats and field search cost at scale, on PostgreSQL.
//
// - Stats: a month of per-minute rollups at 1,000,000 events a day (one source, two
//   destinations) are written straight into the rollup tables (what ingest and the attempt
//   recorder would have added, minute by minute), then GET /v1/stats and GET /v1/sources
//   are timed through the real API.
// - Field search: BENCH_SEARCH_EVENTS (default 1,000,000) events with varied payloads
//   (bench/preload.ts clones one payload, which makes every search match everything) are
//   generated in the database, then GET /v1/events?q=… is timed for a value one event holds,
//   ten hold, a tenth hold and half hold.
// - What the search index costs ingest: the same 200-event insert statements with and
//   without the GIN index.
//
// Prints figures; asserts nothing. Machines here are shared and busy: compare within a run.
import { backendEnv, signUp, startHooklineProcess } from '@hookline/testing';
import setupTemplate from '@hookline/testing/global-setup';
import pg from 'pg';

const SEARCH_EVENTS = Number(process.env.BENCH_SEARCH_EVENTS ?? 1_000_000);
const PER_DAY = 1_000_000;
const DAYS = 30;
const RUNS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Times a GET, or a POST of `payload` when given. */
async function timeCall(url: string, key: string, path: string, payload?: unknown) {
  const call = async () => {
    const started = performance.now();
    const res = await fetch(`${url}${path}`, {
      method: payload === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${body}`);
    return { ms: performance.now() - started, body };
  };
  const first = await call(); // warms caches and the plan
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await call()).ms);
  return { median: median(times), max: Math.max(...times), body: first.body };
}

const LATENCY_BUCKETS = 20;

async function main() {
  const storage = await backendEnv({ backend: 'postgres' });
  const hookline = await startHooklineProcess({ env: { ...storage.env, LOG_LEVEL: 'error', HOOKLINE_TENANT_STORAGE_BUDGET: '0' } });
  const db = new pg.Client({ connectionString: storage.env.DATABASE_URL });
  await db.connect();
  try {
    const { api, apiKey, tenantId } = await signUp(hookline.url);
    const source = await api.ok('POST', '/v1/sources', { name: 'Mux', provider: 'mux', verification: { secret: 'x' } });
    const destinations = [
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: 'https://example.com/a' }),
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: 'https://example.com/b' }),
    ];
    const until = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const since = new Date(until.getTime() - DAYS * 86_400_000);
    const perMinute = Math.round(PER_DAY / 1440);

    // --- Stats: a month of minutes and hours (every counted row goes to both grains).
    let started = performance.now();
    const histogram = Array.from({ length: LATENCY_BUCKETS }, (_, i) => `l${i}`);
    const spread = histogram.map((_, i) => (i >= 3 && i <= 9 ? `(o.n / 7)` : '0'));
    for (const [grain, step, per] of [
      ['minute', '1 minute', 1],
      ['hour', '1 hour', 60],
    ] as const) {
      const buckets = `generate_series($2::timestamptz, $3::timestamptz - interval '${step}', interval '${step}') m`;
      const params = [tenantId, since, until, source.id];
      await db.query(
        `insert into stats_requests (tenant_id, source_id, grain, at, outcome, reason, shard, count)
         select $1, $4, '${grain}', m, o.outcome, o.reason, 0, o.n * ${per} from ${buckets}
         cross join (values ('accepted', '', ${perMinute}), ('duplicate', '', 7), ('rejected', 'verification_failed', 3)) o(outcome, reason, n)`,
        params,
      );
      await db.query(
        `insert into stats_events (tenant_id, source_id, grain, at, type, shard, count, last_at)
         select $1, $4, '${grain}', m, t.type, 0, t.n * ${per}, m + interval '59 seconds' from ${buckets}
         cross join (values ('video.asset.created', ${perMinute - 300}), ('video.asset.ready', 150), ('video.asset.errored', 50), ('video.upload.created', 100)) t(type, n)`,
        params,
      );
      for (const d of destinations) {
        await db.query(
          `insert into stats_deliveries (tenant_id, source_id, destination_id, grain, at, outcome, shard, count, latency_max_ms, ${histogram.join(', ')})
           select $1, $4, $5, '${grain}', m, o.outcome, 0, o.n, 900, ${spread.join(', ')} from ${buckets}
           cross join (values ('succeeded', ${perMinute - 5} * ${per}), ('retrying', 4 * ${per}), ('failed', ${per})) o(outcome, n)`,
          [...params, d.id],
        );
      }
    }
    await db.query('vacuum analyze stats_requests, stats_events, stats_deliveries');
    const rollupRows = (
      await db.query(
        `select (select count(*) from stats_requests) + (select count(*) from stats_events) + (select count(*) from stats_deliveries) as n`,
      )
    ).rows[0].n;
    console.log(
      `stats: seeded ${DAYS} days × ${PER_DAY.toLocaleString()} events/day as ${Number(rollupRows).toLocaleString()} rollup rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const s = since.toISOString();
    for (const [label, path] of [
      ['month by day, tenant', `/v1/stats?bucket=day&since=${s}`],
      ['month by hour, tenant (720 points)', `/v1/stats?bucket=hour&since=${s}`],
      ['month by day, one source', `/v1/stats?bucket=day&since=${s}&source_id=${source.id}`],
      ['month by day, one destination', `/v1/stats?bucket=day&since=${s}&destination_id=${destinations[0].id}`],
      ['day by minute, tenant (1440 points)', `/v1/stats?bucket=minute&since=${new Date(until.getTime() - 86_400_000).toISOString()}`],
      ['sources list (counts from rollups)', '/v1/sources'],
    ] as const) {
      const t = await timeCall(hookline.url, apiKey, path);
      console.log(`GET ${label}: median ${t.median.toFixed(1)} ms, max ${t.max.toFixed(1)} ms (${RUNS} runs)`);
      if (label === 'month by day, tenant') {
        const total = JSON.parse(t.body).series.reduce((n: number, p: { events: number }) => n + p.events, 0);
        console.log(`  (the answer counts ${total.toLocaleString()} events)`);
      }
    }

    // --- Field search: events with varied payloads.
    const template = JSON.stringify({
      id: '@ID@',
      type: '@TYPE@',
      provider: 'mux',
      source_id: source.id,
      occurred_at: '2026-11-30T12:00:00.000Z',
      received_at: '2026-11-30T12:00:00.000Z',
      object: { type: 'asset', id: '@OBJ@' },
      environment: { id: 'prod1', name: 'Production' },
      provider_event: { id: '@PE@', type: '@TYPE@' },
      data: {
        upload_id: 'gjjg48rGLX4hBM9NVLzfTs13r8nr02CkYWE02Byd8jgV00',
        tracks: [
          {
            type: 'video',
            max_width: 1920,
            max_height: 1080,
            max_frame_rate: 29.97,
            id: 'p3AUxxHVj600DwUD01p02XXMFI0118lGbNjDeJbYFe7Xyh00',
          },
          { type: 'audio', max_channels: 2, id: 'FAHPuZvRaWZ7hSX4jjvTM002bAUw2cM1JKEcL002ZOzPU' },
        ],
        status: '@STATUS@',
        playback_ids: [{ policy: 'public', id: 'pZRRUL8HyLpvw8Cc01SZyKKgAzwT01lF02FUK5CFmw013HQ' }],
        passthrough: '@PT@',
        duration: 120.5,
        created_at: 1700000000,
      },
    });
    // g → an event: a tenth errored, half ready; ten events per asset; one passthrough each.
    const insertEvents = (from: number, to: number) =>
      db.query(
        `insert into events (id, tenant_id, source_id, request_id, type, provider, provider_event_id, provider_event_type, occurred_at, received_at, payload)
         select 'evt_' || lpad(g::text, 26, '0'), $1, $2, null, x.type, 'mux', 'pe-' || g, x.type, null, $5::timestamptz - make_interval(secs => ($4::int - g)),
           replace(replace(replace(replace(replace(replace($3::text, '@ID@', 'evt_' || lpad(g::text, 26, '0')), '@TYPE@', x.type), '@OBJ@', 'asset-' || (g / 10)),
             '@PE@', 'pe-' || g), '@STATUS@', x.status), '@PT@', 'order-' || g)
         from generate_series($6::int, $7::int) g
         cross join lateral (select case when g % 10 = 0 then 'errored' when g % 2 = 0 then 'ready' else 'preparing' end as status) s
         cross join lateral (select 'video.asset.' || s.status as type, s.status) x`,
        [tenantId, source.id, template, SEARCH_EVENTS, until, from, to],
      );

    // What the index costs ingest: 200-event statements (an ingest batch's size) with and without it.
    const sample = Math.min(20_000, Math.floor(SEARCH_EVENTS / 10));
    const timeBatches = async (from: number) => {
      const t0 = performance.now();
      for (let g = from; g < from + sample; g += 200) await insertEvents(g, g + 199);
      return (performance.now() - t0) / sample;
    };
    const withIndex = await timeBatches(1);
    await db.query('drop index events_payload_search');
    const withoutIndex = await timeBatches(1 + sample);
    console.log(
      `search index cost: ${(withIndex * 1000).toFixed(0)} µs per event inserted with it, ${(withoutIndex * 1000).toFixed(0)} µs without (${sample.toLocaleString()} events each, in 200-event statements)`,
    );

    started = performance.now();
    for (let g = 1 + 2 * sample; g <= SEARCH_EVENTS; g += 100_000) await insertEvents(g, Math.min(SEARCH_EVENTS, g + 99_999));
    console.log(`search: inserted ${SEARCH_EVENTS.toLocaleString()} events in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    started = performance.now();
    await db.query('create index events_payload_search on events using gin (hookline_payload_jsonb(payload) jsonb_path_ops)');
    await db.query('vacuum analyze events');
    const size = (
      await db.query(
        `select pg_size_pretty(pg_relation_size('events_payload_search')) as index, pg_size_pretty(pg_relation_size('events')) as heap`,
      )
    ).rows[0];
    console.log(
      `search: index built in ${((performance.now() - started) / 1000).toFixed(0)} s; index ${size.index}, events table ${size.heap}`,
    );

    const middle = Math.floor(SEARCH_EVENTS / 2);
    for (const [label, q] of [
      ['one match (data.passthrough)', `data.passthrough:order-${middle}`],
      ['ten matches (object.id)', `object.id:asset-${Math.floor(middle / 10)}`],
      ['two terms ANDed (object.id + data.status)', `object.id:asset-${Math.floor(middle / 10)} data.status:errored`],
      ['a tenth match (data.status:errored), first page', 'data.status:errored'],
      ['half match (type), first page', 'type:video.asset.ready'],
      ['no match', 'data.passthrough:nobody'],
      ['an event id', `evt_${String(middle).padStart(26, '0')}`],
    ] as const) {
      const t = await timeCall(hookline.url, apiKey, `/v1/events?limit=20&q=${encodeURIComponent(q)}`);
      const found = JSON.parse(t.body).data.length;
      console.log(`GET /v1/events?q= ${label}: median ${t.median.toFixed(1)} ms, max ${t.max.toFixed(1)} ms (${found} on the page)`);
    }
    const count = await timeCall(hookline.url, apiKey, `/v1/events/count?q=${encodeURIComponent('data.status:errored')}`);
    console.log(`GET /v1/events/count?q=data.status:errored: median ${count.median.toFixed(1)} ms → ${count.body}`);
    const preview = await timeCall(hookline.url, apiKey, '/v1/replays/preview', { filter: { q: 'data.status:errored' } });
    console.log(
      `POST /v1/replays/preview {q:"data.status:errored"} (replay preview, uncapped): median ${preview.median.toFixed(1)} ms → ${preview.body}`,
    );
  } finally {
    await db.end();
    await hookline.stop();
    await storage.cleanup();
  }
}

const dropTemplate = await setupTemplate();
try {
  await main();
} finally {
  await dropTemplate();
}
