import { sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import { type Db, PREPARED } from '../database.ts';
import type { Database, DeliveryStatus, NewAttempt } from '../tables.ts';
import { deliveryShownColumns, shownStatusIs } from './object-order.ts';
import { type Page, pageByIdDesc } from './pagination.ts';
import { countAttemptsCte } from './stats.ts';

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
  /** The destination's filter and transform as of the claim (CONTRACT §8). */
  filter: Record<string, unknown> | null;
  transform: string | null;
  /** The incoming request's headers, read only when there is a filter. */
  headers?: Record<string, string> | null;
  /** Set by ingest when it has just checked this delivery's filter: the attempt need not again. */
  filterChecked?: boolean;
  /** Ordered per object, and a later event of its object was already delivered (sent with `hookline-out-of-order: true`). */
  outOfOrder?: boolean;
}

/** One finished attempt, and where it leaves its delivery. */
export interface AttemptRecord {
  attempt: NewAttempt & { created_at: Date };
  sourceId: string;
  destinationId: string;
  /** A 2xx: it closes the destination's run of failures; anything else extends it; null (nothing was sent): neither. */
  succeeded: boolean | null;
  next: { status: DeliveryStatus; nextAttemptAt: Date | null };
  /** The delivery's updated_at when it was claimed: a later change (a retry asked for meanwhile) wins. */
  claimedVersion: Date;
}

export interface RecordedDelivery {
  id: string;
  status: DeliveryStatus;
  next_attempt_at: Date | null;
}

/** Where a batch of attempts leaves each of their destinations. */
export interface DestinationAfterAttempts {
  destinationId: string;
  /** The breaker is open until then: no attempt before. */
  breakerOpenUntil: Date | null;
  /** This batch's failures disabled it. */
  disabled: boolean;
}

/** The circuit breaker's settings (HOOKLINE_BREAKER_*). */
export interface BreakerPolicy {
  /** Failures in a row that open the breaker; from then on one probe at a time. */
  threshold: number;
  /** How long it stays open after tripping; doubled by each failed probe, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** A run of failures this long (failing_since) disables the destination. */
  disableAfterMs: number;
}

interface RecordRow {
  kind: 'delivery' | 'destination';
  id: string;
  status: DeliveryStatus | null;
  next_attempt_at: Date | string | null;
  breaker_open_until: Date | string | null;
  disabled: boolean | null;
}

const asDate = (v: Date | string | null) => (v === null ? null : new Date(v));

/**
 * Records a batch of attempts in one statement: the attempts, their stream entries, each
 * delivery moved on (its lease cleared: the destination's in-flight count drops), and each
 * destination's breaker (failures in a row open it and, after `disableAfterMs` of failing,
 * disable the destination). A retry or replay asked for while an attempt was in flight moved
 * the delivery's updated_at past the claim's: it wins, so the delivery stays due now instead
 * of being closed. (The claim's copy went through a JS Date, which keeps milliseconds of
 * PostgreSQL's microseconds: hence the millisecond of slack.) Announced in the same
 * statement, the stream never shows an attempt that did not happen nor misses one that did.
 */
export async function recordAttempts(
  db: Db,
  records: readonly AttemptRecord[],
  breaker: BreakerPolicy,
): Promise<{ deliveries: RecordedDelivery[]; destinations: DestinationAfterAttempts[] }> {
  if (records.length === 0) return { deliveries: [], destinations: [] };
  const input = JSON.stringify(
    records.map(({ attempt, sourceId, destinationId, succeeded, next, claimedVersion }) => ({
      ...attempt,
      source_id: sourceId,
      destination_id: destinationId,
      succeeded,
      next_status: next.status,
      next_attempt_at: next.nextAttemptAt,
      claimed_version: claimedVersion,
    })),
  );
  // Over the destination row `d` (fresh under its lock) and this batch's tally `t` for it.
  const failures = sql`(case when t.any_success then t.tail_failures else d.consecutive_failures + t.tail_failures end)`;
  const failingSince = sql`(case when t.tail_failures = 0 then (case when t.any_success then null else d.failing_since end)
    when t.any_success then t.tail_first else coalesce(d.failing_since, t.tail_first) end)`;
  const tripped = sql`(t.tail_failures > 0 and ${failures} >= ${breaker.threshold})`;
  const disables = sql`(${tripped} and d.status = 'active' and ${failingSince} <= now() - make_interval(secs => ${breaker.disableAfterMs / 1000}::float8))`;
  const { rows } = await sql<RecordRow>`${sql.raw(PREPARED)}
    with input as (
      select * from json_to_recordset(${input}::json) as t(
        id text, tenant_id text, delivery_id text, event_id text, source_id text, destination_id text, succeeded boolean,
        number int, status_code int, error text, duration_ms int, response_excerpt text, created_at timestamptz,
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
    counted as (${countAttemptsCte('input')}),
    moved as (
      update deliveries d set
        status = case when d.updated_at > i.claimed_version + interval '1 millisecond' then 'pending' else i.next_status end,
        attempt_count = i.number,
        next_attempt_at = case when d.updated_at > i.claimed_version + interval '1 millisecond' then now() else i.next_attempt_at end,
        locked_until = null,
        last_attempt_at = i.created_at,
        updated_at = now()
      from input i
      -- by primary key whatever the table size when the plan was made (see scheduler.ts targetsCte)
      where d.id = i.delivery_id and d.id = any(array(select delivery_id from input))
      returning d.id, d.status, d.next_attempt_at
    ),
    tally as (
      select o.destination_id, o.any_success,
        (select count(*) from input i where i.destination_id = o.destination_id and not i.succeeded
           and (o.last_success is null or i.created_at > o.last_success)) as tail_failures,
        (select min(i.created_at) from input i where i.destination_id = o.destination_id and not i.succeeded
           and (o.last_success is null or i.created_at > o.last_success)) as tail_first
      from (
        select destination_id, bool_or(succeeded) as any_success, max(created_at) filter (where succeeded) as last_success
        from input group by destination_id
      ) o
    ),
    -- Only destinations whose breaker moves are locked and written: a healthy destination's
    -- successes leave its row alone, so its claims never wait on this statement.
    locked as (
      select d.id from destinations d join tally t on t.destination_id = d.id
      where t.tail_failures > 0 or (t.any_success and (d.consecutive_failures > 0 or d.failing_since is not null or d.breaker_open_until is not null))
      order by d.id for update of d
    ),
    breaker as (
      update destinations d set
        consecutive_failures = ${failures},
        failing_since = ${failingSince},
        breaker_open_until = case
          when ${tripped} then now() + make_interval(secs => least(${breaker.maxBackoffMs / 1000}::float8,
            ${breaker.backoffMs / 1000}::float8 * power(2, least(${failures} - ${breaker.threshold}, 30))))
          when ${failures} = 0 then null
          else d.breaker_open_until end,
        status = case when ${disables} then 'disabled' else d.status end,
        disabled_at = case when ${disables} then now() else d.disabled_at end
      from tally t
      where d.id = t.destination_id and d.id in (select id from locked)
      returning d.id, d.breaker_open_until, d.status = 'disabled' and d.disabled_at = now() as disabled
    )
    select 'delivery' as kind, id, status, next_attempt_at, null::timestamptz as breaker_open_until, null::boolean as disabled
    from moved
    union all
    select 'destination', t.destination_id, null, null,
      case when b.id is null then d.breaker_open_until else b.breaker_open_until end, coalesce(b.disabled, false)
    from tally t
    join destinations d on d.id = t.destination_id
    left join breaker b on b.id = t.destination_id`.execute(db);
  const result = { deliveries: [] as RecordedDelivery[], destinations: [] as DestinationAfterAttempts[] };
  for (const r of rows) {
    if (r.kind === 'delivery') {
      result.deliveries.push({ id: r.id, status: r.status as DeliveryStatus, next_attempt_at: asDate(r.next_attempt_at) });
    } else {
      result.destinations.push({
        destinationId: r.id,
        breakerOpenUntil: asDate(r.breaker_open_until),
        disabled: r.disabled === true,
      });
    }
  }
  return result;
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

/** Deliveries of these events, as the API shows them (one waiting for its object is held: see deliveryShownColumns). */
export function listDeliveriesForEvents(db: Db, eventIds: string[]) {
  if (eventIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'destination_id', 'attempt_count', 'last_attempt_at', ...deliveryShownColumns('deliveries')])
    .where('event_id', 'in', eventIds)
    .orderBy('id')
    .execute();
}

/**
 * A destination's deliveries, newest first, as the API shows them (see deliveryShownColumns),
 * optionally of one status (e.g. those held while it is disabled, or for their object).
 */
export function listDestinationDeliveries(
  db: Db,
  tenantId: string,
  destinationId: string,
  page: Page & { status?: DeliveryStatus | undefined },
) {
  let q = db
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'attempt_count', 'last_attempt_at', 'created_at', ...deliveryShownColumns('deliveries')])
    .where('tenant_id', '=', tenantId)
    .where('destination_id', '=', destinationId);
  if (page.status) q = q.where(shownStatusIs('deliveries', page.status));
  return pageByIdDesc(q, page);
}

export function listAttemptsForDeliveries(db: Db, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('number').execute();
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

/** Makes the deliveries a paused or disabled destination held due now (not those held for ordering). */
export function releaseHeldDeliveries(db: Db, tenantId: string, destinationId: string) {
  return makeDueNow(db, tenantId, (q) =>
    q
      .where('destination_id', '=', destinationId)
      .where('status', '=', 'held')
      .where((eb) => eb.or([eb('held_reason', 'is', null), eb('held_reason', '<>', 'ordering')])),
  );
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
