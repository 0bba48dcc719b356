import type { Db } from '../database.ts';
import { type Page, pageOf } from './pagination.ts';

export interface EventFilter extends Page {
  sourceId?: string | undefined;
  type?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

export async function listEvents(db: Db, tenantId: string, filter: EventFilter) {
  let q = db.selectFrom('events').select(['id', 'payload', 'request_id']).where('tenant_id', '=', tenantId);
  if (filter.sourceId) q = q.where('source_id', '=', filter.sourceId);
  if (filter.type) q = q.where('type', '=', filter.type);
  if (filter.since) q = q.where('received_at', '>=', filter.since);
  if (filter.until) q = q.where('received_at', '<', filter.until);
  if (filter.cursor) q = q.where('id', '<', filter.cursor);
  return pageOf(
    await q
      .orderBy('id', 'desc')
      .limit(filter.limit + 1)
      .execute(),
    filter.limit,
  );
}

export function getEvent(db: Db, tenantId: string, id: string) {
  return db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function getEventById(db: Db, id: string) {
  return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
}
