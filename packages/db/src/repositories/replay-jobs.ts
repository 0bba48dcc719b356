import { idTimeBound, newId, parseEventQuery } from '@hookline/core';
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../database.ts';
import type { ReplayJob, ReplaySelection } from '../tables.ts';
import { redeliverDeliveries } from './deliveries.ts';
import { eventSearchCondition } from './events.ts';
import { type Page, pageByIdDesc } from './pagination.ts';

/**
 * Bulk replay (issue 13 item 4), the one way to redeliver many deliveries: a caller stores a
 * job with createReplayJob and a worker's ReplayRunner works through it chunk by chunk
 * (claimReplayJob, replayNextChunk). Everything here filters by tenant.
 */

/** Left alone unless a selection names it: held by a person, the breaker or an earlier event of the same object. */
const HELD = 'held';

/**
 * Delivery ids sort by creation time, and no delivery is made before its event arrives: a
 * lower bound on received_at also bounds the ids (with a minute of slack for clocks), so a
 * time range walks only its part of the primary key. (No upper bound: a delivery can be
 * made later for an older event.)
 */
const ID_SLACK_MS = 60_000;

function likePrefix(glob: string): string {
  return `${glob.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The selection as one condition over `deliveries d join events e`. */
function selects(tenantId: string, s: ReplaySelection): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`d.tenant_id = ${tenantId}`];
  if (s.destination_id) parts.push(sql`d.destination_id = ${s.destination_id}`);
  if (s.source_id) parts.push(sql`e.source_id = ${s.source_id}`);
  if (s.types?.length) {
    const exact = s.types.filter((t) => !t.endsWith('*'));
    const globs = s.types.filter((t) => t.endsWith('*')).map((t) => sql`e.type like ${likePrefix(t)}`);
    const any = [...(exact.length ? [sql`e.type in (${sql.join(exact)})`] : []), ...globs];
    parts.push(sql`(${sql.join(any, sql` or `)})`);
  }
  if (s.status?.length) parts.push(sql`d.status in (${sql.join(s.status)})`);
  else parts.push(sql`d.status <> ${HELD}`);
  if (s.since) {
    const since = new Date(s.since);
    parts.push(sql`e.received_at >= ${since}`, sql`d.id >= ${idTimeBound('delivery', new Date(since.getTime() - ID_SLACK_MS))}`);
  }
  if (s.until) parts.push(sql`e.received_at < ${new Date(s.until)}`);
  if (s.event_ids) parts.push(s.event_ids.length ? sql`d.event_id in (${sql.join(s.event_ids)})` : sql`false`);
  // Checked when the job was made (the API's checkSelection), so it parses here.
  const terms = s.q ? parseEventQuery(s.q) : [];
  if (terms.length) parts.push(eventSearchCondition(terms, 'e'));
  return sql<boolean>`${sql.join(parts, sql` and `)}`;
}

/** How many deliveries the selection picks now: the preview count before a replay. */
export async function countReplaySelection(db: Db, tenantId: string, selection: ReplaySelection): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from deliveries d join events e on e.id = d.event_id
    where ${selects(tenantId, selection)}`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * Stores a replay job over what the selection picks now (deliveries made later are not its
 * own) and counts them; a worker starts on it within HOOKLINE_REPLAY_POLL_INTERVAL. A
 * selection that picks nothing is finished at once. The caller checks that ids it names
 * (source, destination) are the tenant's.
 */
export async function createReplayJob(db: Db, tenantId: string, selection: ReplaySelection): Promise<ReplayJob> {
  const upto = idTimeBound('delivery', new Date(Date.now() + 1));
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from deliveries d join events e on e.id = d.event_id
    where ${selects(tenantId, selection)} and d.id < ${upto}`.execute(db);
  const total = rows[0]?.n ?? 0;
  const now = new Date();
  return db
    .insertInto('replay_jobs')
    .values({
      id: newId('replay'),
      tenant_id: tenantId,
      filter: JSON.stringify(selection),
      status: total === 0 ? 'succeeded' : 'queued',
      total,
      upto,
      cursor: null,
      error: null,
      locked_by: null,
      locked_until: null,
      created_at: now,
      finished_at: total === 0 ? now : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function getReplayJob(db: Db, tenantId: string, id: string) {
  return db.selectFrom('replay_jobs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function listReplayJobs(db: Db, tenantId: string, page: Page) {
  const q = db.selectFrom('replay_jobs').selectAll().where('tenant_id', '=', tenantId);
  return pageByIdDesc(q, page);
}

/**
 * Cancels a job that has not finished; a chunk in flight commits first (it holds the row),
 * so the job stops between chunks. Returns undefined for a job already finished or unknown.
 */
export function cancelReplayJob(db: Db, tenantId: string, id: string) {
  const now = new Date();
  return db
    .updateTable('replay_jobs')
    .set({ status: 'cancelled', finished_at: now, updated_at: now, locked_by: null, locked_until: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

/**
 * Leases the unfinished job least recently advanced that no live runner holds (a runner
 * that died leaves a lease that lapses), so several workers share the jobs, one runner per
 * job, and tenants take turns.
 */
export async function claimReplayJob(db: Db, owner: string, leaseMs: number): Promise<ReplayJob | undefined> {
  const { rows } = await sql<ReplayJob>`
    update replay_jobs set status = 'running', locked_by = ${owner},
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}::float8), updated_at = now()
    where id = (
      select id from replay_jobs
      where status in ('queued', 'running') and (locked_until is null or locked_until < now())
      order by updated_at limit 1
      for update skip locked)
    returning *`.execute(db);
  return rows[0];
}

export interface ReplayChunk {
  /** The job after the chunk; status `succeeded` once nothing is left. */
  job: ReplayJob;
  /** Deliveries made due, for the queue (the sweeper covers any the queue misses). */
  redelivered: { id: string; next_attempt_at: Date | null }[];
}

/**
 * Redelivers the job's next `size` deliveries after its cursor and advances the cursor, in
 * one transaction: a process killed mid-chunk leaves neither, so its successor redoes the
 * chunk and nothing twice. Returns undefined when the job is no longer this runner's to
 * advance (cancelled, finished, or its lease taken over).
 */
export async function replayNextChunk(
  db: Db,
  jobId: string,
  owner: string,
  options: { size: number; leaseMs: number },
): Promise<ReplayChunk | undefined> {
  return db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('replay_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
    if (job?.status !== 'running' || job.locked_by !== owner) return undefined;
    const { rows } = await sql<{ id: string }>`
      select d.id from deliveries d join events e on e.id = d.event_id
      where ${selects(job.tenant_id, job.filter)} and d.id > ${job.cursor ?? ''} and d.id < ${job.upto}
      order by d.id limit ${options.size}`.execute(trx);
    const ids = rows.map((r) => r.id);
    const redelivered = await redeliverDeliveries(trx, job.tenant_id, ids);
    const finished = ids.length < options.size;
    const now = new Date();
    const updated = await trx
      .updateTable('replay_jobs')
      .set({
        cursor: ids.at(-1) ?? job.cursor,
        done: job.done + ids.length,
        status: finished ? 'succeeded' : 'running',
        finished_at: finished ? now : null,
        locked_by: finished ? null : owner,
        locked_until: finished ? null : new Date(now.getTime() + options.leaseMs),
        updated_at: now,
      })
      .where('id', '=', jobId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { job: updated, redelivered };
  });
}

/** Gives a job back between chunks so other jobs take a turn (its cursor stays). */
export async function releaseReplayJob(db: Db, jobId: string, owner: string): Promise<void> {
  await db
    .updateTable('replay_jobs')
    .set({ locked_by: null, locked_until: null })
    .where('id', '=', jobId)
    .where('locked_by', '=', owner)
    .execute();
}

/** Ends a job that cannot go on (its selection keeps failing), with the reason shown to the tenant. */
export async function failReplayJob(db: Db, jobId: string, owner: string, error: string): Promise<void> {
  const now = new Date();
  await db
    .updateTable('replay_jobs')
    .set({ status: 'failed', error, finished_at: now, updated_at: now, locked_by: null, locked_until: null })
    .where('id', '=', jobId)
    .where('locked_by', '=', owner)
    .where('status', '=', 'running')
    .execute();
}

export interface DeadLetterFilter {
  destinationId?: string | undefined;
  sourceId?: string | undefined;
  type?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

/** Dead letters are failed deliveries: the replay selection that picks them. */
export function deadLetterSelection(f: DeadLetterFilter): ReplaySelection {
  return {
    status: ['failed'],
    destination_id: f.destinationId,
    source_id: f.sourceId,
    types: f.type ? [f.type] : undefined,
    since: f.since?.toISOString(),
    until: f.until?.toISOString(),
  };
}

/** Deliveries that spent their retry schedule, newest first, with their last attempt's outcome. */
export function listDeadLetters(db: Db, tenantId: string, filter: DeadLetterFilter & Page) {
  const q = db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .leftJoin('attempts as a', (j) => j.onRef('a.delivery_id', '=', 'd.id').onRef('a.number', '=', 'd.attempt_count'))
    .select([
      'd.id',
      'd.event_id',
      'd.destination_id',
      'e.source_id',
      'e.type',
      'e.received_at',
      'd.attempt_count',
      'd.last_attempt_at',
      'a.status_code as last_status_code',
      'a.error as last_error',
    ])
    .where(selects(tenantId, deadLetterSelection(filter)));
  return pageByIdDesc(q, filter, 'd.id');
}

/** Dead letters counted per destination (the filter's destination aside), most first. */
export async function countDeadLettersByDestination(db: Db, tenantId: string, filter: DeadLetterFilter) {
  const { rows } = await sql<{ destination_id: string; url: string; count: number; newest: Date }>`
    select d.destination_id, dst.url, count(*)::int as count, max(e.received_at) as newest
    from deliveries d join events e on e.id = d.event_id join destinations dst on dst.id = d.destination_id
    where ${selects(tenantId, deadLetterSelection(filter))}
    group by d.destination_id, dst.url
    order by count desc, d.destination_id`.execute(db);
  return rows;
}
