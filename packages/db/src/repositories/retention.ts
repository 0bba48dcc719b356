import { sql } from 'kysely';
import type { Db } from '../database.ts';

/**
 * Deletes up to `batch` rows older than `cutoff` from each table that grows with traffic
 * (events take their deliveries and attempts with them). Small batches keep each
 * statement short, so pruning never holds locks that ingest waits on. Deleting requests
 * and events lowers their tenants' stored bytes (`tenant_usage`) by trigger, in the same
 * statement.
 */
export async function pruneOlderThan(db: Db, cutoff: Date, batch: number): Promise<number> {
  let deleted = 0;
  for (const [table, column] of [
    ['events', 'received_at'],
    ['requests', 'received_at'],
    ['stream_entries', 'created_at'],
    ['rate_limited_counts', 'minute'],
  ] as const) {
    const result =
      await sql`delete from ${sql.table(table)} where ctid in (select ctid from ${sql.table(table)} where ${sql.ref(column)} < ${cutoff} limit ${batch})`.execute(
        db,
      );
    deleted += Number(result.numAffectedRows ?? 0);
  }
  await db.deleteFrom('sessions').where('expires_at', '<', new Date()).execute();
  return deleted;
}
