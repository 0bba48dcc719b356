import { type Kysely, sql } from 'kysely';

// The metrics' failed-deliveries gauge counts failed rows through this partial index rather
// than scanning every delivery. Few rows ever fail for good, so inserts pay nothing for it
// (new deliveries are pending) and the index stays small.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('deliveries_failed')
    .ifNotExists()
    .on('deliveries')
    .column('id')
    .where(sql.ref('status'), '=', 'failed')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deliveries_failed').ifExists().execute();
}
