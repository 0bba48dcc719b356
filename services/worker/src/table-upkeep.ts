import { checkpointIfDue, type Db, upkeepTables, type VacuumScope } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';
import { Periodic } from './periodic.ts';

/** On PostgreSQL, how often the tables' sizes are checked (a read of five pg_class rows). */
const CHECK_MS = 10_000;
/**
 * How often the hot tables are vacuumed where nothing else does it: on PGlite, every run
 * holds the embedded database, whose one thread also serves ingest, for its length.
 */
const VACUUM_MS = 60_000;
/**
 * Every how many vacuums of deliveries also clear their dead index entries: the others prune
 * the heap only (a few milliseconds). The index pass reads every index whole, so its length
 * grows with history (at 1,000,000 deliveries on PGlite 270 ms, all of it holding ingest),
 * where the heap's part follows only what changed since the last run.
 */
const INDEX_PASS_EVERY = 10;

/**
 * Planner statistics that follow young tables, and vacuum where nothing else does
 * (embedded PGlite has no autovacuum; a PostgreSQL server may have it turned off): see
 * upkeepTables. On PGlite also the checkpoints its missing checkpointer would take
 * (checkpointIfDue), once a minute at most. One worker process doing it is enough, but
 * several do no harm (an ANALYZE or VACUUM twice costs little).
 */
export class TableUpkeep {
  readonly #periodic: Periodic;
  #runs = 0;
  #warned = false;
  /** Retention deleted rows since the last vacuum: the append-only tables have space to reclaim. */
  #pruned = false;

  /** `embedded`: PGlite, where every run vacuums; otherwise PostgreSQL, vacuumed only where autovacuum is off. */
  constructor(deps: { db: Db; log: FastifyBaseLogger; embedded: boolean }) {
    this.#periodic = new Periodic(
      'table upkeep',
      async () => {
        this.#runs++;
        const { vacuum, indexPass } = upkeepRun(this.#runs, deps.embedded);
        // Taken before the run, so a prune meanwhile counts for the next one; given back if the run fails.
        const pruned = this.#pruned && vacuum !== 'none';
        if (pruned) this.#pruned = false;
        const started = performance.now();
        const done = await upkeepTables(deps.db, { vacuum, pruned, indexPass }).catch((err: unknown) => {
          if (pruned) this.#pruned = true;
          throw err;
        });
        if (!deps.embedded && done.vacuumed.length > 0 && !this.#warned) {
          this.#warned = true;
          deps.log.warn(
            { tables: done.vacuumed },
            'table upkeep: autovacuum is off for these tables, so Hookline vacuums them itself once a minute; turn it on (autovacuum = on) to leave it to PostgreSQL',
          );
        }
        if (done.analyzed.length > 0 || done.vacuumed.length > 0)
          deps.log.debug({ ...done, ms: Math.round(performance.now() - started) }, 'table upkeep');
        if (deps.embedded) {
          // PGlite has no checkpointer: without this its WAL grows for as long as the process runs.
          const checkpointStarted = performance.now();
          const checkpoint = await checkpointIfDue(deps.db);
          if (checkpoint.checkpointed)
            deps.log.debug({ ...checkpoint, ms: Math.round(performance.now() - checkpointStarted) }, 'table upkeep: checkpoint');
        }
      },
      { intervalMs: deps.embedded ? VACUUM_MS : CHECK_MS, log: deps.log, firstAfterMs: deps.embedded ? VACUUM_MS : CHECK_MS },
    );
  }

  /** Retention deleted rows (the Pruner, in this process): the next vacuum includes the append-only tables. */
  notePruned(): void {
    this.#pruned = true;
  }

  start(): void {
    this.#periodic.start();
  }

  stop(): Promise<void> {
    return this.#periodic.stop();
  }
}

/**
 * What the `run`-th upkeep run (from 1) does. Embedded: vacuum every run (VACUUM_MS apart).
 * PostgreSQL: the sizes are checked every CHECK_MS, and every VACUUM_MS of those runs also
 * vacuums what autovacuum leaves alone. Every INDEX_PASS_EVERY-th vacuum makes the index pass.
 */
export function upkeepRun(run: number, embedded: boolean): { vacuum: VacuumScope; indexPass: boolean } {
  const vacuums = embedded ? run : run / (VACUUM_MS / CHECK_MS);
  if (!Number.isInteger(vacuums)) return { vacuum: 'none', indexPass: false };
  return { vacuum: embedded ? 'all' : 'unattended', indexPass: vacuums % INDEX_PASS_EVERY === 0 };
}
