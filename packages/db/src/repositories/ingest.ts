import { sql } from 'kysely';
import { type Db, PREPARED } from '../database.ts';
import type { NewEvent, NewRequest } from '../tables.ts';
import { countEventsCte, countRequestsCte } from './stats.ts';

/** One request as ingest stores it: always the request row, and the event if it carried one. */
export interface IngestWrite {
  request: NewRequest;
  event?: NewEvent;
  /**
   * The source's config_version the caller routed with (its cached source and destinations).
   * If the source changed since, nothing of the write is stored and it comes back `stale`.
   */
  configVersion?: string;
  /** The deliveries to create if the event is new: the caller's fan-out. */
  deliveries?: FannedOutDelivery[];
}

export interface FannedOutDelivery {
  id: string;
  destination_id: string;
  /** For a destination ordering per object: its object (see objectKey), and its ordering window, after which it is due. */
  object_key?: string | null;
  delay_ms?: number;
}

/** A delivery ingest created: what a worker needs to schedule it without reading it back. */
export interface CreatedDelivery {
  id: string;
  destinationId: string;
  tenantId: string;
  runAt: Date;
}

export interface IngestWriteResult {
  /** The source changed after the caller routed the write: nothing was stored; route it again. */
  stale: boolean;
  /** The stored event's id: the new one, or the first copy's on a duplicate. */
  eventId: string | null;
  duplicate: boolean;
  deliveries: CreatedDelivery[];
  /** With `readUsage`: the bytes the write's tenant stored before this batch. */
  storedBytes?: number | undefined;
}

export interface IngestBatchOptions {
  /** Read each tenant's stored bytes back (for the storage budget), in the same statement. */
  readUsage?: boolean;
}

interface Outcome {
  ord: number;
  stale: boolean;
  inserted: boolean;
  stored_bytes: string | number | null;
}

const base64 = (body: Uint8Array | null | undefined) => (body ? Buffer.from(body).toString('base64') : null);

/** The writes (each with its place in the batch) as one JSON document: a single parameter whatever the batch size. */
function writesJson(writes: readonly IngestWrite[], ords: readonly number[] = writes.map((_, i) => i)): string {
  return JSON.stringify(
    ords.map((ord) => {
      const { request: r, event: e, configVersion, deliveries } = writes[ord] as IngestWrite;
      return {
        ord,
        id: r.id,
        tenant_id: r.tenant_id,
        source_id: r.source_id,
        ingest_key_hint: r.ingest_key_hint,
        received_at: r.received_at,
        method: r.method,
        headers: r.headers,
        body: base64(r.body),
        body_bytes: r.body_bytes,
        remote_ip: r.remote_ip,
        outcome: r.outcome,
        reason: r.reason,
        detail: r.detail,
        status_code: r.status_code,
        config_version: configVersion ?? null,
        event_id: e?.id ?? null,
        type: e?.type,
        provider: e?.provider,
        provider_event_id: e?.provider_event_id,
        provider_event_type: e?.provider_event_type,
        occurred_at: e?.occurred_at ?? null,
        payload: e?.payload,
        deliveries: deliveries ?? [],
      };
    }),
  );
}

const WRITE_COLUMNS = sql.raw(`ord int, id text, tenant_id text, source_id text, ingest_key_hint text, received_at timestamptz,
  method text, headers text, body text, body_bytes int, remote_ip text, outcome text, reason text, detail text, status_code int,
  config_version bigint, event_id text, type text, provider text, provider_event_id text, provider_event_type text,
  occurred_at timestamptz, payload text, deliveries json`);

/**
 * Stores a batch of ingested requests in one statement, so one round trip and one commit
 * serve the whole batch (batches grow under load: see GroupCommit). Deduplication is the
 * unique (source_id, provider_event_id) index: ON CONFLICT DO NOTHING lets simultaneous
 * copies race, in one batch or across statements, and exactly one wins. A duplicate's
 * request row is written by a second statement, whose snapshot sees the winning copy
 * even when that committed while the first statement ran.
 */
export async function storeIngestBatch(
  db: Db,
  writes: readonly IngestWrite[],
  options: IngestBatchOptions = {},
): Promise<IngestWriteResult[]> {
  const now = new Date();
  const { rows } = await ingestStatement(writes, now, options.readUsage ?? false).execute(db);

  const results: IngestWriteResult[] = writes.map(() => ({ stale: false, eventId: null, duplicate: false, deliveries: [] }));
  const duplicates: number[] = [];
  for (const row of rows) {
    const write = writes[row.ord] as IngestWrite;
    const result = results[row.ord] as IngestWriteResult;
    result.storedBytes = row.stored_bytes === null ? undefined : Number(row.stored_bytes);
    if (row.stale) result.stale = true;
    else if (row.inserted) {
      result.eventId = write.event?.id ?? null;
      const event = write.event;
      result.deliveries = event
        ? (write.deliveries ?? []).map((d) => ({
            id: d.id,
            destinationId: d.destination_id,
            tenantId: event.tenant_id,
            runAt: new Date(now.getTime() + (d.delay_ms ?? 0)),
          }))
        : [];
    } else duplicates.push(row.ord);
  }
  if (duplicates.length > 0) await storeDuplicates(db, writes, duplicates, results);
  return results;
}

/** The batch's one statement (see storeIngestBatch). */
export function ingestStatement(writes: readonly IngestWrite[], now: Date, readUsage: boolean) {
  const usage = readUsage ? sql`(select sum(u.stored_bytes) from tenant_usage u where u.tenant_id = w.tenant_id)` : sql`null::bigint`;
  return sql<Outcome>`${sql.raw(PREPARED)}
    with w as (select * from json_to_recordset(${writesJson(writes)}::json) as t(${WRITE_COLUMNS})),
    -- The batch's sources, share-locked until commit: events and deliveries have no foreign
    -- keys (migration 0019), so this is what keeps a source's delete, or a change to it or its
    -- destinations (which bumps its config_version), from interleaving with the write. One
    -- lock per source per batch, where the keys took five per event. A row changed meanwhile
    -- is read at its newest version, so the version test below sees the change.
    routed as (
      select s.id, s.config_version from sources s
      where s.id in (select w.source_id from w where w.config_version is not null)
      order by s.id
      for share
    ),
    fresh as (
      select * from w
      where w.config_version is null
         or exists (select 1 from routed s where s.id = w.source_id and s.config_version = w.config_version)
    ),
    new_events as (
      insert into events (id, tenant_id, source_id, request_id, type, provider, provider_event_id, provider_event_type, occurred_at, received_at, payload)
      select event_id, tenant_id, source_id, id, type, provider, provider_event_id, provider_event_type, occurred_at, received_at, payload
      from fresh where event_id is not null
      order by source_id, provider_event_id
      on conflict (source_id, provider_event_id) do nothing
      returning id
    ),
    kept as (select * from fresh where event_id is null or event_id in (select id from new_events)),
    new_deliveries as (
      insert into deliveries (id, tenant_id, event_id, destination_id, status, next_attempt_at, created_at, updated_at, object_key, occurred_at)
      select d.id, kept.tenant_id, kept.event_id, d.destination_id, 'pending',
             case when d.delay_ms is null then ${now} else ${now}::timestamptz + d.delay_ms * interval '1 millisecond' end,
             ${now}, ${now}, d.object_key, case when d.object_key is not null then coalesce(kept.occurred_at, kept.received_at) end
      from kept cross join lateral json_to_recordset(kept.deliveries) as d(id text, destination_id text, object_key text, delay_ms int)
      where kept.event_id is not null
    ),
    new_requests as (
      insert into requests (id, tenant_id, source_id, ingest_key_hint, received_at, method, headers, body, body_bytes, remote_ip, outcome, reason, detail, status_code, event_id)
      select id, tenant_id, source_id, ingest_key_hint, received_at, method, headers::jsonb, decode(body, 'base64'), body_bytes, remote_ip, outcome, reason, detail, status_code, event_id
      from kept
    ),
    announced as (
      insert into stream_entries (tenant_id, source_id, kind, ref_id)
      select kept.tenant_id, kept.source_id, a.kind, a.ref_id
      from kept cross join lateral (values (1, 'request', kept.id), (2, 'event', kept.event_id)) as a(n, kind, ref_id)
      where kept.tenant_id is not null and a.ref_id is not null
      order by kept.ord, a.n
    ),
    counted_requests as (${countRequestsCte('kept')}),
    counted_events as (${countEventsCte('kept')})
    select w.ord,
           w.ord not in (select ord from fresh) as stale,
           w.ord in (select ord from kept) as inserted,
           ${usage} as stored_bytes
    from w`;
}

/** Request rows (and their stream entries) for copies of events already stored: each names the first copy. */
async function storeDuplicates(db: Db, writes: readonly IngestWrite[], ords: number[], results: IngestWriteResult[]) {
  const { rows } = await sql<{ ord: number; first_id: string | null }>`${sql.raw(PREPARED)}
    with w as (select * from json_to_recordset(${writesJson(writes, ords)}::json) as t(${WRITE_COLUMNS})),
    found as (
      select w.*, e.id as first_id from w
      left join events e on e.source_id = w.source_id and e.provider_event_id = w.provider_event_id
    ),
    new_requests as (
      insert into requests (id, tenant_id, source_id, ingest_key_hint, received_at, method, headers, body, body_bytes, remote_ip, outcome, reason, detail, status_code, event_id)
      select id, tenant_id, source_id, ingest_key_hint, received_at, method, headers::jsonb, decode(body, 'base64'), body_bytes, remote_ip, 'duplicate', reason, detail, status_code, first_id
      from found
    ),
    announced as (
      insert into stream_entries (tenant_id, source_id, kind, ref_id)
      select tenant_id, source_id, 'request', id from found where tenant_id is not null order by ord
    ),
    counted as (${countRequestsCte('found', "'duplicate'")})
    select ord, first_id from found`.execute(db);
  for (const row of rows) {
    const result = results[row.ord] as IngestWriteResult;
    result.duplicate = true;
    result.eventId = row.first_id;
  }
}
