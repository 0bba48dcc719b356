import type { Db } from '../database.ts';

/** Ingest requests answered 429 for one subject in one minute. */
export interface RateLimitedCount {
  /** `source:<id>` for a source's own budget, `address:<ip>` for the unknown-key budget of an address. */
  subject: string;
  /** The start of the minute. */
  minute: Date;
  tenant_id: string | null;
  source_id: string | null;
  remote_ip: string | null;
  count: number;
}

/**
 * Adds counts in one statement. Rows are sorted so that concurrent flushes (several
 * relay processes) lock the same rows in the same order and never deadlock.
 */
export async function addRateLimitedCounts(db: Db, counts: readonly RateLimitedCount[]): Promise<void> {
  if (counts.length === 0) return;
  const rows = [...counts].sort((a, b) =>
    a.subject === b.subject ? a.minute.getTime() - b.minute.getTime() : a.subject < b.subject ? -1 : 1,
  );
  await db
    .insertInto('rate_limited_counts')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['subject', 'minute']).doUpdateSet((eb) => ({ count: eb('rate_limited_counts.count', '+', eb.ref('excluded.count')) })),
    )
    .execute();
}

/** A tenant's rate-limited counts, newest minute first; the cursor is `<minute ms>_<source id>` of the last row. */
export async function listRateLimitedCounts(
  db: Db,
  tenantId: string,
  page: { limit: number; cursor?: string | undefined; sourceId?: string | undefined; since?: Date | undefined; until?: Date | undefined },
) {
  let q = db
    .selectFrom('rate_limited_counts')
    .select(['source_id', 'minute', 'count'])
    .where('tenant_id', '=', tenantId)
    .where('source_id', 'is not', null);
  if (page.sourceId) q = q.where('source_id', '=', page.sourceId);
  if (page.since) q = q.where('minute', '>=', page.since);
  if (page.until) q = q.where('minute', '<', page.until);
  const after = parseCursor(page.cursor);
  if (after) q = q.where((eb) => eb(eb.refTuple('minute', 'source_id'), '<', eb.tuple(after.minute, after.sourceId)));
  const rows = await q
    .orderBy('minute', 'desc')
    .orderBy('source_id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const data = rows.slice(0, page.limit).map((r) => ({ source_id: r.source_id as string, minute: r.minute, count: r.count }));
  const last = data.at(-1);
  return { data, next_cursor: rows.length > page.limit && last ? `${last.minute.getTime()}_${last.source_id}` : null };
}

function parseCursor(cursor: string | undefined): { minute: Date; sourceId: string } | undefined {
  const match = cursor ? /^(\d{1,15})_(.+)$/.exec(cursor) : null;
  if (!match) return undefined;
  return { minute: new Date(Number(match[1])), sourceId: match[2] as string };
}
