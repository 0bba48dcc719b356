import { newId, type SecretBox, signStandardWebhook } from '@hookline/core';
import {
  type Attempt,
  type ClaimedDelivery,
  claimDelivery,
  type Db,
  type DeliveryStatus,
  getDeliveryById,
  holdDelivery,
  recordAttempt,
} from '@hookline/db';
import { type DeliveryQueue, enqueueOrLeaveToSweeper } from '@hookline/queue';
import type { FastifyBaseLogger } from 'fastify';
import type { HttpAttempts } from './http-attempt.ts';
import { nextRetryDelay, parseRetryAfter } from './retry-policy.ts';

export interface DeliveryWorkerDeps {
  db: Db;
  queue: DeliveryQueue;
  secrets: SecretBox;
  http: HttpAttempts;
  log: FastifyBaseLogger;
  retryScheduleMs: readonly number[];
  deliveryTimeoutMs: number;
  now?: () => number;
  /** Told of every recorded attempt (the live stream listens here). */
  onAttempt?: (attempt: Attempt, delivery: { id: string; status: DeliveryStatus; next_attempt_at: Date | null }) => void;
}

const USER_AGENT = 'Hookline-Webhooks/0.1';

/** Makes one delivery attempt per call: claim, sign, POST, record, schedule the next. */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #now: () => number;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The lease covers one attempt's timeout plus time to record it (as long again, 1 s to 30 s). */
  get leaseMs(): number {
    const timeout = this.#deps.deliveryTimeoutMs;
    return timeout + Math.max(1_000, Math.min(30_000, timeout));
  }

  handle = async (deliveryId: string): Promise<void> => {
    const { db, log } = this.#deps;
    const delivery = await claimDelivery(db, deliveryId, this.leaseMs);
    if (!delivery) return this.#rescheduleIfEarly(deliveryId);
    try {
      await this.#attempt(delivery);
    } catch (err) {
      // The lease lapses and the sweeper retries; nothing is recorded as attempted.
      log.error({ err, deliveryId }, 'delivery attempt could not be recorded');
    }
  };

  async #attempt(delivery: ClaimedDelivery): Promise<void> {
    const { db, secrets, http } = this.#deps;
    if (delivery.paused_at) return holdDelivery(db, delivery.id);

    const now = this.#now();
    const keys = [secrets.open(delivery.secret_sealed)];
    if (delivery.previous_secret_sealed && delivery.previous_secret_expires_at && delivery.previous_secret_expires_at.getTime() > now) {
      keys.push(secrets.open(delivery.previous_secret_sealed));
    }
    const number = delivery.attempt_count + 1;
    const timestamp = Math.floor(now / 1000);
    const result = await http.send({
      url: delivery.url,
      body: delivery.payload,
      timeoutMs: this.#deps.deliveryTimeoutMs,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(keys, delivery.event_id, timestamp, delivery.payload),
        'hookline-event-type': delivery.type,
        'hookline-provider': delivery.provider,
        'hookline-source-id': delivery.source_id,
        'hookline-attempt': String(number),
      },
    });

    const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    let status: DeliveryStatus = 'succeeded';
    let nextAttemptAt: Date | null = null;
    if (!succeeded) {
      const honoured = result.statusCode === 429 || result.statusCode === 503 ? parseRetryAfter(result.retryAfter, now) : null;
      const delay = nextRetryDelay(number, this.#deps.retryScheduleMs, honoured);
      if (delay === null) status = 'failed';
      else {
        status = 'pending';
        nextAttemptAt = new Date(this.#now() + delay);
      }
    }
    const attempt: Attempt = {
      id: newId('attempt'),
      tenant_id: delivery.tenant_id,
      delivery_id: delivery.id,
      event_id: delivery.event_id,
      number,
      status_code: result.statusCode,
      error: result.error ?? (succeeded ? null : `HTTP ${result.statusCode}`),
      duration_ms: result.durationMs,
      response_excerpt: result.responseExcerpt,
      created_at: new Date(now),
    };
    const after = await recordAttempt(db, attempt, { status, nextAttemptAt }, delivery.source_id, delivery.updated_at);
    this.#deps.onAttempt?.(attempt, { id: delivery.id, ...after });
    if (after.status === 'pending' && after.next_attempt_at) this.#enqueue(delivery.id, after.next_attempt_at);
  }

  /** A job that fired before its delivery was due (clock skew, a stale job) re-arms it. */
  async #rescheduleIfEarly(deliveryId: string): Promise<void> {
    const current = await getDeliveryById(this.#deps.db, deliveryId);
    if (current?.status === 'pending' && current.next_attempt_at && current.next_attempt_at.getTime() > this.#now()) {
      this.#enqueue(deliveryId, current.next_attempt_at);
    }
  }

  #enqueue(deliveryId: string, runAt: Date) {
    void enqueueOrLeaveToSweeper(this.#deps.queue, [{ deliveryId, runAt }], this.#deps.log);
  }
}
