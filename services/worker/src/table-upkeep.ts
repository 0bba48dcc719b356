import { type Db, upkeepTables } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';
import { Periodic } from './periodic.ts';

/** How often the tables' sizes are checked (a read of five pg_class rows). */
const CHECK_MS = 10_000;
/** On PGlite, how often the hot tables are vacuumed (it blocks the embedded database while it runs). */
const VACUUM_MS = 60_000;

/**
 * Planner statistics that follow young tables, and vacuum where nothing else does
 * (embedded PGlite has no autovacuum): see upkeepTables. One worker process doing it is
 * enough, but several do no harm (an ANALYZE or VACUUM twice costs little).
 */
export class TableUpkeep {
  readonly #periodic: Periodic;
  #lastVacuum = Date.now();

  constructor(deps: { db: Db; log: FastifyBaseLogger; vacuum: boolean }) {
    this.#periodic = new Periodic(
      'table upkeep',
      async () => {
        const vacuum = deps.vacuum && Date.now() - this.#lastVacuum >= VACUUM_MS;
        const done = await upkeepTables(deps.db, { vacuum });
        if (vacuum) this.#lastVacuum = Date.now();
        if (done.analyzed.length > 0 || done.vacuumed.length > 0) deps.log.debug(done, 'table upkeep');
      },
      { intervalMs: CHECK_MS, log: deps.log },
    );
  }

  start(): void {
    this.#periodic.start();
  }

  stop(): Promise<void> {
    return this.#periodic.stop();
  }
}
