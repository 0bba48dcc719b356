import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '../database.ts';
import type { SourceTable } from '../tables.ts';
import { type Page, pageByIdDesc } from './pagination.ts';

export function insertSource(db: Db, source: Insertable<SourceTable>) {
  return db.insertInto('sources').values(source).returningAll().executeTakeFirstOrThrow();
}

export function getSource(db: Db, tenantId: string, id: string) {
  return db.selectFrom('sources').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function listSources(db: Db, tenantId: string, page: Page) {
  const q = db.selectFrom('sources').selectAll().where('tenant_id', '=', tenantId);
  return pageByIdDesc(q, page);
}

export function updateSource(db: Db, tenantId: string, id: string, changes: Updateable<SourceTable>) {
  return db
    .updateTable('sources')
    .set({ ...changes, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Deletes a source and what hangs off it: its destinations go by cascade; its events, their
 * deliveries and its request log explicitly (the tables ingest writes have no foreign keys,
 * to keep ingest cheap: migrations 0004 and 0019); its attempts and stream entries are no
 * longer reachable and go with retention.
 */
export async function deleteSource(db: Db, tenantId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('sources').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) return false;
    await sql`with gone as (delete from events where source_id = ${id} returning id)
      delete from deliveries where event_id in (select id from gone)`.execute(trx);
    await trx.deleteFrom('requests').where('source_id', '=', id).execute();
    for (const table of ['stats_requests', 'stats_events', 'stats_deliveries'] as const) {
      await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId} and source_id = ${id}`.execute(trx);
    }
    return true;
  });
}
