import type { Kysely } from 'kysely';

// A source may be created before its provider secret exists: Mux shows the signing secret
// only after the ingest URL is saved in its dashboard.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sources')
    .alterColumn('secret_sealed', (c) => c.dropNotNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sources')
    .alterColumn('secret_sealed', (c) => c.setNotNull())
    .execute();
}
