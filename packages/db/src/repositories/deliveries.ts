import { sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { Db } from '../database.ts';
import type { Database, DeliveryStatus, NewAttempt } from '../tables.ts';

/**
 * Takes the delivery for one attempt if it is pending, due (within a second of clock
 * slack between processes) and not held by another worker, and reads what the attempt
 * needs (the event's payload, the destination's URL and secrets) in the same round trip.
 * The lease outlives one attempt's timeout; if the worker dies, the lease lapses and the
 * sweeper hands the delivery to another worker, so a killed process loses nothing.
 */
export function claimDelivery(db: Db, id: string, leaseMs: number) {
  return db
    .with('claimed', (qb) =>
      qb
        .updateTable('deliveries')
        .set({ locked_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})` })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', sql<Date>`now() + interval '1 second'`)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
        .returning(['id', 'tenant_id', 'event_id', 'destination_id', 'attempt_count', 'updated_at']),
    )
    .selectFrom('claimed')
    .innerJoin('events', 'events.id', 'claimed.event_id')
    .innerJoin('destinations', 'destinations.id', 'claimed.destination_id')
    .select([
      'claimed.id',
      'claimed.tenant_id',
      'claimed.event_id',
      'claimed.destination_id',
      'claimed.attempt_count',
      'claimed.updated_at',
      'events.payload',
      'events.type',
      'events.provider',
      'events.source_id',
      'destinations.url',
      'destinations.secret_sealed',
      'destinations.previous_secret_sealed',
      'destinations.previous_secret_expires_at',
      'destinations.paused_at',
    ])
    .executeTakeFirst();
}

export type ClaimedDelivery = NonNullable<Awaited<ReturnType<typeof claimDelivery>>>;

export function getDeliveryById(db: Db, id: string) {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Records one attempt and moves the delivery on, in one transaction. */
export async function recordAttempt(
  db: Db,
  attempt: NewAttempt,
  next: { status: DeliveryStatus; nextAttemptAt: Date | null },
  sourceId: string,
  claimedVersion: Date,
): Promise<{ status: DeliveryStatus; next_attempt_at: Date | null }> {
  return db.transaction().execute(async (trx) => {
    // The stream entry goes first: its foreign key takes the source's lock before any
    // delivery row is touched, the same order a source delete takes them, so the two
    // cannot deadlock. Announced in the same transaction, the stream never shows an
    // attempt that did not happen nor misses one that did.
    await trx
      .insertInto('stream_entries')
      .values({ tenant_id: attempt.tenant_id, source_id: sourceId, kind: 'attempt', ref_id: attempt.id })
      .execute();
    await trx.insertInto('attempts').values(attempt).execute();
    // A retry or replay asked for while this attempt was in flight moved updated_at past
    // the claim's: it wins, so the delivery stays due now instead of being closed. (The
    // claim's copy went through a JS Date, which keeps milliseconds of PostgreSQL's
    // microseconds: hence the millisecond of slack.)
    const retried = sql<boolean>`updated_at > ${claimedVersion}::timestamptz + interval '1 millisecond'`;
    return trx
      .updateTable('deliveries')
      .set({
        status: sql`case when ${retried} then 'pending' else ${next.status} end`,
        attempt_count: attempt.number,
        next_attempt_at: sql`case when ${retried} then now() else ${next.nextAttemptAt}::timestamptz end`,
        locked_until: null,
        last_attempt_at: attempt.created_at ?? new Date(),
        updated_at: new Date(),
      })
      .where('id', '=', attempt.delivery_id)
      .returning(['status', 'next_attempt_at'])
      .executeTakeFirstOrThrow();
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

/**
 * Holds a claimed delivery while its destination is paused; resuming releases it. Checked
 * again in the UPDATE, so a resume that lands between claim and hold is not undone (the
 * delivery then stays pending and the sweeper retries it once the lease lapses).
 */
export async function holdDelivery(db: Db, id: string) {
  await db
    .updateTable('deliveries')
    .set({ status: 'paused', next_attempt_at: null, locked_until: null, updated_at: new Date() })
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
    db.updateTable('deliveries').set({ status: 'pending', next_attempt_at: now, updated_at: now }).where('tenant_id', '=', tenantId),
  )
    .returning(['id', 'next_attempt_at'])
    .execute();
}

/** Makes a paused destination's held deliveries due now. */
export function releaseHeldDeliveries(db: Db, tenantId: string, destinationId: string) {
  return makeDueNow(db, tenantId, (q) => q.where('destination_id', '=', destinationId).where('status', '=', 'paused'));
}

/**
 * Makes deliveries of these events due now, whatever their state (a manual retry or a
 * replay): one more attempt each, with the same webhook-id. A delivery held by a paused
 * destination stays held.
 */
export function redeliverEvents(db: Db, tenantId: string, eventIds: string[]) {
  if (eventIds.length === 0) return Promise.resolve([]);
  return makeDueNow(db, tenantId, (q) => q.where('event_id', 'in', eventIds).where('status', '!=', 'paused'));
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
