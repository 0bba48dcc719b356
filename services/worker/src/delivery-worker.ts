import { GroupCommit, newId, type SecretBox, signStandardWebhook } from '@hookline/core';
import {
  type AttemptRecord,
  type BreakerPolicy,
  type ClaimedDelivery,
  type ClaimResult,
  type CreatedDelivery,
  claimDue,
  type Db,
  type DeliveryStatus,
  type DestinationAfterAttempts,
  holdPendingDeliveries,
  type IngestLeaseGrant,
  type NewAttempt,
  type RecordedDelivery,
  recordAttempts,
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
  /**
   * Attempts one tenant may have in flight at once in this process (default: half of
   * `concurrency`), so one tenant's hanging endpoints always leave slots to the others.
   */
  tenantMaxInFlight?: number;
  breaker: BreakerPolicy;
  /** Attempt records written at once, and such writes in flight (group commit). */
  recordBatch?: number;
  recordsInFlight?: number;
  now?: () => number;
  /** Told of every recorded attempt (the live stream listens here). */
  onAttempt?: (attempt: NewAttempt, delivery: RecordedDelivery) => void;
}

const USER_AGENT = 'Hookline-Webhooks/0.1';
/** How long a finished attempt waits for others to be recorded in the same statement. */
const RECORD_LINGER_MS = 10;

/**
 * Makes attempts in fair turns: each claim (one statement) takes due deliveries of the
 * destinations it is pointed at, within each destination's budget (in-flight cap, rate
 * limit, breaker: see @hookline/db scheduler) and each tenant's share of this process's
 * slots; it signs, POSTs, records (attempts finishing together share one statement) and
 * schedules the next. Work a destination or tenant cannot take yet waits in the database;
 * the worker remembers which destinations have some and claims for them as slots free up,
 * attempts to them finish, or a rate window or an open breaker ends.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #now: () => number;
  readonly #slots: Slots;
  readonly #tenantMax: number;
  readonly #recorder: GroupCommit<AttemptRecord, RecordedDelivery | null>;
  readonly #rules: DestinationRules;
  /** Attempts started and deliveries handed over but not started yet, until settled. */
  readonly #inFlight = new Set<Promise<void>>();
  #closing = false;
  /** Attempts in flight in this process, per tenant. */
  readonly #tenantInFlight = new Map<string, number>();
  /** Destinations with due work that this process's limits left waiting, with their tenant. */
  readonly #wanted = new Map<string, string | null>();
  /**
   * Destinations that this process's last claim for them left at their in-flight cap, with
   * due work left over, or ordering per object (the next of an object waits for the attempt
   * before it): claimed for again when an attempt to them here is recorded.
   */
  readonly #busy = new Set<string>();
  /** Queue jobs waiting for the next claim, with the deliveries they name. */
  readonly #named: { ids: readonly string[]; resolve: () => void }[] = [];
  /**
   * Deliveries being attempted here, until recorded. A job naming one needs no claim: an
   * earlier claim took it as its destination's oldest due work before the job arrived, and
   * its record enqueues it again if it stays pending (a retry asked for meanwhile: see the
   * API test "keeps a retry asked for while an attempt is in flight", which takes this way).
   * Such claims found nothing: a third of a busy worker's claims in scale mode.
   */
  readonly #attempting = new Set<string>();
  readonly #wakeTimers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #pumping = false;
  #pumpAgain = false;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
    this.#rules = new DestinationRules(deps.transforms);
    this.#now = deps.now ?? Date.now;
    this.#slots = new Slots(deps.concurrency);
    this.#tenantMax = Math.max(1, deps.tenantMaxInFlight ?? Math.ceil(deps.concurrency / 2));
    this.#recorder = new GroupCommit(
      async (records) => {
        const start = performance.now();
        const { deliveries, destinations } = await recordAttempts(deps.db, records, deps.breaker);
        metrics.commitDuration.observe({ writer: 'attempts' }, metrics.secondsSince(start));
        metrics.commitBatchSize.observe({ writer: 'attempts' }, records.length);
        this.#afterAttempts(destinations);
        const moved = new Map(deliveries.map((d) => [d.id, d]));
        // A delivery deleted meanwhile (its source was) has nothing to move on.
        return records.map(({ attempt }) => moved.get(attempt.delivery_id) ?? null);
      },
      // Records are off the way to the endpoint: waiting a few milliseconds for others
      // makes about a third fewer statements on a busy worker.
      { maxBatch: deps.recordBatch ?? 200, maxInFlight: deps.recordsInFlight ?? 2, lingerMs: RECORD_LINGER_MS },
    );
  }

  /** The lease covers one attempt's timeout plus time to record it (as long again, 1 s to 30 s). */
  get leaseMs(): number {
    const timeout = this.#deps.deliveryTimeoutMs;
    return timeout + Math.max(1_000, Math.min(30_000, timeout));
  }

  /**
   * Deliveries a queue job names: the next claim includes them (with every other job's and
   * the wanted destinations, one statement for all). Resolves once that claim has run: what
   * it took is being attempted, what it left waits in the database as its destination's
   * backlog, so the job is done either way.
   */
  handle = (deliveryIds: readonly string[]): Promise<void> => {
    if (deliveryIds.length === 0 || this.#closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#named.push({ ids: deliveryIds, resolve });
      this.#pump();
    });
  };

  /**
   * New deliveries from ingest in this process: no queue round trip and no claim of their
   * own. Their destinations join the wanted set, and the pump claims for all of them at once
   * (one statement for as many ingest batches as arrived meanwhile).
   */
  offer = (deliveries: readonly CreatedDelivery[]): void => {
    const now = this.#now();
    for (const d of deliveries) {
      if (d.runAt.getTime() > now) this.#wakeAt(d.destinationId, d.runAt.getTime(), d.tenantId);
      else this.#wanted.set(d.destinationId, d.tenantId);
    }
    this.#pump();
  };

  /**
   * Lends free slots to an ingest batch in this process, which leases its new deliveries in
   * the statement that creates them (IngestLease in @hookline/db): no claim and no pump turn
   * between a new event and its attempts. `due` counts the batch's deliveries due now, by
   * tenant; each tenant gets what its share of this worker leaves, reserved at once so a
   * claim meanwhile cannot hand out the same share. Null when there is nothing to lend.
   */
  lend = (due: ReadonlyMap<string, number>): IngestLeaseGrant | null => {
    // Not while a claim is in flight: it hands out tenants' shares too, and what it took is
    // known only when it returns (the claims themselves take turns for the same reason).
    if (this.#closing || this.#pumping) return null;
    const tenantAllowance: Record<string, number> = {};
    let wanted = 0;
    for (const [tenant, n] of due) {
      const room = Math.min(n, this.#tenantMax - (this.#tenantInFlight.get(tenant) ?? 0));
      if (room <= 0) continue;
      tenantAllowance[tenant] = room;
      wanted += room;
    }
    const granted = this.#slots.take(wanted);
    if (granted === 0) return null;
    for (const [tenant, n] of Object.entries(tenantAllowance)) this.#addInFlight(tenant, n);
    let settled = false;
    // Gives back the slots and tenant shares the statement did not use.
    const settle = (leased: readonly ClaimedDelivery[]) => {
      settled = true;
      const used = new Map<string, number>();
      for (const d of leased) used.set(d.tenant_id, (used.get(d.tenant_id) ?? 0) + 1);
      for (const [tenant, n] of Object.entries(tenantAllowance)) this.#addInFlight(tenant, (used.get(tenant) ?? 0) - n);
      this.#slots.release(granted - leased.length);
    };
    return {
      lease: { limit: granted, leaseMs: this.leaseMs, tenantAllowance, breaker: this.#deps.breaker },
      start: (leased) => {
        if (settled) return;
        // Shut down meanwhile: the leases lapse and the sweeper retries them after a restart.
        const attempts = this.#closing ? [] : leased;
        settle(attempts);
        if (attempts.length > 0) metrics.attemptStarts.inc({ via: 'ingest' }, attempts.length);
        for (const delivery of attempts) void this.#attemptInSlot(delivery);
        if (attempts.length < granted) this.#pump();
      },
      cancel: () => {
        if (settled) return;
        settle([]);
        this.#pump();
      },
    };
  };

  /**
   * Shutdown: no new attempts start; those in flight finish and are recorded (so none is
   * made again after a restart); what is waiting stays unclaimed and due, for the sweeper
   * after a restart. Before the database closes.
   */
  async close(): Promise<void> {
    this.#closing = true;
    // Jobs waiting for a claim end unclaimed: their deliveries stay due, for the sweeper.
    for (const { resolve } of this.#named.splice(0)) resolve();
    while (this.#inFlight.size > 0) await Promise.allSettled(this.#inFlight);
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    const forget = () => this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /**
   * Claims for the deliveries queue jobs named and the wanted destinations whose tenants
   * have room, with every free slot; one claim at a time. Whatever asks for a claim meanwhile
   * (an offer, a job, a finished attempt, a recorded batch) makes one more after it, so under
   * load claims coalesce instead of being one per signal.
   */
  #pump(): void {
    if (this.#closing) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    const ready = [...this.#wanted].filter(([, tenant]) => tenant === null || (this.#tenantInFlight.get(tenant) ?? 0) < this.#tenantMax);
    const jobsNeedClaim = this.#settleNamedInFlight();
    if (ready.length === 0 && !jobsNeedClaim) return;
    const granted = this.#slots.takeFree();
    // No slot free: a finishing attempt pumps again.
    if (granted === 0) return;
    for (const [destination] of ready) this.#wanted.delete(destination);
    const jobs = this.#named.splice(0);
    this.#pumping = true;
    // Tracked: a shutdown waits for this claim and the attempts it starts.
    void this.#track(
      this.#claimWith(
        granted,
        [...new Set(jobs.flatMap((j) => j.ids))].filter((id) => !this.#attempting.has(id)),
        ready.map(([destination]) => destination),
      )
        .then((result) => this.#start(result))
        .catch((err) => this.#deps.log.error({ err }, 'claiming deliveries failed; the sweeper retries'))
        .finally(() => {
          for (const job of jobs) job.resolve();
          this.#pumping = false;
          if (this.#pumpAgain) {
            this.#pumpAgain = false;
            this.#pump();
          }
        }),
    );
  }

  /**
   * Ends the waiting jobs whose deliveries are all being attempted here (see #attempting);
   * true if any job still needs a claim.
   */
  #settleNamedInFlight(): boolean {
    const needClaim = this.#named.filter((job) => {
      if (job.ids.some((id) => !this.#attempting.has(id))) return true;
      job.resolve();
      return false;
    });
    this.#named.splice(0, this.#named.length, ...needClaim);
    return needClaim.length > 0;
  }

  /**
   * One claim statement with `granted` slots already taken; unused slots go back at once.
   * Only the pump claims, one claim at a time, so each reads the tenants' shares the
   * previous one left.
   */
  async #claimWith(granted: number, ids: readonly string[], destinations: readonly string[]): Promise<ClaimResult> {
    let result: ClaimResult;
    try {
      result = await claimDue(this.#deps.db, {
        ids,
        destinations,
        limit: granted,
        leaseMs: this.leaseMs,
        tenantAllowance: Object.fromEntries([...this.#tenantInFlight].map(([tenant, n]) => [tenant, Math.max(0, this.#tenantMax - n)])),
        tenantMax: this.#tenantMax,
        breaker: this.#deps.breaker,
      });
    } catch (err) {
      this.#slots.release(granted);
      throw err;
    }
    for (const d of result.claimed) this.#addInFlight(d.tenant_id, 1);
    this.#slots.release(granted - result.claimed.length);
    return result;
  }

  /** Counts `n` more (or fewer) of a tenant's attempts in flight here. */
  #addInFlight(tenant: string, n: number): void {
    const total = (this.#tenantInFlight.get(tenant) ?? 0) + n;
    if (total > 0) this.#tenantInFlight.set(tenant, total);
    else this.#tenantInFlight.delete(tenant);
  }

  /** Starts a claim's attempts (each tracked on its own) and notes what it left waiting. */
  #start(result: ClaimResult): void {
    for (const b of result.backlog) {
      if (b.full || b.more || b.ordered) this.#busy.add(b.destinationId);
      else this.#busy.delete(b.destinationId);
      if (b.nextDueAt) this.#wakeAt(b.destinationId, b.nextDueAt.getTime(), b.tenantId);
      if (!b.more) continue;
      if (b.blockedUntil) this.#wakeAt(b.destinationId, b.blockedUntil.getTime(), b.tenantId);
      // A full destination is picked up again when one of its attempts is recorded.
      else if (!b.full) this.#wanted.set(b.destinationId, b.tenantId);
    }
    if (result.early.length > 0) {
      const jobs = result.early.map((d) => ({ deliveryId: d.id, runAt: d.next_attempt_at }));
      void enqueueOrLeaveToSweeper(this.#deps.queue, jobs, this.#deps.log);
    }
    if (result.claimed.length > 0) metrics.attemptStarts.inc({ via: 'claim' }, result.claimed.length);
    for (const delivery of result.claimed) void this.#attemptInSlot(delivery);
  }

  #wakeAt(destinationId: string, at: number, tenantId: string | null = null): void {
    const existing = this.#wakeTimers.get(destinationId);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.#wakeTimers.delete(destinationId);
        this.#wanted.set(destinationId, tenantId);
        this.#pump();
      },
      Math.max(0, at - this.#now()),
    );
    timer.unref();
    this.#wakeTimers.set(destinationId, { at, timer });
  }

  /**
   * After a batch of records: the busy destinations (full, with work left, or ordered per
   * object, at this process's last claim for them), which now have room, join the next
   * claim; a disabled one's work is held. An idle destination is not claimed for: its new
   * work comes by offer or lease (ingest in this process) or by a queue job, and a claim
   * after every record was most of an embedded database's claims, finding nothing. Work
   * another process's claim left at a destination's cap is claimed by whichever process
   * filled the cap, as its attempts finish (and by the sweeper, whatever happens).
   */
  #afterAttempts(destinations: readonly DestinationAfterAttempts[]): void {
    for (const d of destinations) {
      if (d.disabled) {
        this.#deps.log.warn({ destinationId: d.destinationId }, 'destination disabled by the circuit breaker; its deliveries are held');
        void holdPendingDeliveries(this.#deps.db, d.destinationId, 'destination_disabled').catch((err) => {
          this.#deps.log.error({ err }, 'holding a disabled destination’s deliveries failed; the sweeper holds them');
        });
      } else {
        if (d.breakerOpenUntil && d.breakerOpenUntil.getTime() > this.#now()) this.#wakeAt(d.destinationId, d.breakerOpenUntil.getTime());
        else if (this.#busy.delete(d.destinationId)) this.#wanted.set(d.destinationId, null);
      }
    }
    this.#pump();
  }

  /** One attempt in a slot already taken; frees the slot (and the tenant's share) after. */
  #attemptInSlot(delivery: ClaimedDelivery): Promise<void> {
    this.#attempting.add(delivery.id);
    return this.#track(
      this.#attempt(delivery)
        .catch((err) => {
          // The lease lapses and the sweeper retries; nothing is recorded as attempted.
          this.#deps.log.error({ err, deliveryId: delivery.id }, 'delivery attempt could not be recorded');
        })
        .finally(() => {
          this.#attempting.delete(delivery.id);
          this.#addInFlight(delivery.tenant_id, -1);
          this.#slots.release(1);
          this.#pump();
        }),
    );
  }

  /** Stops the wake-up timers (the process is stopping). */
  stop(): void {
    for (const { timer } of this.#wakeTimers.values()) clearTimeout(timer);
    this.#wakeTimers.clear();
    this.#wanted.clear();
    this.#busy.clear();
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
    const { http } = this.#deps;
    const number = delivery.attempt_count + 1;
    const ruled = await this.#rules.apply(delivery, number);
    if (ruled.kind !== 'send') {
      // Nothing was sent: a skip closes the delivery, a transform error retries it like a
      // failed attempt (the event stays, replayable once the transform is fixed).
      const failure = ruled.kind === 'error';
      return this.#record(delivery, span, {
        number,
        reachedEndpoint: false,
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
        ...(delivery.outOfOrder ? { 'hookline-out-of-order': 'true' } : {}),
      },
    });

    metrics.attemptDuration.observe({ status_class: metrics.statusClass(result.statusCode) }, result.durationMs / 1000);
    if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
    const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const honoured = result.statusCode === 429 || result.statusCode === 503 ? parseRetryAfter(result.retryAfter, now) : null;
    await this.#record(delivery, span, {
      number,
      reachedEndpoint: true,
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
    {
      number,
      reachedEndpoint,
      result,
      next,
    }: { number: number; reachedEndpoint: boolean; result: AttemptResult; next: { status: DeliveryStatus; nextAttemptAt: Date | null } },
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
    const after = await this.#recorder.submit({
      attempt,
      sourceId: delivery.source_id,
      destinationId: delivery.destination_id,
      // Only what the endpoint answered moves its breaker; a skip or a transform error does not.
      succeeded: reachedEndpoint ? next.status === 'succeeded' : null,
      next,
      claimedVersion: delivery.updated_at,
    });
    if (!after) return;
    const outcome = after.status === 'pending' ? 'retrying' : after.status;
    metrics.deliveries.inc({ outcome });
    span.setAttribute('hookline.outcome', outcome);
    this.#deps.onAttempt?.(attempt, after);
    if (after.status === 'pending' && after.next_attempt_at) {
      void enqueueOrLeaveToSweeper(this.#deps.queue, [{ deliveryId: delivery.id, runAt: after.next_attempt_at }], this.#deps.log);
    }
  }
}

/** This process's attempt slots: a claim takes every free one and gives back what it did not use. */
class Slots {
  #free: number;

  constructor(limit: number) {
    this.#free = limit;
  }

  /** Takes every free slot now (possibly none). */
  takeFree(): number {
    return this.take(this.#free);
  }

  /** Takes up to `n` free slots now; returns how many. */
  take(n: number): number {
    const taken = Math.max(0, Math.min(n, this.#free));
    this.#free -= taken;
    return taken;
  }

  release(n: number): void {
    if (n > 0) this.#free += n;
  }
}
