import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../database.ts';
import type { DestinationTable } from '../tables.ts';
import { type Page, pageByIdDesc } from './pagination.ts';

export function insertDestination(db: Db, destination: Insertable<DestinationTable>) {
  return db.insertInto('destinations').values(destination).returningAll().executeTakeFirstOrThrow();
}

export function getDestination(db: Db, tenantId: string, id: string) {
  return db.selectFrom('destinations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function listDestinations(db: Db, tenantId: string, page: Page & { sourceId?: string | undefined }) {
  let q = db.selectFrom('destinations').selectAll().where('tenant_id', '=', tenantId);
  if (page.sourceId) q = q.where('source_id', '=', page.sourceId);
  return pageByIdDesc(q, page);
}

export function updateDestination(db: Db, tenantId: string, id: string, changes: Updateable<DestinationTable>) {
  return db
    .updateTable('destinations')
    .set({ ...changes, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteDestination(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('destinations').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
