import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimReplayJob, countStillDue, type Db, failReplayJob, type ReplayJob, releaseReplayJob, replayNextChunk } from '@hookline/db';
import { type DeliveryQueue, enqueueOrLeaveToSweeper } from '@hookline/queue';
import type { FastifyBaseLogger } from 'fastify';
import { Periodic } from './periodic.ts';

export interface ReplayRunnerDeps {
  db: Db;
  queue: DeliveryQueue;
  log: FastifyBaseLogger;
  /** How often an idle runner looks for a job (HOOKLINE_REPLAY_POLL_INTERVAL). */
  pollIntervalMs: number;
  /** Deliveries per chunk, each chunk one transaction (HOOKLINE_REPLAY_CHUNK). */
  chunkSize: number;
  /** A pause between chunks that spares the database during a large replay (HOOKLINE_REPLAY_CHUNK_PAUSE). */
  chunkPauseMs: number;
  /** HOOKLINE_REPLAY_LEASE: how long a job stays this runner's without a chunk committing; a dead runner's job waits this long. */
  leaseMs?: number;
  /** How long a runner keeps one job before letting other jobs (other tenants) take a turn. */
  sliceMs?: number;
}

/** Errors in a row after which a job is marked failed rather than tried forever. */
const MAX_FAILURES = 5;
/** Longest a job waits for its last chunk to be attempted before making the next one due anyway. */
const MAX_PACING_WAIT_MS = 10_000;

/**
 * Works through replay jobs (packages/db replay-jobs.ts) in the worker role: leases one job,
 * redelivers it chunk by chunk (each chunk and the cursor move commit together), hands the
 * redelivered deliveries to the queue, and gives the job back after a time slice so jobs
 * take turns. Any number of worker processes run one each; the lease keeps one per job.
 */
export class ReplayRunner {
  readonly #deps: ReplayRunnerDeps;
  readonly #periodic: Periodic;
  readonly #owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #leaseMs: number;
  readonly #sliceMs: number;
  #stopping = false;
  #lastChunk: { jobId: string; ids: string[] } | undefined;

  constructor(deps: ReplayRunnerDeps) {
    this.#deps = deps;
    this.#leaseMs = deps.leaseMs ?? 30_000;
    this.#sliceMs = deps.sliceMs ?? 2_000;
    this.#periodic = new Periodic('replay', () => this.runUntilIdle(), { intervalMs: deps.pollIntervalMs, log: deps.log });
  }

  start(): void {
    this.#periodic.start();
  }

  /** Stops after the chunk in flight; the job's lease lapses and another worker resumes it. */
  stop(): Promise<void> {
    this.#stopping = true;
    return this.#periodic.stop();
  }

  /** Runs jobs until none is waiting. */
  async runUntilIdle(): Promise<void> {
    while (!this.#stopping) {
      const job = await claimReplayJob(this.#deps.db, this.#owner, this.#leaseMs);
      if (!job) return;
      await this.#work(job);
    }
  }

  async #work(job: ReplayJob): Promise<void> {
    const { db, queue, log } = this.#deps;
    const sliceEnds = Date.now() + this.#sliceMs;
    let failures = 0;
    // A job back for another slice paces on the chunk it made due last time.
    let previous = this.#lastChunk?.jobId === job.id ? this.#lastChunk.ids : [];
    while (!this.#stopping) {
      await this.#pace(previous);
      let chunk: Awaited<ReturnType<typeof replayNextChunk>>;
      try {
        chunk = await replayNextChunk(db, job.id, this.#owner, { size: this.#deps.chunkSize, leaseMs: this.#leaseMs });
      } catch (err) {
        const message = (err as Error).message;
        log.warn({ replay: job.id, err: message }, 'replay chunk failed; will try again');
        if (++failures >= MAX_FAILURES) {
          await failReplayJob(db, job.id, this.#owner, message);
          return;
        }
        await sleep(Math.min(5_000, 200 * 2 ** failures));
        continue;
      }
      if (!chunk) return; // cancelled, or no longer ours
      failures = 0;
      previous = chunk.redelivered.map((d) => d.id);
      this.#lastChunk = { jobId: job.id, ids: previous };
      const due = chunk.redelivered.map((d) => ({ deliveryId: d.id, runAt: d.next_attempt_at ?? new Date() }));
      await enqueueOrLeaveToSweeper(queue, due, log);
      if (chunk.job.status !== 'running') {
        log.info({ replay: job.id, done: chunk.job.done }, 'replay finished');
        return;
      }
      if (Date.now() >= sliceEnds) break;
      if (this.#deps.chunkPauseMs > 0) await sleep(this.#deps.chunkPauseMs);
    }
    await releaseReplayJob(db, job.id, this.#owner);
  }

  /**
   * Waits until most of the previous chunk has been attempted: a replay runs at the pace the
   * workers deliver (and a capped destination allows), so a million-delivery replay never
   * piles a million jobs into the queue, and its progress is what was sent.
   */
  async #pace(previous: string[]): Promise<void> {
    const until = Date.now() + MAX_PACING_WAIT_MS;
    while (!this.#stopping && previous.length > 0 && Date.now() < until) {
      if ((await countStillDue(this.#deps.db, previous)) <= previous.length / 2) return;
      await sleep(Math.max(50, this.#deps.chunkPauseMs));
    }
  }
}
