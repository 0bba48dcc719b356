import { type Kysely, sql } from 'kysely';

/**
 * The search index casts every payload to jsonb. A payload nested deeper than the parser's
 * stack (rows stored before ingest refused deep JSON, or written by hand) makes the cast
 * overflow, and on PGlite the exception handler then fails too ("cannot drop active
 * portal"), failing the write. Such payloads are left out of the index before the cast:
 * 200 openers (the most a regular expression may repeat is 255) with no closer between them is far beyond any depth ingest accepts
 * (HOOKLINE_MAX_JSON_DEPTH, 64 by default). Left out means found by id only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function hookline_payload_jsonb(payload text) returns jsonb language plpgsql immutable strict parallel safe as $$
    begin
      if payload ~ '([[{][^]}]*){200}' then
        return null;
      end if;
      return payload::jsonb;
    exception when others then
      return null;
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function hookline_payload_jsonb(payload text) returns jsonb language plpgsql immutable strict parallel safe as $$
    begin
      return payload::jsonb;
    exception when others then
      return null;
    end $$`.execute(db);
}
