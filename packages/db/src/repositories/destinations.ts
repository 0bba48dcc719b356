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

/** Deletes a destination and its deliveries (deliveries have no foreign keys: migration 0019); its attempts go with retention. */
export async function deleteDestination(db: Db, tenantId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('destinations').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) return false;
    await trx.deleteFrom('deliveries').where('destination_id', '=', id).execute();
    return true;
  });
}
