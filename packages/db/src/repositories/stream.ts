import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { StreamKind } from '../tables.ts';

/** A position in a tenant's stream: after the entry with this (transaction id, sequence). */
export interface StreamCursor {
  xid: string;
  seq: string;
}

export function encodeCursor(c: StreamCursor): string {
  return `${c.xid}-${c.seq}`;
}

export function decodeCursor(text: string | undefined): StreamCursor | null {
  const match = text ? /^(\d{1,20})-(\d{1,20})$/.exec(text.trim()) : null;
  return match ? { xid: match[1] as string, seq: match[2] as string } : null;
}

export interface StreamEntry {
  seq: string;
  xid: string;
  kind: StreamKind;
  ref_id: string;
  source_id: string | null;
}

/**
 * Entries after `after`, oldest first. Only entries written by transactions that finished
 * before every transaction still running are read (`xid < xmin` of the current snapshot):
 * a transaction that started earlier but commits later cannot then land behind a cursor
 * already handed out, so resuming from a cursor neither skips nor repeats.
 */
export async function readStream(
  db: Db,
  tenantId: string,
  after: StreamCursor,
  options: { sourceId?: string | undefined; kinds?: readonly StreamKind[] | undefined; limit: number },
): Promise<StreamEntry[]> {
  let q = db
    .selectFrom('stream_entries')
    .select([sql<string>`xid::text`.as('xid'), sql<string>`seq::text`.as('seq'), 'kind', 'ref_id', 'source_id'])
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`(xid, seq) > (${after.xid}::xid8, ${after.seq}::bigint)`)
    .where(sql<boolean>`xid < pg_snapshot_xmin(pg_current_snapshot())`);
  if (options.sourceId) q = q.where('source_id', '=', options.sourceId);
  if (options.kinds && options.kinds.length > 0) q = q.where('kind', 'in', options.kinds);
  return q.orderBy('xid').orderBy('seq').limit(options.limit).execute() as Promise<StreamEntry[]>;
}

/** The cursor of "now": after everything already visible, so a new stream starts live. */
export async function currentCursor(db: Db, tenantId: string): Promise<StreamCursor> {
  const row = await db
    .selectFrom('stream_entries')
    .select([sql<string>`xid::text`.as('xid'), sql<string>`seq::text`.as('seq')])
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`xid < pg_snapshot_xmin(pg_current_snapshot())`)
    .orderBy('xid', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ?? { xid: '0', seq: '0' };
}
