import { type Kysely, sql } from 'kysely';

// Delivery controls (issue 13, CONTRACT §8): per-destination caps, rate limits, a circuit
// breaker that disables a destination, and deliveries held rather than dropped.
//
// destinations:
// - status: 'active' | 'paused' (by a person; paused_at kept in step for compatibility)
//   | 'disabled' (by the breaker; disabled_at says when).
// - max_in_flight, rate_limit ({count, period}): the destination's budget.
// - leases: delivery id → lease expiry (epoch ms) of the attempts in flight to it. The claim
//   grants an attempt only under the row lock, so several workers never exceed the cap; a
//   worker that dies leaves entries that lapse with their lease (no counter to repair).
// - rate_log: start times (epoch ms) of the attempts of the last rate period (at most
//   `count` entries): a sliding window, so never more than `count` attempts in any period.
// - consecutive_failures, failing_since (first failure of the current run; null after a
//   success), breaker_open_until (no attempts before then; after it, one probe at a time),
//   disabled_at: the breaker. The alert evaluator reads these.
// - ordering, ordering_window_ms: ordered delivery per object.
// deliveries:
// - status 'held' replaces 'paused' (held while its destination is paused or disabled, or
//   behind an earlier event of the same object); held_reason says which.
// - object_key: `object.type/object.id` for destinations with ordering 'object'.
//
// The breaker's and the scheduler's columns change with nearly every attempt: the
// destination trigger no longer bumps sources.config_version for them, or every attempt
// would invalidate ingest's routing cache.
export const RUNTIME_COLUMNS = `array['leases', 'rate_log', 'consecutive_failures', 'failing_since', 'breaker_open_until', 'updated_at']`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('destinations')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('max_in_flight', 'integer', (c) => c.notNull().defaultTo(5))
    .addColumn('rate_limit', 'jsonb')
    .addColumn('leases', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('rate_log', sql`bigint[]`, (c) => c.notNull().defaultTo(sql`'{}'::bigint[]`))
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failing_since', 'timestamptz')
    .addColumn('breaker_open_until', 'timestamptz')
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('ordering', 'text', (c) => c.notNull().defaultTo('none'))
    .addColumn('ordering_window_ms', 'integer', (c) => c.notNull().defaultTo(2000))
    .execute();
  await sql`update destinations set status = 'paused' where paused_at is not null`.execute(db);
  await sql`alter table destinations add constraint destinations_status check (status in ('active', 'paused', 'disabled'))`.execute(db);
  await sql`alter table destinations add constraint destinations_max_in_flight check (max_in_flight >= 1)`.execute(db);

  await db.schema.alterTable('deliveries').addColumn('held_reason', 'text').addColumn('object_key', 'text').execute();
  await sql`update deliveries set status = 'held', held_reason = 'destination_paused' where status = 'paused'`.execute(db);
  // What a freed slot looks for: the destination's next waiting deliveries, oldest first.
  await db.schema
    .createIndex('deliveries_destination_due')
    .on('deliveries')
    .columns(['destination_id', 'next_attempt_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  // Held deliveries, listed and released per destination.
  await db.schema
    .createIndex('deliveries_destination_held')
    .on('deliveries')
    .columns(['destination_id', 'id'])
    .where(sql.ref('status'), '=', 'held')
    .execute();

  await sql`drop trigger hookline_destination_update on destinations`.execute(db);
  await createStatementLevelTrigger(db);
}

/**
 * The destination-config trigger as this migration made it: per statement, over transition
 * tables. Migration 0020 replaces it with a per-row one, and puts this one back on its way down.
 */
export async function createStatementLevelTrigger(db: Kysely<any>): Promise<void> {
  await sql
    .raw(`
    create function hookline_destination_updated() returns trigger language plpgsql as $$
    begin
      update sources set config_version = config_version + 1
      where id in (
        select n.source_id from new_rows n join old_rows o on o.id = n.id
        where (to_jsonb(n) - ${RUNTIME_COLUMNS}) is distinct from (to_jsonb(o) - ${RUNTIME_COLUMNS})
        union
        select o.source_id from new_rows n join old_rows o on o.id = n.id where o.source_id <> n.source_id);
      return null;
    end $$`)
    .execute(db);
  await sql`
    create trigger hookline_destination_update after update on destinations
    referencing old table as old_rows new table as new_rows
    for each statement execute function hookline_destination_updated()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger hookline_destination_update on destinations`.execute(db);
  await sql`drop function hookline_destination_updated()`.execute(db);
  await sql`
    create trigger hookline_destination_update after update on destinations referencing new table as changed_rows
    for each statement execute function hookline_destination_changed()`.execute(db);
  await db.schema.dropIndex('deliveries_destination_held').ifExists().execute();
  await db.schema.dropIndex('deliveries_destination_due').ifExists().execute();
  await sql`update deliveries set status = 'paused' where status = 'held'`.execute(db);
  await db.schema.alterTable('deliveries').dropColumn('held_reason').dropColumn('object_key').execute();
  await sql`alter table destinations drop constraint destinations_status`.execute(db);
  await sql`alter table destinations drop constraint destinations_max_in_flight`.execute(db);
  await db.schema
    .alterTable('destinations')
    .dropColumn('status')
    .dropColumn('max_in_flight')
    .dropColumn('rate_limit')
    .dropColumn('leases')
    .dropColumn('rate_log')
    .dropColumn('consecutive_failures')
    .dropColumn('failing_since')
    .dropColumn('breaker_open_until')
    .dropColumn('disabled_at')
    .dropColumn('ordering')
    .dropColumn('ordering_window_ms')
    .execute();
}
