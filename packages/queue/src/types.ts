/**
 * The queue only schedules: a job names a delivery and when it is due, nothing more.
 * The database is the truth about every delivery, so a lost job (Redis flushed, process
 * killed) costs a little latency until the sweeper re-enqueues it, never an event.
 */
export interface DeliveryJob {
  deliveryId: string;
  runAt: Date;
  /**
   * Set by the sweeper when an attempt's lease lapsed (its worker died mid-attempt). The
   * dead worker's job may still sit in the queue as active until the backend notices, so
   * the recovery job needs an id of its own.
   */
  lapsedLease?: Date | null;
}

/** Handles a batch of deliveries that came due together (one attempt each). */
export type DeliveryHandler = (deliveryIds: readonly string[]) => Promise<void>;

/** Most deliveries one handler call (one BullMQ job) carries. */
export const MAX_JOB_BATCH = 100;

export interface DeliveryQueue {
  readonly kind: 'memory' | 'bullmq';
  /**
   * Idempotent per (delivery, runAt): enqueueing the same pair twice schedules one job.
   * Rejects when the backend is unreachable; callers may ignore that, the sweeper covers it.
   */
  enqueue(jobs: readonly DeliveryJob[]): Promise<void>;
  /** Starts handing due deliveries to `handler` in batches, at most `concurrency` batches at once. */
  consume(handler: DeliveryHandler, concurrency: number): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function jobId(job: DeliveryJob): string {
  const base = `${job.deliveryId}-${job.runAt.getTime()}`;
  return job.lapsedLease ? `${base}-r${job.lapsedLease.getTime()}` : base;
}

/**
 * Enqueues without failing the caller. The deliveries are already in the database, and the
 * sweeper enqueues any due delivery no job carries, so a failed enqueue (Redis down) only
 * costs latency: it is logged, never thrown.
 */
export function enqueueOrLeaveToSweeper(
  queue: DeliveryQueue,
  jobs: readonly DeliveryJob[],
  log: { warn(details: object, message: string): void },
): Promise<void> {
  return queue.enqueue(jobs).catch((err) => {
    log.warn({ err: (err as Error).message, deliveries: jobs.length }, 'enqueue failed; the sweeper will pick the deliveries up');
  });
}
