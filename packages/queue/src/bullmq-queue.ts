import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type DeliveryHandler, type DeliveryJob, type DeliveryQueue, jobId, MAX_JOB_BATCH } from './types.ts';

const QUEUE_NAME = 'deliveries';

export interface BullMqOptions {
  redisUrl: string;
  prefix: string;
  onError?: (err: Error) => void;
}

/**
 * BullMQ on Redis for scale mode. Producers fail fast (no offline queue: an enqueue while
 * Redis is down rejects at once and the sweeper re-enqueues later); the worker's
 * connection retries forever (`maxRetriesPerRequest: null`), as BullMQ requires.
 */
export class BullMqQueue implements DeliveryQueue {
  readonly kind = 'bullmq' as const;
  readonly #options: BullMqOptions;
  readonly #producer: Redis;
  readonly #queue: Queue;
  #worker: Worker | undefined;
  #workerConnection: Redis | undefined;

  constructor(options: BullMqOptions) {
    this.#options = options;
    this.#producer = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.#producer.on('error', (err) => options.onError?.(err));
    this.#queue = new Queue(QUEUE_NAME, { connection: this.#producer, prefix: options.prefix });
    this.#queue.on('error', (err) => options.onError?.(err));
  }

  #buffered: { jobs: DeliveryJob[]; settle: { resolve: () => void; reject: (e: unknown) => void }[] } | undefined;

  /**
   * Enqueues made in one turn of the event loop go to Redis as one addBulk: at
   * ingest every request enqueues its own deliveries, and one round trip per request would
   * cap throughput. Each caller's promise settles with the shared write.
   */
  enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (!this.#buffered) {
        this.#buffered = { jobs: [], settle: [] };
        setImmediate(() => this.#flush());
      }
      this.#buffered.jobs.push(...jobs);
      this.#buffered.settle.push({ resolve, reject });
    });
  }

  #flush(): Promise<void> {
    const batch = this.#buffered;
    this.#buffered = undefined;
    if (!batch) return Promise.resolve();
    const jobs = toBullJobs(batch.jobs, Date.now());
    // One job (what a lightly loaded relay flushes) goes as one script call: addBulk builds an
    // ioredis pipeline, whose constructor copies every script BullMQ defines onto it, and
    // that cost about a tenth of the relay's CPU at 200 requests a second.
    const [only] = jobs;
    const added = jobs.length === 1 && only ? this.#queue.add(only.name, only.data, only.opts) : this.#queue.addBulk(jobs);
    return added.then(
      () => {
        for (const s of batch.settle) s.resolve();
      },
      (err) => {
        for (const s of batch.settle) s.reject(err);
      },
    );
  }

  consume(handler: DeliveryHandler, concurrency: number): void {
    const connection = new Redis(this.#options.redisUrl, { maxRetriesPerRequest: null });
    this.#workerConnection = connection;
    connection.on('error', (err) => this.#options.onError?.(err));
    this.#worker = new Worker(
      QUEUE_NAME,
      async (job) => {
        // `deliveryId` is the one-delivery job of earlier versions, still in Redis after an upgrade.
        const data = job.data as { deliveryIds?: string[]; deliveryId?: string };
        await handler(data.deliveryIds ?? (data.deliveryId ? [data.deliveryId] : []));
      },
      {
        connection,
        prefix: this.#options.prefix,
        concurrency,
        // A job taken by a worker that then died stays "active" until its lock expires and
        // the stall check hands it back. The lock is renewed every 5 s while the job runs,
        // so a short lock only shortens recovery after a crash (BullMQ's default is 30 s).
        lockDuration: 10_000,
        stalledInterval: 5_000,
      },
    );
    this.#worker.on('error', (err) => this.#options.onError?.(err));
  }

  async ping(): Promise<void> {
    await this.#producer.ping();
  }

  async close(): Promise<void> {
    // Jobs still buffered go out first (if Redis is gone, the sweeper has them anyway).
    await this.#flush();
    // Waits for jobs in flight, so a SIGTERM never abandons an attempt half-recorded.
    await this.#worker?.close();
    this.#workerConnection?.disconnect();
    await this.#queue.close();
    this.#producer.disconnect();
  }
}

/**
 * One BullMQ job per batch of deliveries due now (up to MAX_JOB_BATCH), so Redis work is
 * per batch, not per event. A later delivery (a retry) gets its own delayed job, with an id
 * per (delivery, due time) so a re-offered one is not scheduled twice.
 */
function toBullJobs(jobs: readonly DeliveryJob[], now: number) {
  const dueNow = jobs.filter((j) => j.runAt.getTime() <= now);
  const later = jobs.filter((j) => j.runAt.getTime() > now);
  const options = { removeOnComplete: true, removeOnFail: true };
  const out = [];
  for (let i = 0; i < dueNow.length; i += MAX_JOB_BATCH) {
    const chunk = dueNow.slice(i, i + MAX_JOB_BATCH);
    const id = chunk.length === 1 ? jobId(chunk[0] as DeliveryJob) : `batch-${jobId(chunk[0] as DeliveryJob)}-${chunk.length}`;
    out.push({ name: 'deliver', data: { deliveryIds: chunk.map((j) => j.deliveryId) }, opts: { ...options, jobId: id } });
  }
  for (const job of later) {
    out.push({
      name: 'deliver',
      data: { deliveryIds: [job.deliveryId] },
      opts: { ...options, jobId: jobId(job), delay: job.runAt.getTime() - now },
    });
  }
  return out;
}
