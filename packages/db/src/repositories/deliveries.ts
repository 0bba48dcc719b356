import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { DeliveryStatus, NewAttempt } from '../tables.ts';

/**
 * Takes the delivery for one attempt if it is pending, due (within a second of clock
 * slack between processes) and not held by another worker. The lease outlives one
 * attempt's timeout; if the worker dies, the lease lapses and the sweeper hands the
 * delivery to another worker, so a killed process loses nothing.
 */
export function claimDelivery(db: Db, id: string, leaseMs: number) {
  return db
    .updateTable('deliveries')
    .set({ locked_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', sql<Date>`now() + interval '1 second'`)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
    .returningAll()
    .executeTakeFirst();
}

export function getDeliveryById(db: Db, id: string) {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Records one attempt and moves the delivery on, in one transaction. */
export async function recordAttempt(db: Db, attempt: NewAttempt, next: { status: DeliveryStatus; nextAttemptAt: Date | null }) {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('attempts').values(attempt).execute();
    await trx
      .updateTable('deliveries')
      .set({
        status: next.status,
        attempt_count: attempt.number,
        next_attempt_at: next.nextAttemptAt,
        locked_until: null,
        last_attempt_at: attempt.created_at ?? new Date(),
        updated_at: new Date(),
      })
      .where('id', '=', attempt.delivery_id)
      .execute();
  });
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
