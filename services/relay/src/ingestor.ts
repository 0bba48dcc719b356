import { GroupCommit, ingestKeyHint, jsonDepth, matchesEventTypes, newId, type SecretBox } from '@hookline/core';
import {
  addRateLimitedCounts,
  type CreatedDelivery,
  type Db,
  type FannedOutDelivery,
  type IngestLeaseGrant,
  type IngestWrite,
  type IngestWriteResult,
  type NewRequest,
  objectKey,
  storeIngestBatch,
} from '@hookline/db';
import * as metrics from '@hookline/metrics';
import { getProvider, type HeaderMap, renderEnvelope, topLevelMembers } from '@hookline/providers';
import { type DeliveryQueue, enqueueOrLeaveToSweeper } from '@hookline/queue';
import { filterView } from '@hookline/rules';
import type { FastifyBaseLogger } from 'fastify';
import type { IngestBody } from './body-reader.ts';
import { RateLimitTally } from './rate-limit-tally.ts';
import { bodyExcerpt, capHeaders } from './rejected-request.ts';
import { type CachedDestination, type CachedRouting, RoutingCache } from './routing-cache.ts';
import { StorageBudget } from './storage-budget.ts';
import { AddressBudget, NegativeCache } from './unknown-keys.ts';

/** Everything ingest can conclude about one request; mapped to HTTP in one place (ingest-route). */
export type IngestOutcome =
  | { kind: 'accepted'; eventId: string; requestId: string }
  | { kind: 'duplicate'; eventId: string; requestId: string }
  | { kind: 'probe'; requestId: string }
  | { kind: 'not_found'; detail: string; requestId: string }
  | { kind: 'verification_failed'; detail: string; requestId: string }
  | { kind: 'unparsable'; detail: string; requestId: string }
  | { kind: 'too_large'; detail: string; requestId: string }
  | { kind: 'too_deep'; detail: string; requestId: string }
  | { kind: 'over_budget'; detail: string; requestId: string }
  /** Not stored: counted in rate_limited_counts. */
  | { kind: 'rate_limited'; detail: string; retryAfterSeconds: number }
  | { kind: 'store_failed' };

export interface IncomingRequest {
  ingestKey: string;
  method: string;
  headers: HeaderMap;
  body: IngestBody;
  remoteIp: string | null;
  receivedAt: Date;
}

export interface StoredNotice {
  request: NewRequest;
  result: IngestWriteResult;
}

/** A delivery worker in this process: new deliveries go to it directly rather than through the queue. */
export interface LocalDelivery {
  /** New deliveries for its next claim. */
  offer(deliveries: readonly CreatedDelivery[]): void;
  /** Slots for a batch's new deliveries due now (counted by tenant), leased by the batch's own statement. */
  lend?(due: ReadonlyMap<string, number>): IngestLeaseGrant | null;
}

type StoredResult = IngestWriteResult;

/**
 * A new delivery to `destination`. One that orders per object carries the event's object
 * and is due only after the destination's ordering window, so that earlier-occurred events
 * of the same object arriving a little later still go out first (@hookline/db object-order).
 */
function fanOut(destination: CachedDestination, object: { type: string; id: string | null } | null): FannedOutDelivery {
  const delivery = { id: newId('delivery'), destination_id: destination.id };
  if (destination.ordering !== 'object') return delivery;
  const key = objectKey(object);
  return key === null ? delivery : { ...delivery, object_key: key, delay_ms: destination.ordering_window_ms };
}

/** A write whose source changed while it was routed is routed again, this many times at most. */
const MAX_ROUTES = 3;

export interface IngestorDeps {
  db: Db;
  queue: DeliveryQueue;
  secrets: SecretBox;
  log: FastifyBaseLogger;
  maxBodyBytes: number;
  /** One transaction at a time on PGlite; a few on PostgreSQL, each grouping many writes. */
  maxConcurrentCommits: number;
  /** Most writes per transaction. */
  maxBatch: number;
  /** Most body bytes kept for an unverified or refused request. */
  rejectedBodyExcerptBytes: number;
  /** Requests per minute per client address to keys no source has. */
  unknownKeyRateLimit: number;
  /** Bytes each tenant may store; 0: no budget. */
  storageBudgetBytes: number;
  /** Deepest JSON nesting accepted. */
  maxJsonDepth: number;
  now?: () => number;
  /** Told of every stored request (the live stream listens here). */
  onStored?: (notice: StoredNotice) => void;
  /** Set when the worker runs in this process; otherwise new deliveries go through the queue. */
  localDelivery?: LocalDelivery | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** body_bytes is an integer column; a declared content-length may be anything. */
const INT4_MAX = 2 ** 31 - 1;

/**
 * What a request row keeps: `all` for verified requests (and probes), `excerpt` (capped
 * headers, the body's first bytes) for unverified or oversize ones, `metadata` (capped
 * headers, no body) when there is no tenant to show it to or the tenant is out of space.
 * Anyone can send the last two kinds, so they cannot fill the disk.
 */
type Keep = 'all' | 'excerpt' | 'metadata';

/** Verifies, normalizes and durably stores incoming webhooks; answers only after commit. */
export class Ingestor {
  readonly #deps: IngestorDeps;
  readonly #writer: GroupCommit<IngestWrite, StoredResult>;
  readonly #routing: RoutingCache;
  readonly #now: () => number;
  readonly #unknownKeys = new NegativeCache({ ttlMs: 5_000, maxEntries: 10_000 });
  readonly #unknownKeyBudget: AddressBudget;
  readonly #storageBudget: StorageBudget;
  readonly #rateLimited: RateLimitTally;

  constructor(deps: IngestorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#unknownKeyBudget = new AddressBudget({ perMinute: deps.unknownKeyRateLimit, now: this.#now });
    this.#storageBudget = new StorageBudget({ budgetBytes: deps.storageBudgetBytes, log: deps.log });
    this.#rateLimited = new RateLimitTally({
      findSource: async (key) => (await this.#route(key))?.source,
      write: (counts) => addRateLimitedCounts(deps.db, counts),
      log: deps.log,
    });
    this.#routing = new RoutingCache({ db: deps.db, secrets: deps.secrets, now: this.#now });
    const readUsage = this.#storageBudget.enabled;
    this.#writer = new GroupCommit<IngestWrite, StoredResult>(
      async (writes) => {
        const start = performance.now();
        const grant = this.#lend(writes);
        let results: StoredResult[];
        try {
          results = await storeIngestBatch(deps.db, writes, { readUsage, lease: grant?.lease });
        } catch (err) {
          grant?.cancel();
          throw err;
        }
        grant?.start(results.flatMap((r) => r.leased));
        metrics.commitDuration.observe({ writer: 'ingest' }, metrics.secondsSince(start));
        metrics.commitBatchSize.observe({ writer: 'ingest' }, writes.length);
        return results;
      },
      { maxBatch: deps.maxBatch, maxInFlight: deps.maxConcurrentCommits },
    );
  }

  /**
   * Slots of the worker in this process for the batch's deliveries due now, if it has a
   * worker: the batch's statement leases them, and the worker attempts them straight after
   * the commit, with no claim of their own.
   */
  #lend(writes: readonly IngestWrite[]): IngestLeaseGrant | null {
    const lend = this.#deps.localDelivery?.lend;
    if (!lend) return null;
    const due = new Map<string, number>();
    for (const { event, deliveries } of writes) {
      if (!event) continue;
      const n = (deliveries ?? []).filter((d) => d.delay_ms === undefined).length;
      if (n > 0) due.set(event.tenant_id, (due.get(event.tenant_id) ?? 0) + n);
    }
    return due.size > 0 ? lend(due) : null;
  }

  /** Counts a request that a source's rate limit refused before it reached ingest. */
  countRateLimited(ingestKey: string, remoteIp: string): void {
    this.#rateLimited.countSource(ingestKey, remoteIp);
  }

  /** Writes the rate-limited counts still in memory. */
  close(): Promise<void> {
    return this.#rateLimited.close();
  }

  /** The source with this key and its destinations; keys just found unknown are remembered for a few seconds. */
  async #route(ingestKey: string): Promise<CachedRouting | undefined> {
    if (this.#unknownKeys.has(ingestKey)) return undefined;
    const routing = await this.#routing.get(ingestKey);
    if (!routing) this.#unknownKeys.add(ingestKey);
    return routing;
  }

  /** Ingests one request; counted in the metrics by outcome and provider. */
  ingest(req: IncomingRequest): Promise<IngestOutcome> {
    return metrics.inSpan('hookline.ingest', { 'http.request.method': req.method }, async (span) => {
      const start = performance.now();
      const seen: { provider?: string } = {};
      const outcome = await this.#ingest(req, 1, seen);
      const provider = seen.provider ?? 'unknown';
      metrics.ingestRequests.inc({ outcome: outcome.kind, provider });
      metrics.ingestDuration.observe(metrics.secondsSince(start));
      span.setAttributes({ 'hookline.outcome': outcome.kind, 'hookline.provider': provider });
      if ('requestId' in outcome) span.setAttribute('hookline.request_id', outcome.requestId);
      if ('eventId' in outcome) span.setAttribute('hookline.event_id', outcome.eventId);
      if (outcome.kind === 'store_failed')
        span.setStatus({ code: metrics.SpanStatusCode.ERROR, message: 'the request could not be stored' });
      return outcome;
    });
  }

  async #ingest(req: IncomingRequest, routes: number, seen: { provider?: string }): Promise<IngestOutcome> {
    let routing: CachedRouting | undefined;
    try {
      routing = await this.#route(req.ingestKey);
    } catch (err) {
      this.#deps.log.error({ err }, 'ingest: source lookup failed');
      return { kind: 'store_failed' };
    }
    const source = routing?.source;
    if (source) seen.provider = source.provider;
    // Stores the write as routed; a source that changed meanwhile (a rotated secret, a new
    // destination) sends the whole request through ingest again with its fresh routing.
    const store = async (write: IngestWrite): Promise<StoredResult | 'stale' | null> => {
      const result = await this.#store({ ...write, configVersion: routing?.configVersion });
      if (!result?.stale) return result;
      this.#routing.drop(req.ingestKey);
      return 'stale';
    };
    const again = () =>
      routes < MAX_ROUTES ? this.#ingest(req, routes + 1, seen) : Promise.resolve<IngestOutcome>({ kind: 'store_failed' });
    if (!source) {
      // Random keys each pass a per-key limit: unknown keys share a budget per address.
      const spent = this.#unknownKeyBudget.take(req.remoteIp ?? 'unknown');
      if (!spent.ok) {
        this.#rateLimited.countAddress(req.remoteIp ?? 'unknown');
        const retryAfterSeconds = Math.ceil(spent.retryAfterMs / 1000);
        const detail = `too many requests to unknown ingest keys from this address (${this.#deps.unknownKeyRateLimit} per minute); retry in ${retryAfterSeconds} s`;
        return { kind: 'rate_limited', detail, retryAfterSeconds };
      }
    }
    const whole = req.body.kind === 'whole' ? req.body.bytes : null;
    const requestId = newId('request', req.receivedAt.getTime());
    const base: NewRequest = {
      id: requestId,
      tenant_id: source?.tenant_id ?? null,
      source_id: source?.id ?? null,
      ingest_key_hint: source ? null : ingestKeyHint(req.ingestKey),
      received_at: req.receivedAt,
      method: req.method,
      headers: JSON.stringify(req.headers),
      body: whole,
      body_bytes: Math.min(whole ? whole.length : req.body.kind === 'too_large' ? req.body.size : 0, INT4_MAX),
      remote_ip: req.remoteIp,
      outcome: 'rejected',
      reason: null,
      detail: null,
      status_code: 200,
      event_id: null,
    };
    const kept = (keep: Keep): Pick<NewRequest, 'headers' | 'body'> => {
      if (keep === 'all') return { headers: base.headers, body: base.body };
      const excerptOf = req.body.kind === 'whole' ? req.body.bytes : req.body.head;
      return {
        headers: JSON.stringify(capHeaders(req.headers)),
        body: keep === 'excerpt' ? bodyExcerpt(excerptOf, this.#deps.rejectedBodyExcerptBytes) : null,
      };
    };
    const reject = async <K extends 'not_found' | 'verification_failed' | 'unparsable' | 'too_large' | 'too_deep' | 'over_budget'>(
      kind: K,
      reason: string,
      status: number,
      detail: string,
      keep: Keep,
    ): Promise<IngestOutcome> => {
      const stored = await store({ request: { ...base, ...kept(keep), reason, detail, status_code: status } });
      if (stored === 'stale') return again();
      return stored ? ({ kind, detail, requestId } as IngestOutcome) : { kind: 'store_failed' };
    };

    if (!source) return reject('not_found', 'unknown_source', 404, 'no source has this ingest key', 'metadata');
    if (this.#storageBudget.isOver(source.tenant_id)) {
      const detail = `this account stores more than its ${this.#storageBudget.budgetBytes}-byte budget; requests are refused until retention frees space`;
      return reject('over_budget', 'storage_budget_exceeded', 507, detail, 'metadata');
    }
    if (req.body.kind === 'too_large') {
      const { size, atLeast } = req.body;
      const detail = `body of ${atLeast ? 'more than ' : ''}${size} bytes is over the ${this.#deps.maxBodyBytes}-byte limit`;
      return reject('too_large', 'too_large', 413, detail, 'excerpt');
    }
    const body = req.body.bytes;
    const provider = getProvider(source.provider);
    if (!provider) {
      return reject('verification_failed', 'unknown_provider', 401, `provider ${source.provider} is not available`, 'excerpt');
    }

    if (provider.isProbe?.(body, req.headers)) {
      const stored = await store({ request: { ...base, outcome: 'probe', reason: 'provider_probe' } });
      if (stored === 'stale') return again();
      return stored ? { kind: 'probe', requestId } : { kind: 'store_failed' };
    }

    const now = this.#now();
    const secrets = (routing as CachedRouting).secrets(now);
    if (secrets.length === 0) {
      const detail = `this source has no signing secret yet: add ${provider.displayName}'s secret to it in Hookline`;
      return reject('verification_failed', 'verification_failed', 401, detail, 'excerpt');
    }
    const verdict = provider.verify({
      body,
      headers: req.headers,
      secrets,
      nowMs: now,
      settings: source.settings,
    });
    if (!verdict.ok) return reject('verification_failed', 'verification_failed', 401, verdict.detail, 'excerpt');

    let text: string;
    try {
      text = utf8.decode(body);
    } catch (err) {
      return reject('unparsable', 'unparsable', 400, `body is not JSON: ${(err as Error).message}`, 'all');
    }
    // Counted before parsing: an event nested 100,000 deep would parse, and then break every
    // view that serializes it (stack overflow).
    const maxDepth = this.#deps.maxJsonDepth;
    if (jsonDepth(text, maxDepth) > maxDepth) {
      return reject('too_deep', 'too_deep', 400, `body nests arrays and objects more than ${maxDepth} levels deep`, 'all');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return reject('unparsable', 'unparsable', 400, `body is not JSON: ${(err as Error).message}`, 'all');
    }
    const members = topLevelMembers(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !members) {
      return reject('unparsable', 'unparsable', 400, 'body is JSON but not an object', 'all');
    }

    const normalized = provider.normalize(parsed as Record<string, unknown>, members, req.headers, body, source.settings);
    const eventId = newId('event', req.receivedAt.getTime());
    const payload = renderEnvelope(normalized, {
      id: eventId,
      provider: provider.id,
      sourceId: source.id,
      receivedAt: req.receivedAt,
    });
    // What filters see, built once per event and only if a destination has a filter.
    let view: Record<string, unknown> | undefined;
    const viewed = () => {
      view ??= filterView(payload, req.headers);
      return view;
    };
    const write: IngestWrite = {
      request: { ...base, outcome: 'accepted' },
      deliveries: (routing as CachedRouting).destinations
        .filter((d) => matchesEventTypes(d.event_types, normalized.type))
        .filter((d) => d.matches === null || d.matches(viewed()))
        .map((d) => fanOut(d, normalized.object)),
      event: {
        id: eventId,
        tenant_id: source.tenant_id,
        source_id: source.id,
        request_id: requestId,
        type: normalized.type,
        provider: provider.id,
        provider_event_id: normalized.providerEventId,
        provider_event_type: normalized.providerEventType,
        occurred_at: normalized.occurredAt,
        received_at: req.receivedAt,
        payload,
      },
    };
    const result = await store(write);
    if (result === 'stale') return again();
    if (!result?.eventId) return { kind: 'store_failed' };
    if (result.deliveries.length > 0) this.#deliver(result);
    return result.duplicate
      ? { kind: 'duplicate', eventId: result.eventId, requestId }
      : { kind: 'accepted', eventId: result.eventId, requestId };
  }

  /**
   * New deliveries not leased by their batch go to the worker in this process, or else to the queue. The worker claims
   * for their destinations (within their budgets) in its next claim, together with whatever
   * else is waiting; one not due yet (an ordering window) is claimed when it is due.
   */
  #deliver(result: StoredResult): void {
    const local = this.#deps.localDelivery;
    if (local) {
      local.offer(result.deliveries);
      return;
    }
    const jobs = result.deliveries.map((d) => ({ deliveryId: d.id, runAt: d.runAt }));
    void enqueueOrLeaveToSweeper(this.#deps.queue, jobs, this.#deps.log);
  }

  async #store(write: IngestWrite): Promise<StoredResult | null> {
    try {
      const attributes = { 'hookline.request_id': write.request.id, 'hookline.deliveries': write.deliveries?.length ?? 0 };
      const result = await metrics.inSpan('hookline.store', attributes, async (span) => {
        const stored = await this.#writer.submit(write);
        if (stored.error) throw stored.error;
        if (stored.eventId) span.setAttribute('hookline.event_id', stored.eventId);
        return stored;
      });
      if (write.request.tenant_id && result.storedBytes !== undefined) {
        this.#storageBudget.observe(write.request.tenant_id, result.storedBytes);
      }
      if (!result.stale) this.#deps.onStored?.({ request: write.request, result });
      return result;
    } catch (err) {
      this.#deps.log.error({ err }, 'ingest: storing the request failed');
      return null;
    }
  }
}
