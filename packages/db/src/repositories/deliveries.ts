import { sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import { type Db, PREPARED } from '../database.ts';
import type { Database, DeliveryStatus, NewAttempt } from '../tables.ts';
import { countAttemptsCte } from './stats.ts';

/**
 * Takes these deliveries for one attempt each, where they are pending, due (within a
 * second of clock slack between processes) and not held by another worker, and reads what
 * the attempts need (each event's payload, each destination's URL and secrets) in the same
 * round trip. The lease outlives one attempt's timeout; if the worker dies, the lease lapses
 * and the sweeper hands the delivery to another worker, so a killed process loses nothing.
 * Ids that are not due or are held elsewhere are simply not returned.
 */
export async function claimDeliveries(db: Db, ids: readonly string[], leaseMs: number) {
  const { rows } = await sql<ClaimedDelivery>`${sql.raw(PREPARED)}
    with claimed as (
      update deliveries set locked_until = now() + make_interval(secs => ${leaseMs / 1000}::float8)
      where id in (select json_array_elements_text(${JSON.stringify(ids)}::json))
        and status = 'pending'
        and next_attempt_at <= now() + interval '1 second'
        and (locked_until is null or locked_until < now())
      returning id, tenant_id, event_id, destination_id, attempt_count, updated_at
    )
    select c.id, c.tenant_id, c.event_id, c.destination_id, c.attempt_count, c.updated_at,
           e.payload, e.type, e.provider, e.source_id,
           d.url, d.secret_sealed, d.previous_secret_sealed, d.previous_secret_expires_at, d.paused_at,
           d.filter, d.transform,
           -- the request's headers only where a filter may read them
           case when d.filter is not null then (select r.headers from requests r where r.id = e.request_id) end as headers
    from claimed c
    join events e on e.id = c.event_id
    join destinations d on d.id = c.destination_id`.execute(db);
  return rows;
}

/**
 * Gives back the leases of deliveries this process claimed but will not attempt (it is
 * shutting down), so the sweeper hands each to a worker once, without waiting for the
 * lease to lapse. Only by the lease holder: nobody else can hold a lease that has not lapsed.
 */
export async function releaseDeliveryLeases(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('deliveries').set({ locked_until: null }).where('id', 'in', ids).where('status', '=', 'pending').execute();
}

/** One claimed delivery with what its attempt needs. */
export interface ClaimedDelivery {
  id: string;
  tenant_id: string;
  event_id: string;
  destination_id: string;
  attempt_count: number;
  updated_at: Date;
  payload: string;
  type: string;
  provider: string;
  source_id: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  paused_at: Date | null;
  /** The destination's filter and transform as of the claim (CONTRACT §8). */
  filter: Record<string, unknown> | null;
  transform: string | null;
  /** The incoming request's headers, read only when there is a filter. */
  headers?: Record<string, string> | null;
  /** Set by ingest when it has just checked this delivery's filter: the attempt need not again. */
  filterChecked?: boolean;
}

/** One finished attempt, and where it leaves its delivery. */
export interface AttemptRecord {
  attempt: NewAttempt & { created_at: Date };
  sourceId: string;
  next: { status: DeliveryStatus; nextAttemptAt: Date | null };
  /** The delivery's updated_at when it was claimed: a later change (a retry asked for meanwhile) wins. */
  claimedVersion: Date;
}

export interface RecordedDelivery {
  id: string;
  status: DeliveryStatus;
  next_attempt_at: Date | null;
}

/**
 * Records a batch of attempts in one statement: the attempts, their stream entries, and
 * each delivery moved on. A retry or replay asked for while an attempt was in flight moved
 * the delivery's updated_at past the claim's: it wins, so the delivery stays due now instead
 * of being closed. (The claim's copy went through a JS Date, which keeps milliseconds of
 * PostgreSQL's microseconds: hence the millisecond of slack.) Announced in the same
 * statement, the stream never shows an attempt that did not happen nor misses one that did.
 */
export async function recordAttempts(db: Db, records: readonly AttemptRecord[]): Promise<RecordedDelivery[]> {
  if (records.length === 0) return [];
  const input = JSON.stringify(
    records.map(({ attempt, sourceId, next, claimedVersion }) => ({
      ...attempt,
      source_id: sourceId,
      next_status: next.status,
      next_attempt_at: next.nextAttemptAt,
      claimed_version: claimedVersion,
    })),
  );
  const { rows } = await sql<RecordedDelivery>`${sql.raw(PREPARED)}
    with input as (
      select * from json_to_recordset(${input}::json) as t(
        id text, tenant_id text, delivery_id text, event_id text, source_id text, number int, status_code int,
        error text, duration_ms int, response_excerpt text, created_at timestamptz,
        next_status text, next_attempt_at timestamptz, claimed_version timestamptz)
    ),
    stored as (
      insert into attempts (id, tenant_id, delivery_id, event_id, number, status_code, error, duration_ms, response_excerpt, created_at)
      select id, tenant_id, delivery_id, event_id, number, status_code, error, duration_ms, response_excerpt, created_at from input
    ),
    announced as (
      insert into stream_entries (tenant_id, source_id, kind, ref_id)
      select tenant_id, source_id, 'attempt', id from input order by id
    ),
    counted as (${countAttemptsCte('input')})
    update deliveries d set
      status = case when d.updated_at > i.claimed_version + interval '1 millisecond' then 'pending' else i.next_status end,
      attempt_count = i.number,
      next_attempt_at = case when d.updated_at > i.claimed_version + interval '1 millisecond' then now() else i.next_attempt_at end,
      locked_until = null,
      last_attempt_at = i.created_at,
      updated_at = now()
    from input i
    where d.id = i.delivery_id
    returning d.id, d.status, d.next_attempt_at`.execute(db);
  return rows.map((r) => ({ ...r, next_attempt_at: r.next_attempt_at === null ? null : new Date(r.next_attempt_at) }));
}

/** Of these deliveries, the ones pending but not due yet, with when they are: a job that fired early re-arms them. */
export function listNotYetDue(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('deliveries')
    .select(['id', 'next_attempt_at'])
    .where('id', 'in', ids)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '>', sql<Date>`now()`)
    .execute() as Promise<{ id: string; next_attempt_at: Date }[]>;
}

/** Due deliveries nobody holds, oldest first: what the sweeper hands back to the queue. */
export function listDueDeliveries(db: Db, olderThanMs: number, limit: number) {
  return db
    .selectFrom('deliveries')
    .select(['id', 'next_attempt_at', 'locked_until'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}

export function listDeliveriesForEvents(db: Db, eventIds: string[]) {
  if (eventIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'destination_id', 'status', 'attempt_count', 'next_attempt_at', 'last_attempt_at'])
    .where('event_id', 'in', eventIds)
    .orderBy('id')
    .execute();
}

export function listAttemptsForDeliveries(db: Db, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('number').execute();
}

/**
 * Holds a claimed delivery while its destination is paused; resuming releases it. Checked
 * again in the UPDATE, so a resume that lands between claim and hold is not undone (the
 * delivery then stays pending and the sweeper retries it once the lease lapses).
 */
export async function holdDelivery(db: Db, id: string) {
  await db
    .updateTable('deliveries')
    .set({ status: 'held', held_reason: 'destination_paused', next_attempt_at: null, locked_until: null, updated_at: new Date() })
    .where('id', '=', id)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('destinations')
          .select('destinations.id')
          .whereRef('destinations.id', '=', 'deliveries.destination_id')
          .where('destinations.paused_at', 'is not', null),
      ),
    )
    .execute();
}

/** Sets the tenant's deliveries the filter picks pending and due now; returns them for the queue. */
function makeDueNow(
  db: Db,
  tenantId: string,
  pick: (
    q: UpdateQueryBuilder<Database, 'deliveries', 'deliveries', UpdateResult>,
  ) => UpdateQueryBuilder<Database, 'deliveries', 'deliveries', UpdateResult>,
) {
  const now = new Date();
  return pick(
    db
      .updateTable('deliveries')
      .set({ status: 'pending', held_reason: null, next_attempt_at: now, updated_at: now })
      .where('tenant_id', '=', tenantId),
  )
    .returning(['id', 'next_attempt_at'])
    .execute();
}

/** Makes a paused destination's held deliveries due now. */
export function releaseHeldDeliveries(db: Db, tenantId: string, destinationId: string) {
  return makeDueNow(db, tenantId, (q) => q.where('destination_id', '=', destinationId).where('status', '=', 'held'));
}

/**
 * Makes deliveries of these events due now, whatever their state (a manual retry or a
 * replay): one more attempt each, with the same webhook-id. A delivery held by a paused
 * destination stays held.
 */
export function redeliverEvents(db: Db, tenantId: string, eventIds: string[]) {
  if (eventIds.length === 0) return Promise.resolve([]);
  return makeDueNow(db, tenantId, (q) => q.where('event_id', 'in', eventIds).where('status', '!=', 'held'));
}

/** Makes these deliveries due now, one more attempt each with the same webhook-id (a replay job's chunk picks them). */
export function redeliverDeliveries(db: Db, tenantId: string, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return Promise.resolve([]);
  return makeDueNow(db, tenantId, (q) => q.where('id', 'in', deliveryIds));
}

/** How many of these deliveries are due and not yet attempted: a replay waits on its last chunks before making more due. */
export async function countStillDue(db: Db, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from deliveries
    where id in (select json_array_elements_text(${JSON.stringify(ids)}::json))
      and status = 'pending' and next_attempt_at <= now()`.execute(db);
  return rows[0]?.n ?? 0;
}

/** Attempts with their delivery's state, for the live stream. */
export function listAttemptsByIds(db: Db, tenantId: string, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('attempts')
    .innerJoin('deliveries', 'deliveries.id', 'attempts.delivery_id')
    .select([
      'attempts.id',
      'attempts.event_id',
      'attempts.delivery_id',
      'deliveries.destination_id',
      'attempts.number',
      'attempts.status_code',
      'attempts.error',
      'attempts.duration_ms',
      'attempts.response_excerpt',
      'attempts.created_at',
      'deliveries.status as delivery_status',
      'deliveries.next_attempt_at',
    ])
    .where('attempts.tenant_id', '=', tenantId)
    .where('attempts.id', 'in', ids)
    .execute();
}
