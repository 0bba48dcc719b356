import { sql } from 'kysely';
import { type Db, PREPARED } from '../database.ts';
import type { ClaimedDelivery } from './deliveries.ts';
import { deliveredOutOfOrder, mayGo, objectHeads, waitsForItsObject } from './object-order.ts';

/**
 * The delivery scheduler's database half (issue 13). A destination's attempts in flight are
 * its deliveries leased now (`locked_until` in the future, index deliveries_leased), held
 * against max_in_flight; `rate_log` on its row (attempt start times of the last period, kept
 * only when it has a rate limit) against rate_limit; and the breaker (consecutive_failures,
 * breaker_open_until). Claims for a destination run one at a time under its row lock, so
 * any number of worker processes share one cap; a dead worker's leases lapse by themselves.
 * The lock and the claim are one statement: what it reads of the destination row is the
 * latest (a locking read returns the newest version), and it counts the leases after the
 * lock with a snapshot of their own (hookline_leased_now, migration 0018).
 * Recording an attempt does not touch the destination row unless the breaker moves, so
 * claims never wait on attempt records. Work a destination cannot take yet stays in the
 * database, pending and unleased: no worker slot waits on it.
 */

/** What the claim and the sweeper need to know about the breaker. */
export interface BreakerSettings {
  /** Failures in a row after which the destination gets one probe at a time. */
  threshold: number;
}

export interface ClaimRequest {
  /** Deliveries a job named: their destinations are the claim's targets. */
  ids: readonly string[];
  /** Destinations known to have waiting work. */
  destinations: readonly string[];
  /** Most deliveries to take (this worker's free attempt slots). */
  limit: number;
  leaseMs: number;
  /** Attempts each tenant may still start in this worker, for tenants that already have some in flight. */
  tenantAllowance: Readonly<Record<string, number>>;
  /** The same for tenants with nothing in flight here. */
  tenantMax: number;
  breaker: BreakerSettings;
}

/** A target destination's state after the claim. */
export interface DestinationBacklog {
  destinationId: string;
  tenantId: string;
  /** Due work it has that this claim did not take (never for a paused or disabled one: the sweeper holds that). */
  more: boolean;
  /** Its in-flight cap is reached: a finishing attempt will make room (and look again). */
  full: boolean;
  /**
   * It orders per object: a finishing attempt may let its object's next delivery go (which
   * no claim counts as waiting work before then), so look again after each one.
   */
  ordered: boolean;
  /**
   * For an ordered destination, when its next pending delivery not due yet becomes due (an
   * ordering window ends): a claim then may find it, where this one found its object's
   * head not due and took nothing of the object.
   */
  nextDueAt: Date | null;
  /** Its rate limit or open breaker lets nothing start before then. */
  blockedUntil: Date | null;
}

export interface ClaimResult {
  claimed: ClaimedDelivery[];
  backlog: DestinationBacklog[];
  /** Named deliveries not due yet (a job fired early): to schedule again. */
  early: { id: string; next_attempt_at: Date }[];
}

/** Milliseconds in a rate_limit period, as SQL over a destination row `d`. */
const PERIOD_MS = sql.raw(
  `(case d.rate_limit->>'period' when 'second' then 1000 when 'minute' then 60000 when 'hour' then 3600000 else 1 end)::bigint`,
);

interface ClaimRow extends Omit<ClaimedDelivery, 'updated_at'> {
  kind: 'claimed' | 'backlog' | 'early';
  updated_at: Date | string | null;
  more: boolean | null;
  full: boolean | null;
  ordered: boolean | null;
  next_due_at: Date | string | null;
  blocked_until: Date | string | null;
  next_attempt_at: Date | string | null;
  out_of_order: boolean | null;
}

const asDate = (v: Date | string | null) => (v === null ? null : new Date(v));

/**
 * SQL true when delivery row `x` may be claimed now: due, or due within a second (a queue
 * timer that fires a little early still finds its delivery). Not a delivery ordered per
 * object: it must wait out its ordering window to the end (object-order.ts).
 */
export function isDue(x: string) {
  const ref = sql.raw(x);
  return sql<boolean>`(${ref}.next_attempt_at <= now() + case when ${ref}.object_key is null then interval '1 second' else interval '0' end)`;
}

/**
 * The target destinations of a claim: those of the named deliveries, and those named.
 * Deliveries are looked up by `id = any(array(...))` here and below, never `id in (select
 * ...)`: the claim is a prepared statement, and a plan made while the table is small (a new
 * install) joins a subquery to it by a sequential scan and keeps doing so as it grows. An
 * array of unknown length is estimated at a few elements: always the primary key.
 */
function targetsCte(request: ClaimRequest) {
  return sql`named as (select json_array_elements_text(${JSON.stringify(request.ids)}::json) as id),
    targets as (
      select x.destination_id as id from deliveries x where x.id = any(array(select id from named))
      union
      select json_array_elements_text(${JSON.stringify(request.destinations)}::json)
    )`;
}

/**
 * Takes due deliveries of the target destinations, oldest first per destination, as many as
 * each destination's budget allows, in turns across tenants (each tenant's first, then each
 * one's second...) and within a tenant across destinations (fewest in flight first), at most
 * `limit`, each tenant within its allowance; reads what the attempts need in the same round
 * trip. A target destination that is paused or disabled has its pending deliveries held
 * (those of events that arrived since, which reach it by offer or job). A delivery that
 * waits for its object (ordering per object: see object-order) is passed over.
 *
 * One statement. It locks the target destinations' rows (in id order, so claims never
 * deadlock), which makes claims for a destination take turns across processes, and reads
 * their newest versions; it counts their leases after the lock, with a snapshot of its own
 * (hookline_leased_now), so that count includes every lease committed before the lock was
 * granted. Its candidates come from the statement's snapshot, older: one that another claim
 * leased meanwhile is skipped by the lease's update, which sets a lease only where the
 * delivery is unleased when updated, so a delivery is never leased twice and a
 * destination's cap never exceeded (a claim may take fewer; the backlog asks again).
 */
export async function claimDue(db: Db, request: ClaimRequest): Promise<ClaimResult> {
  const { rows } = await sql<ClaimRow>`${sql.raw(PREPARED)}
    with clock as (select (extract(epoch from now()) * 1000)::bigint as now_ms),
    -- A lease lost in a database crash costs at most a second attempt (at least once, with
    -- the same webhook-id), so the claim does not wait for its commit to reach disk.
    relaxed as (select set_config('synchronous_commit', 'off', true) as setting),
    ${targetsCte(request)},
    dest as (
      select d.id, d.tenant_id, d.status, d.rate_log, d.breaker_open_until, d.ordering,
             case when d.consecutive_failures >= ${request.breaker.threshold} then 1 else d.max_in_flight end as cap,
             (d.rate_limit->>'count')::int as rate_count, ${PERIOD_MS} as period_ms
      from destinations d, relaxed where d.id in (select id from targets)
      order by d.id for no key update of d
    ),
    budget as (
      select dest.*, live.n as in_flight, recent.n as recent, recent.oldest,
        case when dest.status <> 'active' or dest.breaker_open_until > now() then 0
             else greatest(0, least(dest.cap - live.n, coalesce(dest.rate_count - recent.n, 1000000))) end as allowance
      from dest, clock,
      lateral (select hookline_leased_now(dest.id) as n) live,
      lateral (select count(*) as n, min(t) as oldest from unnest(dest.rate_log) t where t > clock.now_ms - dest.period_ms) recent
    ),
    object_heads as (${objectHeads('budget')}),
    -- One more than each budget allows, as a spare: a spare (or a candidate not picked)
    -- tells the worker that the destination has more waiting, without a second look.
    candidates as (
      select c.id, c.destination_id, b.tenant_id, c.rn + b.in_flight as turn, c.rn > b.allowance as spare
      from budget b cross join lateral (
        select x.id, x.destination_id, row_number() over (order by x.next_attempt_at, x.id) as rn
        from deliveries x
        where x.destination_id = b.id and x.status = 'pending' and ${isDue('x')}
          and (x.locked_until is null or x.locked_until < now())
          and ${mayGo('x', 'object_heads')}
        order by x.next_attempt_at, x.id
        limit b.allowance + 1
      ) c
    ),
    picked as (
      select id, destination_id from (
        select candidates.*, row_number() over (partition by tenant_id order by turn, destination_id) as trn
        from candidates where not spare
      ) t
      where trn <= coalesce((${JSON.stringify(request.tenantAllowance)}::jsonb ->> tenant_id)::int, ${request.tenantMax})
      order by trn, turn, destination_id
      limit ${request.limit}
    ),
    claimed as (
      update deliveries set locked_until = now() + make_interval(secs => ${request.leaseMs / 1000}::float8)
      where id = any(array(select id from picked)) and status = 'pending' and (locked_until is null or locked_until < now())
        -- No foreign key keeps a delivery's event (migration 0019): one left without it
        -- (a replay racing the pruner) is not leased, and goes by its own age.
        and exists (select 1 from events e where e.id = deliveries.event_id)
      returning id, tenant_id, event_id, destination_id, attempt_count, updated_at, ${deliveredOutOfOrder('deliveries')} as out_of_order
    ),
    rated as (
      update destinations d set
        rate_log = array(select t from unnest(d.rate_log) t, clock where t > clock.now_ms - b.period_ms)
          || array(select clock.now_ms from claimed c, clock where c.destination_id = d.id)
      from budget b
      where b.id = d.id and d.rate_limit is not null and d.id in (select destination_id from claimed)
    ),
    -- holdPendingDeliveries' rule (below), in the claim's own statement: keep the two alike.
    held as (
      update deliveries x set status = 'held', next_attempt_at = null, locked_until = null, updated_at = now(),
        held_reason = case dest.status when 'paused' then 'destination_paused' else 'destination_disabled' end
      from dest
      where x.destination_id = dest.id and dest.status <> 'active' and x.status = 'pending'
        and (x.locked_until is null or x.locked_until < now())
    )
    select 'claimed' as kind, c.id, c.tenant_id, c.event_id, c.destination_id, c.attempt_count, c.updated_at,
           e.payload, e.type, e.provider, e.source_id,
           d.url, d.secret_sealed, d.previous_secret_sealed, d.previous_secret_expires_at,
           d.filter, d.transform,
           -- the request's headers only where a filter may read them
           case when d.filter is not null then (select r.headers from requests r where r.id = e.request_id) end as headers,
           null::boolean as more, null::boolean as full, null::boolean as ordered, null::timestamptz as next_due_at,
           null::timestamptz as blocked_until,
           null::timestamptz as next_attempt_at, c.out_of_order
    from claimed c
    join events e on e.id = c.event_id
    join destinations d on d.id = c.destination_id
    union all
    select 'backlog', null, b.tenant_id, null, b.id, null, null, null, null, null, null, null, null, null, null, null, null, null,
           b.status = 'active' and exists (select 1 from candidates c where c.destination_id = b.id and c.id not in (select id from picked)),
           b.in_flight + (select count(*) from claimed c where c.destination_id = b.id) >= b.cap,
           b.ordering = 'object',
           case when b.ordering = 'object' then (
             select min(x.next_attempt_at) from deliveries x
             where x.destination_id = b.id and x.status = 'pending' and x.next_attempt_at > now()) end,
           case when b.status <> 'active' then null
                when b.breaker_open_until > now() then b.breaker_open_until
                when b.rate_count is not null and b.recent >= b.rate_count
                  then to_timestamp((b.oldest + b.period_ms) / 1000.0) end,
           null, null
    from budget b
    union all
    select 'early', x.id, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, x.next_attempt_at, null
    from deliveries x
    where x.id = any(array(select id from named)) and x.status = 'pending' and not ${isDue('x')}`.execute(db);

  const result: ClaimResult = { claimed: [], backlog: [], early: [] };
  for (const row of rows) {
    if (row.kind === 'claimed') {
      const { kind, more, full, ordered, next_due_at, blocked_until, next_attempt_at, out_of_order, ...delivery } = row;
      result.claimed.push({
        ...delivery,
        outOfOrder: out_of_order === true,
        updated_at: new Date(row.updated_at as Date),
        previous_secret_expires_at: asDate(row.previous_secret_expires_at),
      });
    } else if (row.kind === 'backlog') {
      result.backlog.push({
        destinationId: row.destination_id,
        tenantId: row.tenant_id,
        more: row.more === true,
        full: row.full === true,
        ordered: row.ordered === true,
        nextDueAt: asDate(row.next_due_at),
        blockedUntil: asDate(row.blocked_until),
      });
    } else result.early.push({ id: row.id, next_attempt_at: new Date(row.next_attempt_at as Date) });
  }
  return result;
}

/**
 * Due deliveries nobody holds, for the sweeper: per active destination with room, its
 * oldest, as many as its in-flight cap leaves room for (a capped backlog is not offered
 * again and again), none that waits for its object. Pending deliveries of paused or disabled destinations are held on the way.
 */
export async function listDueDeliveries(db: Db, olderThanMs: number, limit: number, breaker: BreakerSettings) {
  // Read first and write only when there is something to hold: an idle sweep writes nothing.
  const inactive = await db
    .selectFrom('destinations')
    .select(['id', 'status'])
    .where('status', '<>', 'active')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('deliveries')
          .select('deliveries.id')
          .whereRef('deliveries.destination_id', '=', 'destinations.id')
          .where('deliveries.status', '=', 'pending'),
      ),
    )
    .execute();
  for (const d of inactive) await holdPendingDeliveries(db, d.id, d.status === 'paused' ? 'destination_paused' : 'destination_disabled');
  const { rows } = await sql<{ id: string; next_attempt_at: Date; locked_until: Date | null }>`
    select x.id, x.next_attempt_at, x.locked_until
    from destinations d
    cross join lateral (
      select count(*) as n from deliveries x where x.destination_id = d.id and x.status = 'pending' and x.locked_until > now()
    ) live
    cross join lateral (
      select x.id, x.next_attempt_at, x.locked_until from deliveries x
      where x.destination_id = d.id and x.status = 'pending'
        and x.next_attempt_at <= now() - make_interval(secs => ${olderThanMs / 1000})
        and (x.locked_until is null or x.locked_until < now()) and not ${waitsForItsObject('x')}
      order by x.next_attempt_at, x.id
      limit greatest(0, (case when d.consecutive_failures >= ${breaker.threshold} then 1 else d.max_in_flight end) - live.n)
    ) x
    where d.status = 'active' and (d.breaker_open_until is null or d.breaker_open_until <= now())
    order by x.next_attempt_at
    limit ${limit}`.execute(db);
  return rows.map((r) => ({ ...r, next_attempt_at: new Date(r.next_attempt_at), locked_until: asDate(r.locked_until) }));
}

/** Holds a destination's pending deliveries that nobody is attempting (it was just disabled). */
export function holdPendingDeliveries(db: Db, destinationId: string, reason: 'destination_paused' | 'destination_disabled') {
  return db
    .updateTable('deliveries')
    .set({ status: 'held', held_reason: reason, next_attempt_at: null, locked_until: null, updated_at: new Date() })
    .where('destination_id', '=', destinationId)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
    .execute();
}
