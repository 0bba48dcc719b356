import { type Kysely, sql } from 'kysely';
// What the delivery path writes on a destination (not its configuration), and the trigger this replaces.
import { createStatementLevelTrigger, RUNTIME_COLUMNS } from './2026_12_01_0007_delivery_controls.ts';

// A change to a destination's configuration bumps its source's config_version (0004, 0007),
// so that ingest's cached routing is refreshed. The trigger was per statement, and a
// statement-level trigger fires for every statement that can update the table, whether or
// not it updates a row: every claim (its rate-limit CTE) and every attempt record (the
// breaker) ran a PL/pgSQL call with two transition tables, for nothing, on the hot path.
// Per row, with the test in WHEN, no function runs unless a configuration column changed
// (issue 11).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger hookline_destination_update on destinations`.execute(db);
  await sql`drop function hookline_destination_updated()`.execute(db);
  await sql`
    create function hookline_destination_updated() returns trigger language plpgsql as $$
    begin
      update sources set config_version = config_version + 1 where id in (old.source_id, new.source_id);
      return null;
    end $$`.execute(db);
  await sql
    .raw(`
    create trigger hookline_destination_update after update on destinations for each row
    when ((to_jsonb(new) - ${RUNTIME_COLUMNS}) is distinct from (to_jsonb(old) - ${RUNTIME_COLUMNS}))
    execute function hookline_destination_updated()`)
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger hookline_destination_update on destinations`.execute(db);
  await sql`drop function hookline_destination_updated()`.execute(db);
  await createStatementLevelTrigger(db);
}
