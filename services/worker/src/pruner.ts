import { type Db, pruneOlderThan } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';
import { Periodic } from './periodic.ts';

const BATCH = 1000;

/** Deletes what is older than HOOKLINE_RETENTION, on a timer, in small batches. */
export class Pruner {
  readonly #periodic: Periodic;

  /** `onPruned`: rows were deleted (table upkeep then vacuums the tables they were in). */
  constructor(private readonly deps: { db: Db; log: FastifyBaseLogger; retentionMs: number; intervalMs: number; onPruned?: () => void }) {
    this.#periodic = new Periodic(
      'pruning',
      async () => {
        const n = await this.prune();
        if (n > 0) {
          deps.log.info({ deleted: n }, 'pruned data past retention');
          deps.onPruned?.();
        }
      },
      deps,
    );
  }

  start(): void {
    this.#periodic.start();
  }

  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  /** Prunes until nothing past retention is left; returns how many rows went. */
  async prune(): Promise<number> {
    const cutoff = new Date(Date.now() - this.deps.retentionMs);
    let total = 0;
    for (;;) {
      const n = await pruneOlderThan(this.deps.db, cutoff, BATCH);
      total += n;
      if (n === 0) return total;
    }
  }
}
