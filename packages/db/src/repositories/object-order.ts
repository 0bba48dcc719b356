import { sql } from 'kysely';
import type { DeliveryStatus, HeldReason } from '../tables.ts';

/**
 * Ordered delivery per object (CONTRACT §8, a destination's `ordering: "object"`). Fan-out
 * gives such a destination's deliveries an `object_key` (`object.type/object.id`; none when
 * the event names no object: then it is unordered) and `occurred_at`; an object's deliveries
 * go out one at a time in (occurred_at, id) order, id being arrival. Nothing is stored about
 * the wait itself: a delivery that waits for its object stays `pending`, and whether it waits
 * is read from its siblings whenever it matters (the claim, the sweeper, the API, which shows
 * it as `held` with held_reason `ordering`). So no statement has to release the next one
 * when the blocking one finishes, and no race can leave a stored hold stale. Deliveries with
 * no object_key (every unordered destination's) skip all of this on their first test.
 *
 * The three questions share the deliveries_object_order index (migration 0013).
 */

/** The key fan-out gives an ordered destination's delivery of an event about `object`; null: unordered. */
export function objectKey(object: { type: string; id: string | null } | null | undefined): string | null {
  return object?.type && object.id ? `${object.type}/${object.id}` : null;
}

/** The same key in SQL, over the stored event row `e` (a delivery made after the event, by a replay). */
export function objectKeyOfEvent(e: string) {
  const object = sql`hookline_payload_jsonb(${sql.raw(e)}.payload)->'object'`;
  return sql<string | null>`((${object}->>'type') || '/' || (${object}->>'id'))`;
}

/**
 * Unfinished siblings of delivery row `x` that it must wait for: earlier ones of its object,
 * and any of its object in flight (a lease the statement's snapshot shows; also one that has
 * just ended, which only errs on the side of waiting: the attempt's record is followed by
 * another claim). On PostgreSQL a claim's snapshot is taken after it locked its destinations,
 * so it shows every claim before it (scheduler.ts).
 */
function blockers(x: string) {
  const ref = sql.raw(x);
  return sql`
    select y.id, y.event_id, y.occurred_at from deliveries y
    where y.destination_id = ${ref}.destination_id and y.object_key = ${ref}.object_key
      and y.status in ('pending', 'held') and y.id <> ${ref}.id
      and ((y.occurred_at, y.id) < (${ref}.occurred_at, ${ref}.id) or y.locked_until > now())`;
}

/**
 * The claim's form of the same rule, for the destinations of `budget` (rows with `id`): the
 * id of each object's first unfinished delivery, for objects with nothing in flight. One
 * pass over the index per claim instead of a probe per passed-over delivery; read only if
 * some candidate has an object_key (see mayGo).
 */
export function objectHeads(budget: string) {
  const b = sql.raw(budget);
  return sql`
    select (array_agg(y.id order by y.occurred_at, y.id))[1] as id
    from ${b} b join deliveries y on y.destination_id = b.id
    where y.object_key is not null and y.status in ('pending', 'held')
    group by y.destination_id, y.object_key
    having not bool_or((y.locked_until > now()) is true)`;
}

/** SQL true when delivery row `x` may be claimed as far as its object goes: it has none, or it heads `heads` (see objectHeads). */
export function mayGo(x: string, heads: string) {
  return sql<boolean>`(${sql.raw(x)}.object_key is null or ${sql.raw(x)}.id in (select id from ${sql.raw(heads)}))`;
}

/** SQL true when delivery row `x` waits for its object (see blockers); false at once when it has no object_key. */
export function waitsForItsObject(x: string) {
  return sql<boolean>`(${sql.raw(x)}.object_key is not null and exists (${blockers(x)}))`;
}

/**
 * SQL true when delivery row `x` is pending, not in flight itself, and waits for its object:
 * what the API shows as status `held`, held_reason `ordering`.
 */
function heldForOrdering(x: string) {
  const ref = sql.raw(x);
  return sql<boolean>`(${ref}.status = 'pending' and (${ref}.locked_until is null or ${ref}.locked_until < now())
    and ${waitsForItsObject(x)})`;
}

/** The event that delivery row `x` waits for (its object's earliest blocker); null when unordered or not waiting. */
function heldByEvent(x: string) {
  return sql<string | null>`(case when ${sql.raw(x)}.object_key is not null and ${sql.raw(x)}.status = 'pending' then
    (select b.event_id from (${blockers(x)}) b order by b.occurred_at, b.id limit 1) end)`;
}

/**
 * A delivery as the API shows it, from the row `x`: one that waits for its object is `held`
 * (held_reason `ordering`, no next attempt time of its own, `held_by_event_id` the event it
 * waits for); every other is as stored.
 */
export function deliveryShownColumns(x: string) {
  const ref = sql.raw(x);
  const held = heldForOrdering(x);
  return [
    sql<DeliveryStatus>`case when ${held} then 'held' else ${ref}.status end`.as('status'),
    sql<HeldReason | null>`case when ${held} then 'ordering' else ${ref}.held_reason end`.as('held_reason'),
    sql<Date | null>`case when ${held} then null else ${ref}.next_attempt_at end`.as('next_attempt_at'),
    sql<string | null>`case when ${held} then ${heldByEvent(x)} end`.as('held_by_event_id'),
  ] as const;
}

/** The condition that picks deliveries of `status` as the API shows them (see deliveryShownColumns). */
export function shownStatusIs(x: string, status: DeliveryStatus) {
  const ref = sql.raw(x);
  if (status === 'held') return sql<boolean>`(${ref}.status = 'held' or ${heldForOrdering(x)})`;
  if (status === 'pending') return sql<boolean>`(${ref}.status = 'pending' and not ${heldForOrdering(x)})`;
  return sql<boolean>`${ref}.status = ${status}`;
}

/**
 * SQL true when delivery row `x`, about to be attempted, comes after a later event of its
 * object was delivered (the `hookline-out-of-order: true` header); null when unordered.
 */
export function deliveredOutOfOrder(x: string) {
  const ref = sql.raw(x);
  return sql<boolean | null>`(case when ${ref}.object_key is not null then exists (
    select 1 from deliveries y
    where y.destination_id = ${ref}.destination_id and y.object_key = ${ref}.object_key and y.status = 'succeeded'
      and (y.occurred_at, y.id) > (${ref}.occurred_at, ${ref}.id)) end)`;
}
