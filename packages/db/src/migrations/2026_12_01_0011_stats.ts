import { type Kysely, sql } from 'kysely';

/** Attempt latency histogram buckets, one column each (l0 … l19): see LATENCY_BOUNDS_MS in repositories/stats.ts. */
const LATENCY_BUCKETS = 20;

// Stats rollups (issue 15): counts per minute and per hour (`grain`, `at` the bucket's start)
// that the ingest statement, the duplicate statement and the attempt recorder add to in the
// statements they already run (one more CTE each, no round trip, no per-row trigger), so
// `GET /v1/stats` sums a few rows instead of scanning requests, events and attempts: minutes
// for minute buckets, hours for hour and day buckets (a month is 720 hours). Each connection adds to its own shard
// (pg_backend_pid() % 8, as tenant_usage does) so concurrent statements never wait on one
// row until the other commits; readers sum the shards. No foreign keys: these tables are
// written on the hot path and outlive what they count (retention prunes them separately).
//
// Search inside payloads: `events.payload` is text (it keeps the provider's bytes), so the
// index is on an expression, the payload as jsonb, with jsonb_path_ops (containment and
// jsonpath equality only: smaller and cheaper to maintain than the default GIN opclass).
// The cast is wrapped: valid JSON that jsonb refuses (a \u0000 escape, a lone surrogate,
// nesting past the stack) must not fail the ingest statement; such an event is simply not
// found by field search.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stats_requests')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('grain', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    // '' when the outcome has no reason: a primary key column cannot be null.
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('stats_requests_pk', ['tenant_id', 'source_id', 'grain', 'at', 'outcome', 'reason', 'shard'])
    .execute();
  await db.schema.createIndex('stats_requests_tenant_minute').on('stats_requests').columns(['tenant_id', 'grain', 'at']).execute();

  await db.schema
    .createTable('stats_events')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('grain', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('last_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('stats_events_pk', ['tenant_id', 'source_id', 'grain', 'at', 'type', 'shard'])
    .execute();
  await db.schema.createIndex('stats_events_tenant_minute').on('stats_events').columns(['tenant_id', 'grain', 'at']).execute();

  let deliveries = db.schema
    .createTable('stats_deliveries')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('destination_id', 'text', (c) => c.notNull())
    .addColumn('grain', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    // succeeded, failed (no retry left) or retrying: where the attempt left its delivery.
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('latency_max_ms', 'integer', (c) => c.notNull());
  for (let i = 0; i < LATENCY_BUCKETS; i++) deliveries = deliveries.addColumn(`l${i}`, 'integer', (c) => c.notNull().defaultTo(0));
  await deliveries
    .addPrimaryKeyConstraint('stats_deliveries_pk', ['tenant_id', 'destination_id', 'grain', 'at', 'outcome', 'shard'])
    .execute();
  await db.schema.createIndex('stats_deliveries_tenant_minute').on('stats_deliveries').columns(['tenant_id', 'grain', 'at']).execute();
  await db.schema.createIndex('stats_deliveries_source').on('stats_deliveries').columns(['source_id', 'grain', 'at']).execute();

  // What is already stored counts from the start (attempt latencies included).
  for (const grain of ['minute', 'hour']) {
    await sql`
      insert into stats_requests (tenant_id, source_id, grain, at, outcome, reason, shard, count)
      select tenant_id, source_id, ${grain}, date_trunc(${grain}, received_at, 'UTC'), outcome, coalesce(reason, ''), 0, count(*)
      from requests where tenant_id is not null and source_id is not null
      group by 1, 2, 3, 4, 5, 6`.execute(db);
    await sql`
      insert into stats_events (tenant_id, source_id, grain, at, type, shard, count, last_at)
      select tenant_id, source_id, ${grain}, date_trunc(${grain}, received_at, 'UTC'), type, 0, count(*), max(received_at)
      from events group by 1, 2, 3, 4, 5`.execute(db);
  }

  await sql`
    create function hookline_payload_jsonb(payload text) returns jsonb language plpgsql immutable strict parallel safe as $$
    begin
      return payload::jsonb;
    exception when others then
      return null;
    end $$`.execute(db);
  await sql`create index events_payload_search on events using gin (hookline_payload_jsonb(payload) jsonb_path_ops)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists events_payload_search`.execute(db);
  await sql`drop function if exists hookline_payload_jsonb(text)`.execute(db);
  for (const table of ['stats_deliveries', 'stats_events', 'stats_requests']) await db.schema.dropTable(table).ifExists().execute();
}
