import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { AlertChannelType } from '../tables.ts';

/** A notification leased for sending, with what its channel needs. */
export interface ClaimedNotification {
  id: string;
  tenant_id: string;
  alert_id: string;
  body: string;
  /** This claim's attempt number (1 for the first). */
  attempts: number;
  channel_id: string;
  channel_type: AlertChannelType;
  target: string;
  secret_sealed: string | null;
}

/**
 * Leases up to `limit` due notifications for `leaseMs` (several workers send at once; a lease
 * lapses if its holder dies, and the notification is sent again: at least once).
 */
export async function claimDueNotifications(db: Db, limit: number, leaseMs: number): Promise<ClaimedNotification[]> {
  const { rows } = await sql<ClaimedNotification>`
    with due as (
      select id from alert_notifications
      where sent_at is null and failed_at is null and next_attempt_at <= now()
        and (locked_until is null or locked_until < now())
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    update alert_notifications n
    set locked_until = now() + make_interval(secs => ${leaseMs / 1000}::float8), attempts = n.attempts + 1
    from due, alert_channels c
    where n.id = due.id and c.id = n.channel_id
    returning n.id, n.tenant_id, n.alert_id, n.body, n.attempts, n.channel_id,
      c.type as channel_type, c.target, c.secret_sealed`.execute(db);
  return rows;
}

/** When the next notification comes due (for the sender's timer); null when none waits. */
export async function nextNotificationDue(db: Db): Promise<Date | null> {
  const row = await db
    .selectFrom('alert_notifications')
    .select((eb) => eb.fn.min('next_attempt_at').as('due'))
    .where('sent_at', 'is', null)
    .where('failed_at', 'is', null)
    .executeTakeFirst();
  return (row?.due as Date | null | undefined) ?? null;
}

export async function markNotificationSent(db: Db, id: string): Promise<void> {
  await db
    .updateTable('alert_notifications')
    .set({ sent_at: new Date(), locked_until: null, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** A failed send: try again at `retryAt`, or give up (null) once the schedule is spent. */
export async function markNotificationFailed(db: Db, id: string, error: string, retryAt: Date | null): Promise<void> {
  await db
    .updateTable('alert_notifications')
    .set(
      retryAt
        ? { next_attempt_at: retryAt, locked_until: null, last_error: error }
        : { failed_at: new Date(), locked_until: null, last_error: error },
    )
    .where('id', '=', id)
    .execute();
}
