import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { objectKeyOfEvent } from './object-order.ts';

/**
 * Sends exactly these events of a destination's source to that destination again, now
 * (the rules panel's "replay exactly these", after trying a changed filter or transform on
 * history). An event that already has a delivery to it is made due now (unless held); one
 * that has none (it did not match the filter when it arrived) gets a new delivery, with the
 * id the caller gives it (ordered by its object, like fan-out's, when the destination orders
 * per object). Events of other sources or tenants are ignored. One statement.
 */
export async function replayEventsToDestination(
  db: Db,
  tenantId: string,
  destinationId: string,
  events: readonly { event_id: string; new_delivery_id: string }[],
): Promise<{ id: string; next_attempt_at: Date }[]> {
  if (events.length === 0) return [];
  const now = new Date();
  const { rows } = await sql<{ id: string; next_attempt_at: Date }>`
    with given as (select * from json_to_recordset(${JSON.stringify(events)}::json) as g(event_id text, new_delivery_id text)),
    wanted as (
      select given.*, case when d.ordering = 'object' then ${objectKeyOfEvent('e')} end as object_key,
             coalesce(e.occurred_at, e.received_at) as occurred_at
      from given
      join events e on e.id = given.event_id and e.tenant_id = ${tenantId}
      join destinations d on d.id = ${destinationId} and d.tenant_id = ${tenantId} and d.source_id = e.source_id
    ),
    made as (
      insert into deliveries (id, tenant_id, event_id, destination_id, status, next_attempt_at, created_at, updated_at, object_key, occurred_at)
      select w.new_delivery_id, ${tenantId}, w.event_id, ${destinationId}, 'pending', ${now}, ${now}, ${now},
             w.object_key, case when w.object_key is not null then w.occurred_at end
      from wanted w
      where not exists (select 1 from deliveries x where x.event_id = w.event_id and x.destination_id = ${destinationId})
      returning id, next_attempt_at
    ),
    again as (
      update deliveries x set status = 'pending', next_attempt_at = ${now}, updated_at = ${now}
      where x.tenant_id = ${tenantId} and x.destination_id = ${destinationId} and x.status <> 'held'
        and x.event_id in (select event_id from wanted)
      returning x.id, x.next_attempt_at
    )
    select id, next_attempt_at from made union all select id, next_attempt_at from again`.execute(db);
  return rows.map((r) => ({ id: r.id, next_attempt_at: new Date(r.next_attempt_at) }));
}
