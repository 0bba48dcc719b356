import { GroupCommit, newId, type SecretBox, signStandardWebhook } from '@hookline/core';
import {
  type AttemptRecord,
  type ClaimedDelivery,
  claimDeliveries,
  type Db,
  type DeliveryStatus,
  holdDelivery,
  listNotYetDue,
  type NewAttempt,
  type RecordedDelivery,
  recordAttempts,
  releaseDeliveryLeases,
} from '@hookline/db';
import * as metrics from '@hookline/metrics';
import { type DeliveryQueue, enqueueOrLeaveToSweeper } from '@hookline/queue';
import type { TransformRunner } from '@hookline/rules';
import type { FastifyBaseLogger } from 'fastify';
import { DestinationRules } from './destination-rules.ts';
import type { AttemptResult, HttpAttempts } from './http-attempt.ts';
import { nextRetryDelay, parseRetryAfter } from './retry-policy.ts';

export interface DeliveryWorkerDeps {
  db: Db;
  queue: DeliveryQueue;
  secrets: SecretBox;
  http: HttpAttempts;
  /** Runs destinations' transforms (sandboxed). */
  transforms: TransformRunner;
  log: FastifyBaseLogger;
  retryScheduleMs: readonly number[];
  deliveryTimeoutMs: number;
  /** Attempts in flight at once in this process. */
  concurrency: number;
  /** Attempt records written at once, and such writes in flight (group commit). */
  recordBatch?: number;
  recordsInFlight?: number;
  now?: () => number;
  /** Told of every recorded attempt (the live stream listens here). */
  onAttempt?: (attempt: NewAttempt, delivery: RecordedDelivery) => void;
}

const USER_AGENT = 'Hookline-Webhooks/0.1';

/**
 * Makes one attempt for each delivery it is handed: claim the batch (one statement), sign,
 * POST (at most `concurrency` at once in this process), record (attempts finishing together
 * share one statement), schedule the next.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #now: () => number;
  readonly #slots: Slots;
  readonly #recorder: GroupCommit<AttemptRecord, RecordedDelivery | null>;
  readonly #rules: DestinationRules;
  /** Attempts started and deliveries handed over but not started yet, until settled. */
  readonly #inFlight = new Set<Promise<void>>();
  #closing = false;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
    this.#rules = new DestinationRules(deps.transforms);
    this.#now = deps.now ?? Date.now;
    this.#slots = new Slots(deps.concurrency);
    this.#recorder = new GroupCommit(
      async (records) => {
        const start = performance.now();
        const moved = new Map((await recordAttempts(deps.db, records)).map((d) => [d.id, d]));
        metrics.commitDuration.observe({ writer: 'attempts' }, metrics.secondsSince(start));
        metrics.commitBatchSize.observe({ writer: 'attempts' }, records.length);
        // A delivery deleted meanwhile (its source was) has nothing to move on.
        return records.map(({ attempt }) => moved.get(attempt.delivery_id) ?? null);
      },
      { maxBatch: deps.recordBatch ?? 200, maxInFlight: deps.recordsInFlight ?? 2 },
    );
  }

  /** The lease covers one attempt's timeout plus time to record it (as long again, 1 s to 30 s). */
  get leaseMs(): number {
    const timeout = this.#deps.deliveryTimeoutMs;
    return timeout + Math.max(1_000, Math.min(30_000, timeout));
  }

  /**
   * Claims only as many deliveries as there are free attempt slots, so a claimed delivery
   * never waits on a slot while its lease runs out; slots freed together are claimed together.
   */
  handle = (deliveryIds: readonly string[]): Promise<void> => this.#track(this.#handle(deliveryIds));

  async #handle(deliveryIds: readonly string[]): Promise<void> {
    const attempts: Promise<void>[] = [];
    for (let next = 0; next < deliveryIds.length; ) {
      const granted = await this.#slots.acquireUpTo(deliveryIds.length - next);
      // Shutting down: the rest stay unclaimed and due, for the sweeper after a restart.
      if (this.#closing) {
        this.#slots.release(granted);
        break;
      }
      const ids = deliveryIds.slice(next, next + granted);
      next += granted;
      let claimed: ClaimedDelivery[];
      try {
        claimed = await claimDeliveries(this.#deps.db, ids, this.leaseMs);
      } catch (err) {
        this.#slots.release(granted);
        throw err;
      }
      this.#slots.release(granted - claimed.length);
      if (claimed.length < ids.length) {
        const taken = new Set(claimed.map((d) => d.id));
        attempts.push(this.#rescheduleIfEarly(ids.filter((id) => !taken.has(id))));
      }
      for (const delivery of claimed) attempts.push(this.#attemptInSlot(delivery));
    }
    await Promise.all(attempts);
  }

  /**
   * Deliveries that ingest in this process created already leased to it: no queue, no claim.
   * One that waited for a slot until its lease would lapse mid-attempt is left to the sweeper,
   * so it is never attempted twice at once.
   */
  take = (deliveries: ClaimedDelivery[], leasedUntil: Date): void => {
    this.#track(
      (async () => {
        for (let next = 0; next < deliveries.length; ) {
          const granted = await this.#slots.acquireUpTo(deliveries.length - next);
          if (this.#closing) {
            // Shutting down: the rest are given back at once rather than left leased to a
            // process that is going away.
            this.#slots.release(granted);
            await releaseDeliveryLeases(
              this.#deps.db,
              deliveries.slice(next).map((d) => d.id),
            );
            return;
          }
          const batch = deliveries.slice(next, next + granted);
          next += granted;
          if (this.#now() + this.#deps.deliveryTimeoutMs >= leasedUntil.getTime()) {
            this.#slots.release(granted);
            continue;
          }
          for (const delivery of batch) void this.#attemptInSlot(delivery);
        }
      })().catch((err) => {
        // The leases lapse and the sweeper hands the deliveries out again.
        this.#deps.log.error({ err }, 'giving back delivery leases failed');
      }),
    );
  };

  /**
   * Shutdown: no new attempts start; those in flight finish and are recorded (so none is
   * made again after a restart); deliveries handed over but not started are given back.
   * Before the database closes.
   */
  async close(): Promise<void> {
    this.#closing = true;
    while (this.#inFlight.size > 0) await Promise.allSettled(this.#inFlight);
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    const forget = () => this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** One attempt in a slot already taken; frees the slot after. */
  #attemptInSlot(delivery: ClaimedDelivery): Promise<void> {
    return this.#track(
      this.#attempt(delivery)
        .catch((err) => {
          // The lease lapses and the sweeper retries; nothing is recorded as attempted.
          this.#deps.log.error({ err, deliveryId: delivery.id }, 'delivery attempt could not be recorded');
        })
        .finally(() => this.#slots.release(1)),
    );
  }

  readonly #opened = new Map<string, string>();

  /**
   * A destination's signing secret, opened once: every attempt to it would otherwise decrypt
   * it again. Keyed by the sealed text, so a rotated secret is a new entry; bounded.
   */
  #open(sealed: string): string {
    let secret = this.#opened.get(sealed);
    if (secret === undefined) {
      secret = this.#deps.secrets.open(sealed);
      if (this.#opened.size >= 10_000) this.#opened.clear();
      this.#opened.set(sealed, secret);
    }
    return secret;
  }

  #attempt(delivery: ClaimedDelivery): Promise<void> {
    const attributes = {
      'hookline.delivery_id': delivery.id,
      'hookline.event_id': delivery.event_id,
      'hookline.destination_id': delivery.destination_id,
      'hookline.attempt': delivery.attempt_count + 1,
    };
    return metrics.inSpan('hookline.attempt', attributes, (span) => this.#attemptTraced(delivery, span));
  }

  async #attemptTraced(delivery: ClaimedDelivery, span: metrics.Span): Promise<void> {
    const { db, http } = this.#deps;
    if (delivery.paused_at) {
      await holdDelivery(db, delivery.id);
      metrics.deliveries.inc({ outcome: 'held' });
      return;
    }

    const number = delivery.attempt_count + 1;
    const ruled = await this.#rules.apply(delivery, number);
    if (ruled.kind !== 'send') {
      // Nothing was sent: a skip closes the delivery, a transform error retries it like a
      // failed attempt (the event stays, replayable once the transform is fixed).
      const failure = ruled.kind === 'error';
      return this.#record(delivery, span, {
        number,
        result: { statusCode: null, error: ruled.reason, durationMs: ruled.durationMs, responseExcerpt: null, retryAfter: undefined },
        next: failure ? this.#afterFailure(number, null) : { status: 'skipped', nextAttemptAt: null },
      });
    }

    const now = this.#now();
    const keys = [this.#open(delivery.secret_sealed)];
    if (delivery.previous_secret_sealed && delivery.previous_secret_expires_at && delivery.previous_secret_expires_at.getTime() > now) {
      keys.push(this.#open(delivery.previous_secret_sealed));
    }
    const timestamp = Math.floor(now / 1000);
    const result = await http.send({
      url: delivery.url,
      body: ruled.body,
      timeoutMs: this.#deps.deliveryTimeoutMs,
      headers: {
        ...ruled.headers,
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(keys, delivery.event_id, timestamp, ruled.body),
        'hookline-event-type': delivery.type,
        'hookline-provider': delivery.provider,
        'hookline-source-id': delivery.source_id,
        'hookline-attempt': String(number),
      },
    });

    metrics.attemptDuration.observe({ status_class: metrics.statusClass(result.statusCode) }, result.durationMs / 1000);
    if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
    const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const honoured = result.statusCode === 429 || result.statusCode === 503 ? parseRetryAfter(result.retryAfter, now) : null;
    await this.#record(delivery, span, {
      number,
      result: { ...result, error: result.error ?? (succeeded ? null : `HTTP ${result.statusCode}`) },
      next: succeeded ? { status: 'succeeded', nextAttemptAt: null } : this.#afterFailure(number, honoured),
    });
  }

  /** Where a failed attempt leaves its delivery: pending until the retry schedule runs out, then failed. */
  #afterFailure(number: number, honouredDelayMs: number | null): { status: DeliveryStatus; nextAttemptAt: Date | null } {
    const delay = nextRetryDelay(number, this.#deps.retryScheduleMs, honouredDelayMs);
    return delay === null ? { status: 'failed', nextAttemptAt: null } : { status: 'pending', nextAttemptAt: new Date(this.#now() + delay) };
  }

  async #record(
    delivery: ClaimedDelivery,
    span: metrics.Span,
    { number, result, next }: { number: number; result: AttemptResult; next: { status: DeliveryStatus; nextAttemptAt: Date | null } },
  ): Promise<void> {
    const attempt = {
      id: newId('attempt'),
      tenant_id: delivery.tenant_id,
      delivery_id: delivery.id,
      event_id: delivery.event_id,
      number,
      status_code: result.statusCode,
      error: result.error,
      duration_ms: result.durationMs,
      response_excerpt: result.responseExcerpt,
      created_at: new Date(this.#now()),
    };
    const after = await this.#recorder.submit({ attempt, sourceId: delivery.source_id, next, claimedVersion: delivery.updated_at });
    if (!after) return;
    const outcome = after.status === 'pending' ? 'retrying' : after.status;
    metrics.deliveries.inc({ outcome });
    span.setAttribute('hookline.outcome', outcome);
    this.#deps.onAttempt?.(attempt, after);
    if (after.status === 'pending' && after.next_attempt_at) {
      void enqueueOrLeaveToSweeper(this.#deps.queue, [{ deliveryId: delivery.id, runAt: after.next_attempt_at }], this.#deps.log);
    }
  }

  /** Jobs that fired before their deliveries were due (clock skew, a stale job) re-arm them. */
  async #rescheduleIfEarly(deliveryIds: string[]): Promise<void> {
    const early = await listNotYetDue(this.#deps.db, deliveryIds);
    const jobs = early.map((d) => ({ deliveryId: d.id, runAt: d.next_attempt_at }));
    if (jobs.length > 0) void enqueueOrLeaveToSweeper(this.#deps.queue, jobs, this.#deps.log);
  }
}

/**
 * A counting semaphore for attempt slots. Slots released in one turn of the event loop are
 * handed out together at the end of it, so a waiter gets as many as came free (one claim
 * statement for all of them) rather than one at a time.
 */
class Slots {
  #free: number;
  readonly #waiting: { want: number; grant: (n: number) => void }[] = [];
  #handOutScheduled = false;

  constructor(limit: number) {
    this.#free = limit;
  }

  /** Resolves with between 1 and `want` slots, once at least one is free. */
  acquireUpTo(want: number): Promise<number> {
    if (this.#free > 0 && this.#waiting.length === 0) {
      const n = Math.min(this.#free, want);
      this.#free -= n;
      return Promise.resolve(n);
    }
    return new Promise((grant) => this.#waiting.push({ want, grant }));
  }

  release(n: number): void {
    if (n <= 0) return;
    this.#free += n;
    if (this.#waiting.length === 0 || this.#handOutScheduled) return;
    this.#handOutScheduled = true;
    setImmediate(() => {
      this.#handOutScheduled = false;
      while (this.#free > 0 && this.#waiting.length > 0) {
        const waiter = this.#waiting.shift() as { want: number; grant: (n: number) => void };
        const n = Math.min(this.#free, waiter.want);
        this.#free -= n;
        waiter.grant(n);
      }
    });
  }
}
