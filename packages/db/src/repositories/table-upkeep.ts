import { sql } from 'kysely';
import type { Db } from '../database.ts';

/** The tables every accepted webhook writes to, or updates, at a rate. */
export const HOT_TABLES = ['requests', 'events', 'deliveries', 'attempts', 'stream_entries'] as const;

export interface UpkeepDone {
  analyzed: string[];
  vacuumed: string[];
}

/**
 * Which hot tables to vacuum: `all` (embedded PGlite, where no autovacuum ever runs), those
 * `unattended` by autovacuum (PostgreSQL with `autovacuum = off`, on the server or the
 * table), or `none`.
 */
export type VacuumScope = 'all' | 'unattended' | 'none';

/**
 * Keeps the hot tables' planner statistics, and their dead rows where autovacuum does not, in hand.
 *
 * - ANALYZE a table once it has doubled since it was last analyzed. PostgreSQL's autovacuum
 *   looks at a database once a minute and waits for 10 % of a table to change: a new
 *   install taking a burst plans its statements (prepared, see database.ts) against tables
 *   it believes nearly empty, and scans them whole as they grow. Doubling keeps analyses
 *   rare (about 20 over a table's first million rows).
 * - VACUUM where nothing else does: PGlite runs PostgreSQL in single-user mode, where no
 *   autovacuum runs at all, and a PostgreSQL server may have it turned off. A delivery is
 *   written three times (created, leased, done): without vacuum its dead versions, and
 *   their index entries, pile up for ever and every claim walks them. Vacuum skips the
 *   pages it has already seen clean, so a run costs about what was written since the last.
 */
export async function upkeepTables(db: Db, options: { vacuum: VacuumScope }): Promise<UpkeepDone> {
  const { rows } = await sql<{ table: string; pages: number; analyzed_pages: number; autovacuumed: boolean }>`
    select c.relname as table, (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages, c.relpages as analyzed_pages,
      current_setting('autovacuum')::bool
        and coalesce((select o.option_value from pg_options_to_table(c.reloptions) o where o.option_name = 'autovacuum_enabled'), 'on')::bool
        as autovacuumed
    from pg_class c
    where c.relnamespace = current_schema()::regnamespace and c.relkind = 'r' and c.relname = any(${sql.raw(`array['${HOT_TABLES.join("','")}']`)})
    order by c.relname`.execute(db);
  const done: UpkeepDone = { analyzed: [], vacuumed: [] };
  for (const { table, pages, analyzed_pages, autovacuumed } of rows) {
    const grown = pages > 2 * analyzed_pages + 8;
    if (options.vacuum === 'all' || (options.vacuum === 'unattended' && !autovacuumed)) {
      await sql`vacuum ${grown ? sql`(analyze) ` : sql``}${sql.table(table)}`.execute(db);
      done.vacuumed.push(table);
      if (grown) done.analyzed.push(table);
    } else if (grown) {
      await sql`analyze ${sql.table(table)}`.execute(db);
      done.analyzed.push(table);
    }
  }
  return done;
}
