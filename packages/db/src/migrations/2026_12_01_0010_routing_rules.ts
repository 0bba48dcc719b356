import type { Kysely } from 'kysely';

// Routing rules per destination (CONTRACT §8): `filter`, a filter document checked at
// ingest fan-out (and again at attempt time, so a changed filter skips what no longer
// matches), and `transform`, JavaScript run in a sandbox at attempt time. Both null: off.
// Changing either bumps the source's config_version (the destinations trigger), so ingest's
// routing cache reloads them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('destinations').addColumn('filter', 'jsonb').execute();
  await db.schema.alterTable('destinations').addColumn('transform', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('destinations').dropColumn('transform').execute();
  await db.schema.alterTable('destinations').dropColumn('filter').execute();
}
