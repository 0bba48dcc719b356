import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { waitsForItsObject } from './object-order.ts';

/**
 * The delivery backlog for the metrics gauges, in one statement that reads only pending and
 * failed rows: pending through the `deliveries_due` partial index, failed through
 * `deliveries_failed`. Never a scan of the whole table, which keeps every delivered row
 * until retention. Ages are measured by the database's clock. The lag leaves out deliveries
 * waiting for their object (ordering per object): they are not due until the one before them
 * is done, and a failing object would otherwise look like stalled workers.
 */
export async function readDeliveryBacklog(db: Db) {
  const { rows } = await sql<{ pending: number; failed: number; oldest_age: number | null; lag: number | null }>`
    select p.pending, p.oldest_age, p.lag,
      (select count(*)::int from deliveries where status = 'failed') as failed
    from (
      select count(*)::int as pending,
        extract(epoch from now() - min(created_at))::float8 as oldest_age,
        extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now() and not ${waitsForItsObject('deliveries')}))::float8 as lag
      from deliveries where status = 'pending'
    ) p`.execute(db);
  const row = rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    failed: Number(row?.failed ?? 0),
    oldestPendingAgeSeconds: Math.max(0, Number(row?.oldest_age ?? 0)),
    queueLagSeconds: Math.max(0, Number(row?.lag ?? 0)),
  };
}
