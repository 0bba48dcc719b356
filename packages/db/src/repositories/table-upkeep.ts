import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { STATISTICS_TARGET } from '../statistics-target.ts';

/** The tables every accepted webhook writes to, or updates, at a rate. */
export const HOT_TABLES = ['requests', 'events', 'deliveries', 'attempts', 'stream_entries'] as const;

export interface UpkeepDone {
  analyzed: string[];
  vacuumed: string[];
  /** Of those vacuumed, the ones whose indexes were left for a later pass (see `indexPass`). */
  heapOnly: string[];
}

/**
 * Which hot tables to vacuum: `all` (embedded PGlite, where no autovacuum ever runs), those
 * `unattended` by autovacuum (PostgreSQL with `autovacuum = off`, on the server or the
 * table), or `none`.
 */
export type VacuumScope = 'all' | 'unattended' | 'none';

export interface UpkeepOptions {
  vacuum: VacuumScope;
  /**
   * Rows were deleted from the append-only tables (retention) since the last run: their
   * space is reclaimed whatever the statistics say (PGlite keeps none).
   */
  pruned?: boolean;
  /** Transactions an append-only table's oldest unfrozen row may be before it is vacuumed (freezing it). */
  freezeAge?: number;
  /**
   * Whether the deliveries' vacuum also clears their dead index entries (a pass over every
   * index, whose length grows with history); without it, it prunes the heap only
   * (INDEX_CLEANUP OFF). Default true.
   */
  indexPass?: boolean;
}

/** The hot table whose rows are updated in place: every delivery is written three times (created, leased, done). */
const CHURNED = 'deliveries';
/**
 * Below PostgreSQL's own `vacuum_freeze_table_age` (150 million) and far below the 2 billion
 * where it would stop taking writes: on PGlite an append-only table is vacuumed for nothing
 * else unless retention prunes it.
 */
const FREEZE_AGE = 100_000_000;

/**
 * Keeps the hot tables' planner statistics, and their dead rows where autovacuum does not, in hand.
 *
 * - ANALYZE a table once it has doubled since it was last analyzed. PostgreSQL's autovacuum
 *   looks at a database once a minute and waits for 10 % of a table to change: a new
 *   install taking a burst plans its statements (prepared, see database.ts) against tables
 *   it believes nearly empty, and scans them whole as they grow. Doubling keeps analyses
 *   rare (about 20 over a table's first million rows).
 * - VACUUM where nothing else does: PGlite runs PostgreSQL in single-user mode, where no
 *   autovacuum runs at all, and a PostgreSQL server may have it turned off. Deliveries are
 *   vacuumed every run: without it their dead versions, and their index entries, pile up for
 *   ever and every claim walks them. The append-only tables (requests, events, attempts,
 *   stream entries) have nothing to reclaim until retention deletes from them, and a vacuum
 *   reads every page written since the last (and the whole of the events' GIN index): on
 *   PGlite, whose one thread also serves ingest, vacuuming them every minute held every
 *   request for up to half a second a table. So they are vacuumed after pruning, for
 *   freezing, and on PostgreSQL (where vacuum runs beside ingest, in a backend of its own)
 *   past autovacuum's default thresholds: dead rows over 50 + 20 % of the table, or rows
 *   inserted since its last vacuum over 1,000 + 20 %.
 */
export async function upkeepTables(db: Db, options: UpkeepOptions): Promise<UpkeepDone> {
  const freezeAge = options.freezeAge ?? FREEZE_AGE;
  const { rows } = await sql<{
    table: string;
    pages: number;
    analyzed_pages: number;
    autovacuumed: boolean;
    xid_age: number;
    rows: number;
    dead: number;
    inserted: number;
  }>`
    select c.relname as table, (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages, c.relpages as analyzed_pages,
      current_setting('autovacuum')::bool
        and coalesce((select o.option_value from pg_options_to_table(c.reloptions) o where o.option_name = 'autovacuum_enabled'), 'on')::bool
        as autovacuumed,
      age(c.relfrozenxid)::int as xid_age, greatest(c.reltuples, 0)::float8 as rows,
      coalesce(s.n_dead_tup, 0)::float8 as dead, coalesce(s.n_ins_since_vacuum, 0)::float8 as inserted
    from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
    where c.relnamespace = current_schema()::regnamespace and c.relkind = 'r' and c.relname = any(${sql.raw(`array['${HOT_TABLES.join("','")}']`)})
    order by c.relname`.execute(db);
  const done: UpkeepDone = { analyzed: [], vacuumed: [], heapOnly: [] };
  for (const row of rows) {
    const { table, pages, analyzed_pages, autovacuumed } = row;
    const grown = pages > 2 * analyzed_pages + 8;
    const unattended = options.vacuum === 'all' || (options.vacuum === 'unattended' && !autovacuumed);
    const due =
      table === CHURNED ||
      options.pruned === true ||
      row.xid_age > freezeAge ||
      // PostgreSQL's statistics (PGlite's stay at zero, and it is never vacuumed for them).
      (options.vacuum === 'unattended' && (row.dead > 50 + 0.2 * row.rows || row.inserted > 1000 + 0.2 * row.rows));
    if (unattended && due) {
      const heapOnly = table === CHURNED && options.indexPass === false && options.pruned !== true && row.xid_age <= freezeAge;
      await sql`vacuum ${heapOnly ? sql`(index_cleanup off) ` : sql``}${sql.table(table)}`.execute(db);
      done.vacuumed.push(table);
      if (heapOnly) done.heapOnly.push(table);
    }
    if (grown) {
      await analyze(db, table);
      done.analyzed.push(table);
    }
  }
  return done;
}

/**
 * ANALYZE one table with Hookline's statistics target (a transaction, for SET LOCAL): on
 * PostgreSQL the server's own stays in force for autovacuum and manual analyses.
 */
async function analyze(db: Db, table: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`set local default_statistics_target = ${sql.lit(STATISTICS_TARGET)}`.execute(trx);
    await sql`analyze ${sql.table(table)}`.execute(trx);
  });
}

export interface CheckpointLimits {
  /** WAL written since the last checkpoint that calls for one (default: half of max_wal_size). */
  maxWalBytes?: number;
  /** Age of the last checkpoint that calls for one, if anything was written since (default: checkpoint_timeout). */
  maxAgeMs?: number;
}

export interface CheckpointDone {
  checkpointed: boolean;
  /** WAL written since the last checkpoint, before this one. */
  walBytes: number;
  ageMs: number;
}

/**
 * Less WAL than this since the last checkpoint is a checkpoint's own record and an idle
 * database's background writes: no reason for another.
 */
const IDLE_WAL_BYTES = 1024 * 1024;

/** Since the last checkpoint, and the settings that would call for the next. */
interface CheckpointState {
  wal_bytes: number;
  age_ms: number;
  max_wal_bytes: number;
  timeout_ms: number;
}

/**
 * Embedded PGlite only: takes a checkpoint when PostgreSQL's checkpointer would have.
 * PGlite runs PostgreSQL single-user, where no checkpointer runs and nothing ever asks
 * for a checkpoint until the database closes, so its WAL grew without bound while the
 * process ran (2.2 GB after 2,000,000 rows of 1 kB, with max_wal_size at 1 GB) and a
 * restart after a crash replayed all of it (7.6 s for 1.1 GB). A checkpoint lets PostgreSQL
 * recycle the segments before it, as the server does at max_wal_size / (1 + 0.9) or every
 * checkpoint_timeout. It holds PGlite's one thread while it flushes what is dirty (at most
 * its 16 MB of shared buffers): 4 to 235 ms measured, so it comes at the same points, not
 * more often. A PostgreSQL server checkpoints by itself: never call this there.
 */
export async function checkpointIfDue(db: Db, limits: CheckpointLimits = {}): Promise<CheckpointDone> {
  const { rows } = await sql<CheckpointState>`
    select pg_wal_lsn_diff(pg_current_wal_lsn(), c.redo_lsn)::float8 as wal_bytes,
      (extract(epoch from now() - c.checkpoint_time) * 1000)::float8 as age_ms,
      (pg_size_bytes(current_setting('max_wal_size')) / 2)::float8 as max_wal_bytes,
      (extract(epoch from current_setting('checkpoint_timeout')::interval) * 1000)::float8 as timeout_ms
    from pg_control_checkpoint() c`.execute(db);
  const row = rows[0] as CheckpointState;
  const walBytes = Number(row.wal_bytes);
  const ageMs = Number(row.age_ms);
  const due =
    walBytes >= (limits.maxWalBytes ?? Number(row.max_wal_bytes)) ||
    (walBytes >= IDLE_WAL_BYTES && ageMs >= (limits.maxAgeMs ?? Number(row.timeout_ms)));
  if (due) await sql`checkpoint`.execute(db);
  return { checkpointed: due, walBytes, ageMs };
}
