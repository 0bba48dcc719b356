import { type Kysely, sql } from 'kysely';

/**
 * A destination's deliveries leased now (its attempts in flight), counted with a snapshot of
 * its own. The claim (repositories/scheduler.ts) locks a destination's row and then counts
 * its leases in the same statement: a VOLATILE PL/pgSQL function takes a fresh snapshot for
 * each query it runs (READ COMMITTED), so the count, taken after the lock was granted,
 * includes every lease committed by the claim that held the lock before; the statement's
 * own snapshot, taken before it waited, would not. One statement instead of a transaction of
 * two: a round trip less per claim, and no BEGIN and COMMIT (issue 11).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function hookline_leased_now(destination text) returns bigint language plpgsql volatile as $$
    begin
      return (select count(*) from deliveries x
              where x.destination_id = destination and x.status = 'pending' and x.locked_until > now());
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists hookline_leased_now(text)`.execute(db);
}
