import { type Db, upkeepTables } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';
import { Periodic } from './periodic.ts';

/** On PostgreSQL, how often the tables' sizes are checked (a read of five pg_class rows). */
const CHECK_MS = 10_000;
/**
 * On PGlite, how often the hot tables are vacuumed (and analyzed, if grown): every run holds
 * the embedded database, whose one thread also serves ingest, for its length.
 */
const VACUUM_MS = 60_000;

/**
 * Planner statistics that follow young tables, and vacuum where nothing else does
 * (embedded PGlite has no autovacuum): see upkeepTables. One worker process doing it is
 * enough, but several do no harm (an ANALYZE or VACUUM twice costs little).
 */
export class TableUpkeep {
  readonly #periodic: Periodic;

  constructor(deps: { db: Db; log: FastifyBaseLogger; vacuum: boolean }) {
    this.#periodic = new Periodic(
      'table upkeep',
      async () => {
        const done = await upkeepTables(deps.db, { vacuum: deps.vacuum });
        if (done.analyzed.length > 0 || done.vacuumed.length > 0) deps.log.debug(done, 'table upkeep');
      },
      { intervalMs: deps.vacuum ? VACUUM_MS : CHECK_MS, log: deps.log, firstAfterMs: deps.vacuum ? VACUUM_MS : CHECK_MS },
    );
  }

  start(): void {
    this.#periodic.start();
  }

  stop(): Promise<void> {
    return this.#periodic.stop();
  }
}
