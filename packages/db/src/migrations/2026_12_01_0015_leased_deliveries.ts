import { type Kysely, sql } from 'kysely';

/**
 * A destination's attempts in flight are its deliveries leased now (`locked_until` in the
 * future), counted through this index, instead of a `leases` map on the destination row.
 * The map made every claim and every recorded batch rewrite and lock that row, so claims
 * waited on attempt records committing (issue 11). The index holds only leased pending
 * deliveries: those in flight, and a dead worker's until they are claimed again.
 *
 * `destinations.leases` is no longer read or written; it stays for one release so that
 * workers of the previous release keep running during a rolling upgrade (README, upgrades),
 * and a later migration drops it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('deliveries_leased')
    .on('deliveries')
    .columns(['destination_id', 'locked_until'])
    .where(sql<boolean>`status = 'pending' and locked_until is not null`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deliveries_leased').ifExists().execute();
}
