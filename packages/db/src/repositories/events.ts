import { type EventQueryTerm, type EventStatus, fieldTermJsonPath } from '@hookline/core';
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../database.ts';
import type { NewEvent } from '../tables.ts';
import { type Page, pageByIdDesc } from './pagination.ts';
import { countEventsCte } from './stats.ts';

export interface EventFilter {
  sourceId?: string | undefined;
  type?: string | undefined;
  status?: EventStatus | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Parsed `?q=` (parseEventQuery): every term must match. */
  terms?: readonly EventQueryTerm[] | undefined;
}

/**
 * Search terms (parseEventQuery) as one condition on the events table named `alias`: the
 * list's `?q=` and a replay selection's `q` (replay-jobs.ts) match the same events.
 */
export function eventSearchCondition(terms: readonly EventQueryTerm[], alias: string): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  const conditions = terms.map((term) =>
    term.kind === 'id'
      ? // Hookline's id, or the provider's. The provider's is unique per source (the index
        // leads with source_id), so it is looked up source by source: a few index probes, where
        // `or provider_event_id = …` read every event of the tenant.
        sql`(${column('id')} = any(array(select ${term.value}::text union all
          select x.id from sources s join events x on x.source_id = s.id and x.provider_event_id = ${term.value})))`
      : // The same expression as the events_payload_search index (migration 2026_12_01_0011), so the index answers it.
        sql`hookline_payload_jsonb(${column('payload')}) @@ ${fieldTermJsonPath(term)}::jsonpath`,
  );
  return sql<boolean>`(${sql.join(conditions, sql` and `)})`;
}

function filtered(db: Db, tenantId: string, filter: EventFilter) {
  let q = db.selectFrom('events').where('events.tenant_id', '=', tenantId);
  if (filter.sourceId) q = q.where('events.source_id', '=', filter.sourceId);
  if (filter.type) q = q.where('events.type', '=', filter.type);
  if (filter.since) q = q.where('events.received_at', '>=', filter.since);
  if (filter.until) q = q.where('events.received_at', '<', filter.until);
  if (filter.terms?.length) q = q.where(eventSearchCondition(filter.terms, 'events'));
  if (!filter.status) return q;
  const deliveriesIn = (statuses: string[] | null) =>
    sql<boolean>`exists (select 1 from deliveries d where d.event_id = events.id${
      statuses ? sql` and d.status in (${sql.join(statuses)})` : sql``
    })`;
  switch (filter.status) {
    case 'failed':
      return q.where(deliveriesIn(['failed']));
    case 'pending':
      return q.where(deliveriesIn(['pending', 'held'])).where(sql<boolean>`not ${deliveriesIn(['failed'])}`);
    case 'delivered':
      return q.where(deliveriesIn(null)).where(sql<boolean>`not ${deliveriesIn(['pending', 'held', 'failed'])}`);
    case 'no_destinations':
      return q.where(sql<boolean>`not ${deliveriesIn(null)}`);
  }
}

export function listEvents(db: Db, tenantId: string, filter: EventFilter & Page) {
  const q = filtered(db, tenantId, filter).select(['events.id', 'events.payload', 'events.request_id']);
  return pageByIdDesc(q, filter, 'events.id');
}

/** How many events the filter matches, counting up to `cap` (a bulk replay's preview). */
export async function countEvents(db: Db, tenantId: string, filter: EventFilter, cap: number) {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from (${filtered(db, tenantId, filter)
    .select('events.id')
    .limit(cap)}) m`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * A source's stored events, newest first, with the headers of the request each came in
 * (what a filter sees): trying a routing rule on history (POST /v1/rules/try).
 */
export function listEventsToTry(
  db: Db,
  tenantId: string,
  sourceId: string,
  options: { limit: number; since?: Date | undefined; until?: Date | undefined },
) {
  let q = db
    .selectFrom('events')
    .leftJoin('requests', (j) => j.onRef('requests.id', '=', 'events.request_id').on('requests.tenant_id', '=', tenantId))
    .select(['events.id', 'events.payload', 'requests.headers'])
    .where('events.tenant_id', '=', tenantId)
    .where('events.source_id', '=', sourceId);
  if (options.since) q = q.where('events.received_at', '>=', options.since);
  if (options.until) q = q.where('events.received_at', '<', options.until);
  return q.orderBy('events.id', 'desc').limit(options.limit).execute();
}

export function getEvent(db: Db, tenantId: string, id: string) {
  return db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function listEventsByIds(db: Db, tenantId: string, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('events').select(['id', 'payload']).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

/** Stores an event with one delivery to one destination (a test event), announced on the stream. */
export async function insertTestEvent(db: Db, event: NewEvent, delivery: { id: string; destination_id: string; next_attempt_at: Date }) {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('events').values(event).execute();
    await trx
      .insertInto('deliveries')
      .values({ ...delivery, tenant_id: event.tenant_id, event_id: event.id, status: 'pending' })
      .execute();
    await trx
      .insertInto('stream_entries')
      .values({ tenant_id: event.tenant_id, source_id: event.source_id, kind: 'event', ref_id: event.id })
      .execute();
    await sql`with e as (
        select ${event.tenant_id}::text as tenant_id, ${event.source_id}::text as source_id, ${event.id}::text as event_id,
          ${event.type}::text as type, ${event.received_at}::timestamptz as received_at
      ) ${countEventsCte('e')}`.execute(trx);
  });
}
