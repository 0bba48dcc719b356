import { sql } from 'kysely';
import type { Db } from '../database.ts';

/**
 * Stats rollups (migration 2026_12_01_0011): counts per minute and per hour (`grain`; `at`
 * is the bucket's start, UTC) kept by the statements that already write what they count. The ingest statement, the duplicate statement and the
 * attempt recorder each add one CTE from the fragments below, so keeping stats costs no
 * round trip and no per-row trigger on the hot path. Each connection adds to its own shard
 * (pg_backend_pid() % 8) so two statements in flight never wait for each other's commit
 * on a shared row; rows are upserted in key order so concurrent statements cannot deadlock.
 */

/**
 * Upper bounds (exclusive, ms) of the attempt latency histogram's buckets; the last bucket
 * is everything from 60 s up. Percentiles are read from it (see percentile), so they are
 * exact to within a bucket: interpolated inside it, capped by the slowest attempt.
 */
export const LATENCY_BOUNDS_MS = [10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 20000, 30000, 60000];
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;
const bucketColumns = Array.from({ length: BUCKETS }, (_, i) => `l${i}`);
/** Every counted row goes to both grains: minutes for minute buckets, hours for hour and day buckets. */
const GRAINS = `cross join (values ('minute'), ('hour')) as g(grain)`;

/** Adds `rows`' requests (a relation with tenant_id, source_id, received_at, reason, and `outcome`) to stats_requests. */
export function countRequestsCte(rows: string, outcome = 'outcome') {
  return sql.raw(`insert into stats_requests as s (tenant_id, source_id, grain, at, outcome, reason, shard, count)
      select tenant_id, source_id, g.grain, date_trunc(g.grain, received_at, 'UTC'), ${outcome}, coalesce(reason, ''), pg_backend_pid() % 8, count(*)
      from ${rows} ${GRAINS} where tenant_id is not null and source_id is not null
      group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4, 5, 6
      on conflict (tenant_id, source_id, grain, at, outcome, reason, shard) do update set count = s.count + excluded.count`);
}

/** Adds `rows`' events (a relation with tenant_id, source_id, received_at, type; events where event_id is set) to stats_events. */
export function countEventsCte(rows: string) {
  return sql.raw(`insert into stats_events as s (tenant_id, source_id, grain, at, type, shard, count, last_at)
      select tenant_id, source_id, g.grain, date_trunc(g.grain, received_at, 'UTC'), type, pg_backend_pid() % 8, count(*), max(received_at)
      from ${rows} ${GRAINS} where event_id is not null
      group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
      on conflict (tenant_id, source_id, grain, at, type, shard)
      do update set count = s.count + excluded.count, last_at = greatest(s.last_at, excluded.last_at)`);
}

/**
 * Adds attempts (a relation with tenant_id, source_id, destination_id, created_at, duration_ms
 * and next_status, where the attempt left its delivery) to stats_deliveries. A skip (the
 * destination's rules sent nothing) is not an attempt at the endpoint and is not counted.
 */
export function countAttemptsCte(rows: string) {
  const buckets = bucketColumns.map((_, i) => `count(*) filter (where b.n = ${i})`).join(', ');
  const added = bucketColumns.map((c) => `${c} = s.${c} + excluded.${c}`).join(', ');
  return sql.raw(`insert into stats_deliveries as s (tenant_id, source_id, destination_id, grain, at, outcome, shard, count, latency_max_ms, ${bucketColumns.join(', ')})
      select i.tenant_id, i.source_id, i.destination_id, g.grain, date_trunc(g.grain, i.created_at, 'UTC'),
        case when i.next_status in ('succeeded', 'failed') then i.next_status else 'retrying' end,
        pg_backend_pid() % 8, count(*), max(i.duration_ms), ${buckets}
      from ${rows} i
      ${GRAINS}
      cross join lateral (select width_bucket(i.duration_ms, '{${LATENCY_BOUNDS_MS.join(',')}}'::int[]) as n) b
      where i.next_status <> 'skipped'
      group by 1, 2, 3, 4, 5, 6 order by 1, 3, 4, 5, 6
      on conflict (tenant_id, destination_id, grain, at, outcome, shard)
      do update set count = s.count + excluded.count, latency_max_ms = greatest(s.latency_max_ms, excluded.latency_max_ms), ${added}`);
}

export type StatsBucket = 'minute' | 'hour' | 'day';
export const BUCKET_MS: Record<StatsBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export interface StatsQuery {
  /** Requests and events of this source; deliveries of its destinations (unless destinationId says one). */
  sourceId?: string | undefined;
  destinationId?: string | undefined;
  /** Bucket-aligned, since inclusive, until exclusive. */
  since: Date;
  until: Date;
  bucket: StatsBucket;
}

export interface StatsPoint {
  at: Date;
  requests: { accepted: number; duplicate: number; rejected: number; rate_limited: number; rejected_by_reason: Record<string, number> };
  events: number;
  events_by_type: Record<string, number>;
  deliveries: { succeeded: number; failed: number; retrying: number };
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
}

/**
 * A tenant's stats from the rollups, one point per bucket from `since` to `until` (every
 * bucket, zeros included), oldest first: four grouped reads, of minute rows for minute
 * buckets and of hour rows otherwise (a month is 720 rows per key).
 */
export async function readStats(db: Db, tenantId: string, query: StatsQuery): Promise<StatsPoint[]> {
  const { since, until, bucket, sourceId, destinationId } = query;
  const grain = bucket === 'minute' ? 'minute' : 'hour';
  // Bucket starts as epoch milliseconds: node-postgres parses a number far faster than a
  // timestamptz, and a day of minutes is thousands of rows.
  const at = sql<number>`(extract(epoch from date_trunc(${bucket}, at, 'UTC')) * 1000)::float8`;
  const bySource = sourceId ? sql`and source_id = ${sourceId}` : sql``;
  const byDestination = destinationId ? sql`and destination_id = ${destinationId}` : sql``;
  const range = sql`tenant_id = ${tenantId} and grain = ${grain} and at >= ${since} and at < ${until}`;
  const [requests, limited, events, deliveries] = await Promise.all([
    sql<{ at: number; outcome: string; reason: string; n: number }>`
      select ${at} as at, outcome, reason, sum(count)::int as n from stats_requests
      where ${range} ${bySource} group by 1, 2, 3`.execute(db),
    sql<{ at: number; n: number }>`
      select (extract(epoch from date_trunc(${bucket}, minute, 'UTC')) * 1000)::float8 as at, sum(count)::int as n from rate_limited_counts
      where tenant_id = ${tenantId} and minute >= ${since} and minute < ${until} and source_id is not null ${bySource} group by 1`.execute(
      db,
    ),
    sql<{ at: number; type: string; n: number }>`
      select ${at} as at, type, sum(count)::int as n from stats_events
      where ${range} ${bySource} group by 1, 2`.execute(db),
    // One row per bucket: outcomes side by side, the histogram summed over them.
    sql<Record<string, number> & { at: number; succeeded: number; failed: number; retrying: number; max: number }>`
      select ${at} as at,
        (sum(count) filter (where outcome = 'succeeded'))::int as succeeded,
        (sum(count) filter (where outcome = 'failed'))::int as failed,
        (sum(count) filter (where outcome = 'retrying'))::int as retrying,
        max(latency_max_ms) as max,
        ${sql.raw(bucketColumns.map((c) => `sum(${c})::int as ${c}`).join(', '))}
      from stats_deliveries where ${range} ${bySource} ${byDestination} group by 1`.execute(db),
  ]);

  const points = new Map<number, StatsPoint>();
  for (let t = since.getTime(); t < until.getTime(); t += BUCKET_MS[bucket]) {
    points.set(t, {
      at: new Date(t),
      requests: { accepted: 0, duplicate: 0, rejected: 0, rate_limited: 0, rejected_by_reason: {} },
      events: 0,
      events_by_type: {},
      deliveries: { succeeded: 0, failed: 0, retrying: 0 },
      latency_ms: { p50: null, p95: null, p99: null },
    });
  }
  const point = (at: number) => points.get(at);
  for (const r of requests.rows) {
    const p = point(r.at);
    if (!p || !(r.outcome === 'accepted' || r.outcome === 'duplicate' || r.outcome === 'rejected')) continue;
    p.requests[r.outcome] += r.n;
    if (r.outcome === 'rejected') p.requests.rejected_by_reason[r.reason] = (p.requests.rejected_by_reason[r.reason] ?? 0) + r.n;
  }
  for (const r of limited.rows) {
    const p = point(r.at);
    if (p) p.requests.rate_limited += r.n;
  }
  for (const r of events.rows) {
    const p = point(r.at);
    if (!p) continue;
    p.events += r.n;
    p.events_by_type[r.type] = (p.events_by_type[r.type] ?? 0) + r.n;
  }
  for (const r of deliveries.rows) {
    const p = point(r.at);
    if (!p) continue;
    p.deliveries = { succeeded: r.succeeded ?? 0, failed: r.failed ?? 0, retrying: r.retrying ?? 0 };
    const counts = bucketColumns.map((c) => Number(r[c]));
    const max = Number(r.max);
    p.latency_ms = { p50: percentile(counts, max, 0.5), p95: percentile(counts, max, 0.95), p99: percentile(counts, max, 0.99) };
  }
  return [...points.values()];
}

/**
 * The q-th quantile of a latency histogram, interpolated linearly inside the bucket that
 * holds it and never above the slowest attempt; null when it is empty.
 */
export function percentile(counts: readonly number[], max: number, q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] as number;
    if (n > 0 && below + n >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] as number);
      const upper = Math.min(LATENCY_BOUNDS_MS[i] ?? max, max);
      if (upper <= lower) return Math.round(Math.max(lower, max));
      return Math.round(lower + ((rank - below) / n) * (upper - lower));
    }
    below += n;
  }
  return max;
}

/** Deliveries waiting now (pending, due or scheduled) and how long the oldest has waited, in seconds. */
export async function readBacklog(db: Db, tenantId: string, filter: { sourceId?: string | undefined; destinationId?: string | undefined }) {
  const bySource = filter.sourceId
    ? sql`and exists (select 1 from destinations x where x.id = d.destination_id and x.source_id = ${filter.sourceId})`
    : sql``;
  const byDestination = filter.destinationId ? sql`and d.destination_id = ${filter.destinationId}` : sql``;
  const { rows } = await sql<{ pending: number; oldest: number | null }>`
    select count(*)::int as pending, extract(epoch from now() - min(d.created_at))::float8 as oldest
    from deliveries d where d.tenant_id = ${tenantId} and d.status = 'pending' ${bySource} ${byDestination}`.execute(db);
  const row = rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    oldest_pending_age_seconds: row?.oldest == null ? null : Math.max(0, Math.round(row.oldest)),
  };
}

/** Events received and the last one's time per source, from the rollups (the sources list and page). */
export function sourceActivity(db: Db, tenantId: string, sourceIds: string[]) {
  if (sourceIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('stats_events')
    .select(['source_id', (eb) => eb.fn.sum<string>('count').as('event_count'), (eb) => eb.fn.max('last_at').as('last_event_at')])
    .where('tenant_id', '=', tenantId)
    .where('grain', '=', 'hour')
    .where('source_id', 'in', sourceIds)
    .groupBy('source_id')
    .execute();
}

/** Deletes up to `batch` rollup rows of buckets before `cutoff` from each rollup table. */
export async function pruneStats(db: Db, cutoff: Date, batch: number): Promise<number> {
  let deleted = 0;
  for (const table of ['stats_requests', 'stats_events', 'stats_deliveries'] as const) {
    const result =
      await sql`delete from ${sql.table(table)} where ctid in (select ctid from ${sql.table(table)} where at < ${cutoff} limit ${batch})`.execute(
        db,
      );
    deleted += Number(result.numAffectedRows ?? 0);
  }
  return deleted;
}
