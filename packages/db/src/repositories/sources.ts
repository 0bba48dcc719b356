import type { Insertable } from 'kysely';
import type { Db } from '../database.ts';
import type { SourceTable } from '../tables.ts';
import { type Page, pageOf } from './pagination.ts';

export function insertSource(db: Db, source: Insertable<SourceTable>) {
  return db.insertInto('sources').values(source).returningAll().executeTakeFirstOrThrow();
}

export function getSource(db: Db, tenantId: string, id: string) {
  return db.selectFrom('sources').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listSources(db: Db, tenantId: string, page: Page) {
  let q = db.selectFrom('sources').selectAll().where('tenant_id', '=', tenantId);
  if (page.cursor) q = q.where('id', '<', page.cursor);
  return pageOf(
    await q
      .orderBy('id', 'desc')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

/** Ingest's lookup: by the unguessable key in the URL, across tenants. */
export function findSourceByIngestKey(db: Db, ingestKey: string) {
  return db.selectFrom('sources').selectAll().where('ingest_key', '=', ingestKey).executeTakeFirst();
}
