import { type IdKind, idTimeBound } from '@hookline/core';
import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { pruneStats } from './stats.ts';

/** Tables pruned by id: their ids are time-sorted, so the primary key finds old rows. */
const BY_ID: [table: 'events' | 'deliveries' | 'requests' | 'attempts', kind: IdKind][] = [
  ['events', 'event'],
  // A delivery left without its event (made by a replay while the pruner took the event) has
  // no event to take it along; its own age does.
  ['deliveries', 'delivery'],
  ['requests', 'request'],
  ['attempts', 'attempt'],
];

/**
 * Deletes up to `batch` rows older than `cutoff` from each table that grows with traffic
 * (events take their deliveries with them; resolved alerts their notifications). Small batches keep each statement short, so
 * pruning never holds locks that ingest waits on. Deleting requests and events lowers their
 * tenants' stored bytes (`tenant_usage`) by trigger, in the same statement.
 *
 * Stream entries have no time index: each pass records the newest sequence number as a
 * checkpoint, and entries up to the newest checkpoint older than the cutoff are deleted.
 */
export async function pruneOlderThan(db: Db, cutoff: Date, batch: number): Promise<number> {
  let deleted = 0;
  const count = (result: { numAffectedRows?: bigint }) => Number(result.numAffectedRows ?? 0);
  for (const [table, kind] of BY_ID) {
    const bound = idTimeBound(kind, cutoff);
    const oldest = sql`select id from ${sql.table(table)} where id < ${bound} order by id limit ${batch}`;
    if (table === 'events') {
      // Events take their deliveries with them (no foreign key does it: migration 0019).
      const { rows } = await sql<{ n: number }>`with gone as (delete from events where id in (${oldest}) returning id),
        along as (delete from deliveries where event_id in (select id from gone))
        select count(*)::int as n from gone`.execute(db);
      deleted += rows[0]?.n ?? 0;
    } else deleted += count(await sql`delete from ${sql.table(table)} where id in (${oldest})`.execute(db));
  }
  // Alerts: resolved ones (their notifications go with them), and notifications done with.
  const alertBound = idTimeBound('alert', cutoff);
  deleted += count(
    await sql`delete from alerts where id in (select id from alerts where id < ${alertBound} and status = 'resolved' order by id limit ${batch})`.execute(
      db,
    ),
  );
  const notificationBound = idTimeBound('alertNotification', cutoff);
  deleted += count(
    await sql`delete from alert_notifications where id in (
      select id from alert_notifications
      where id < ${notificationBound} and (sent_at is not null or failed_at is not null) order by id limit ${batch})`.execute(db),
  );
  // Stats rollups are kept as long as what they count: a chart never outlives its rows.
  deleted += await pruneStats(db, cutoff, batch);
  deleted += count(
    await sql`delete from rate_limited_counts where ctid in (select ctid from rate_limited_counts where minute < ${cutoff} limit ${batch})`.execute(
      db,
    ),
  );
  await sql`insert into stream_checkpoints (at, seq) select now(), coalesce(max(seq), 0) from stream_entries on conflict do nothing`.execute(
    db,
  );
  const upTo = await sql<{ seq: string }>`select max(seq)::text as seq from stream_checkpoints where at < ${cutoff}`.execute(db);
  const seq = upTo.rows[0]?.seq;
  if (seq) {
    deleted += count(
      await sql`delete from stream_entries where seq in (select seq from stream_entries where seq <= ${seq}::bigint order by seq limit ${batch})`.execute(
        db,
      ),
    );
    await sql`delete from stream_checkpoints where at < ${cutoff} and seq < ${seq}::bigint`.execute(db);
  }
  await db.deleteFrom('sessions').where('expires_at', '<', new Date()).execute();
  return deleted;
}
