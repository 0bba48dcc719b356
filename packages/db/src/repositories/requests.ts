import type { Db } from '../database.ts';
import type { RequestOutcome } from '../tables.ts';
import { type Page, pageByIdDesc } from './pagination.ts';

/** A request as the log shows it: everything but the body (read one request for that). */
const LOG_COLUMNS = [
  'id',
  'source_id',
  'received_at',
  'method',
  'headers',
  'body_bytes',
  'remote_ip',
  'outcome',
  'reason',
  'detail',
  'status_code',
  'event_id',
] as const;

export function listRequests(
  db: Db,
  tenantId: string,
  page: Page & {
    sourceId?: string | undefined;
    outcome?: RequestOutcome | undefined;
    since?: Date | undefined;
    until?: Date | undefined;
  },
) {
  let q = db.selectFrom('requests').select(LOG_COLUMNS).where('tenant_id', '=', tenantId);
  if (page.sourceId) q = q.where('source_id', '=', page.sourceId);
  if (page.outcome) q = q.where('outcome', '=', page.outcome);
  if (page.since) q = q.where('received_at', '>=', page.since);
  if (page.until) q = q.where('received_at', '<', page.until);
  return pageByIdDesc(q, page);
}

export function getRequest(db: Db, tenantId: string, id: string) {
  return db.selectFrom('requests').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function listRequestsByIds(db: Db, tenantId: string, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('requests').select(LOG_COLUMNS).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}
