import { GroupCommit, ingestKeyHint, newId, type SecretBox } from '@hookline/core';
import {
  type Db,
  findSourceByIngestKey,
  type IngestWrite,
  type IngestWriteResult,
  type NewRequest,
  type Source,
  storeIngestBatch,
} from '@hookline/db';
import { getProvider, type HeaderMap, renderEnvelope, topLevelMembers } from '@hookline/providers';
import { type DeliveryQueue, enqueueOrLeaveToSweeper } from '@hookline/queue';
import type { FastifyBaseLogger } from 'fastify';

/** Everything ingest can conclude about one request; mapped to HTTP in one place (ingest-route). */
export type IngestOutcome =
  | { kind: 'accepted'; eventId: string; requestId: string }
  | { kind: 'duplicate'; eventId: string; requestId: string }
  | { kind: 'probe'; requestId: string }
  | { kind: 'not_found'; detail: string; requestId: string }
  | { kind: 'verification_failed'; detail: string; requestId: string }
  | { kind: 'unparsable'; detail: string; requestId: string }
  | { kind: 'too_large'; detail: string; requestId: string }
  | { kind: 'store_failed' };

export interface IncomingRequest {
  ingestKey: string;
  method: string;
  headers: HeaderMap;
  /** Null when the body was refused before it was read (over the size limit). */
  body: Buffer | null;
  bodyBytes: number;
  remoteIp: string | null;
  receivedAt: Date;
}

export interface StoredNotice {
  request: NewRequest;
  result: IngestWriteResult;
}

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
  now?: () => number;
  /** Told of every stored request (the live stream listens here). */
  onStored?: (notice: StoredNotice) => void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Verifies, normalizes and durably stores incoming webhooks; answers only after commit. */
export class Ingestor {
  readonly #deps: IngestorDeps;
  readonly #writer: GroupCommit<IngestWrite, IngestWriteResult>;
  readonly #now: () => number;

  constructor(deps: IngestorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#writer = new GroupCommit((writes) => storeIngestBatch(deps.db, writes), {
      maxBatch: deps.maxBatch,
      maxInFlight: deps.maxConcurrentCommits,
    });
  }

  async ingest(req: IncomingRequest): Promise<IngestOutcome> {
    let source: Source | undefined;
    try {
      source = await findSourceByIngestKey(this.#deps.db, req.ingestKey);
    } catch (err) {
      this.#deps.log.error({ err }, 'ingest: source lookup failed');
      return { kind: 'store_failed' };
    }
    const requestId = newId('request', req.receivedAt.getTime());
    const base: NewRequest = {
      id: requestId,
      tenant_id: source?.tenant_id ?? null,
      source_id: source?.id ?? null,
      ingest_key_hint: source ? null : ingestKeyHint(req.ingestKey),
      received_at: req.receivedAt,
      method: req.method,
      headers: JSON.stringify(req.headers),
      // An unknown key has no tenant to show the body to: keep its metadata, not its bytes,
      // so anonymous traffic cannot fill the disk.
      body: source ? req.body : null,
      body_bytes: req.bodyBytes,
      remote_ip: req.remoteIp,
      outcome: 'rejected',
      reason: null,
      detail: null,
      status_code: 200,
      event_id: null,
    };
    const reject = async <K extends 'not_found' | 'verification_failed' | 'unparsable' | 'too_large'>(
      kind: K,
      reason: string,
      status: number,
      detail: string,
    ): Promise<IngestOutcome> => {
      const stored = await this.#store({ request: { ...base, reason, detail, status_code: status } });
      return stored ? ({ kind, detail, requestId } as IngestOutcome) : { kind: 'store_failed' };
    };

    if (!source) return reject('not_found', 'unknown_source', 404, 'no source has this ingest key');
    if (req.body === null) {
      return reject('too_large', 'too_large', 413, `body of ${req.bodyBytes} bytes is over the ${this.#deps.maxBodyBytes}-byte limit`);
    }
    const provider = getProvider(source.provider);
    if (!provider) return reject('verification_failed', 'unknown_provider', 401, `provider ${source.provider} is not available`);
    const body = req.body;

    if (provider.isProbe?.(body, req.headers)) {
      const stored = await this.#store({ request: { ...base, outcome: 'probe', reason: 'provider_probe' } });
      return stored ? { kind: 'probe', requestId } : { kind: 'store_failed' };
    }

    const now = this.#now();
    const secrets = this.#secretsOf(source, now);
    if (secrets.length === 0) {
      const detail = `this source has no signing secret yet: add ${provider.displayName}'s secret to it in Hookline`;
      return reject('verification_failed', 'verification_failed', 401, detail);
    }
    const verdict = provider.verify({
      body,
      headers: req.headers,
      secrets,
      nowMs: now,
      settings: source.settings,
    });
    if (!verdict.ok) return reject('verification_failed', 'verification_failed', 401, verdict.detail);

    let text: string;
    let parsed: unknown;
    try {
      text = utf8.decode(body);
      parsed = JSON.parse(text);
    } catch (err) {
      return reject('unparsable', 'unparsable', 400, `body is not JSON: ${(err as Error).message}`);
    }
    const members = topLevelMembers(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !members) {
      return reject('unparsable', 'unparsable', 400, 'body is JSON but not an object');
    }

    const normalized = provider.normalize(parsed as Record<string, unknown>, members, req.headers, body, source.settings);
    const eventId = newId('event', req.receivedAt.getTime());
    const payload = renderEnvelope(normalized, {
      id: eventId,
      provider: provider.id,
      sourceId: source.id,
      receivedAt: req.receivedAt,
    });
    const write: IngestWrite = {
      request: { ...base, outcome: 'accepted' },
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
    const result = await this.#store(write);
    if (!result?.eventId) return { kind: 'store_failed' };
    if (result.deliveries.length > 0) {
      const jobs = result.deliveries.map((d) => ({ deliveryId: d.id, runAt: d.runAt }));
      void enqueueOrLeaveToSweeper(this.#deps.queue, jobs, this.#deps.log);
    }
    return result.duplicate
      ? { kind: 'duplicate', eventId: result.eventId, requestId }
      : { kind: 'accepted', eventId: result.eventId, requestId };
  }

  /** The current secret, and the previous one while its rotation grace period lasts. */
  #secretsOf(source: Source, now: number): string[] {
    const secrets = source.secret_sealed ? [this.#deps.secrets.open(source.secret_sealed)] : [];
    if (source.previous_secret_sealed && source.previous_secret_expires_at && source.previous_secret_expires_at.getTime() > now) {
      secrets.push(this.#deps.secrets.open(source.previous_secret_sealed));
    }
    return secrets;
  }

  async #store(write: IngestWrite): Promise<IngestWriteResult | null> {
    try {
      const result = await this.#writer.submit(write);
      this.#deps.onStored?.({ request: write.request, result });
      return result;
    } catch (err) {
      this.#deps.log.error({ err }, 'ingest: storing the request failed');
      return null;
    }
  }
}
