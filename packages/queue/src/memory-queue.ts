import { type DeliveryHandler, type DeliveryJob, type DeliveryQueue, jobId, MAX_JOB_BATCH } from './types.ts';

/** The embedded queue: timers in this process. Lost on exit by design; the sweeper rebuilds it. */
export class MemoryQueue implements DeliveryQueue {
  readonly kind = 'memory' as const;
  readonly #scheduled = new Map<string, NodeJS.Timeout>();
  readonly #ready: string[] = [];
  #handler: DeliveryHandler | undefined;
  #concurrency = 1;
  #running = 0;
  #closed = false;
  readonly #idle = new Set<() => void>();

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    if (this.#closed) throw new Error('queue is closed');
    for (const job of jobs) {
      const id = jobId(job);
      if (this.#scheduled.has(id)) continue;
      const delay = Math.max(0, job.runAt.getTime() - Date.now());
      if (delay === 0) {
        this.#ready.push(job.deliveryId);
        continue;
      }
      const timer = setTimeout(() => {
        this.#scheduled.delete(id);
        this.#ready.push(job.deliveryId);
        this.#scheduleDrain();
      }, delay);
      timer.unref();
      this.#scheduled.set(id, timer);
    }
    this.#scheduleDrain();
  }

  #drainScheduled = false;

  /** Drains once per turn of the event loop, so deliveries that come due together go as one batch. */
  #scheduleDrain() {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  consume(handler: DeliveryHandler, concurrency: number): void {
    this.#handler = handler;
    this.#concurrency = concurrency;
    this.#drain();
  }

  #drain() {
    const handler = this.#handler;
    if (!handler || this.#closed) return;
    while (this.#running < this.#concurrency && this.#ready.length > 0) {
      const batch = this.#ready.splice(0, MAX_JOB_BATCH);
      this.#running++;
      handler(batch)
        .catch(() => {}) // the handler records its own failures; a throw must not stop the queue
        .finally(() => {
          this.#running--;
          if (this.#running === 0) for (const resolve of this.#idle) resolve();
          this.#drain();
        });
    }
  }

  async ping(): Promise<void> {
    if (this.#closed) throw new Error('queue is closed');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#scheduled.values()) clearTimeout(timer);
    this.#scheduled.clear();
    this.#ready.length = 0;
    if (this.#running > 0) await new Promise<void>((resolve) => this.#idle.add(resolve));
  }
}
