import { type BreakerSettings, type Db, listDueDeliveries } from '@hookline/db';
import type { DeliveryQueue } from '@hookline/queue';
import type { FastifyBaseLogger } from 'fastify';
import { Periodic } from './periodic.ts';

const BATCH = 500;

/**
 * Hands the queue every delivery that is due but that no job seems to carry: jobs lost
 * with Redis, with a killed process, or never enqueued because Redis was down at ingest.
 * Enqueueing is idempotent per (delivery, due time), so re-offering a queued job is harmless.
 */
export class Sweeper {
  readonly #periodic: Periodic;

  constructor(
    private readonly deps: { db: Db; queue: DeliveryQueue; log: FastifyBaseLogger; intervalMs: number; breaker: BreakerSettings },
  ) {
    this.#periodic = new Periodic('sweep', () => this.sweep().then(() => {}), deps);
  }

  start(): void {
    this.#periodic.start();
  }

  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  /** One pass; returns how many deliveries it handed to the queue. */
  async sweep(): Promise<number> {
    // Only deliveries overdue by a full interval: fresh ones are still on their way. Only as
    // many per destination as its cap has room for: a capped backlog waits in the database.
    const due = await listDueDeliveries(this.deps.db, this.deps.intervalMs, BATCH, this.deps.breaker);
    if (due.length === 0) return 0;
    await this.deps.queue.enqueue(due.map((d) => ({ deliveryId: d.id, runAt: d.next_attempt_at as Date, lapsedLease: d.locked_until })));
    this.deps.log.info({ count: due.length }, 'sweeper re-enqueued due deliveries');
    return due.length;
  }
}
