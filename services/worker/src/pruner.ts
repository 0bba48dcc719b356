import { type Db, pruneOlderThan } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';

const BATCH = 1000;

/** Deletes what is older than HOOKLINE_RETENTION, on a timer, in small batches. */
export class Pruner {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly deps: { db: Db; log: FastifyBaseLogger; retentionMs: number; intervalMs: number }) {}

  start(): void {
    const tick = () => {
      this.#running = this.prune()
        .then((n) => {
          if (n > 0) this.deps.log.info({ deleted: n }, 'pruned data past retention');
        })
        .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'pruning failed; will try again'))
        .finally(() => {
          this.#running = undefined;
          this.#timer = setTimeout(tick, this.deps.intervalMs);
          this.#timer.unref();
        });
    };
    this.#timer = setTimeout(tick, 0);
    this.#timer.unref();
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

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#running;
    clearTimeout(this.#timer);
  }
}
