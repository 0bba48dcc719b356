import { sql } from 'kysely';
import { type Db, PREPARED } from '../database.ts';
import type { NewEvent, NewRequest } from '../tables.ts';
import type { ClaimedDelivery } from './deliveries.ts';
import { type BreakerSettings, isDue } from './scheduler.ts';
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
  /** New deliveries to schedule (a worker claims them). */
  deliveries: CreatedDelivery[];
  /** New deliveries the statement leased for the worker in this process (see IngestLease): to attempt now. */
  leased: ClaimedDelivery[];
  /** With `readUsage`: the bytes the write's tenant stored before this batch. */
  storedBytes?: number | undefined;
  /**
   * A duplicate whose request row could not be stored (the batch's second statement failed):
   * the request failed, and the provider will send it again. The batch's other writes
   * committed in its first statement and stand.
   */
  error?: unknown;
}

export interface IngestBatchOptions {
  /** Read each tenant's stored bytes back (for the storage budget), in the same statement. */
  readUsage?: boolean;
  /** Lease new deliveries for a worker in this process, in the same statement. */
  lease?: IngestLease | undefined;
}

/**
 * Free attempt slots of a worker in the ingesting process, lent to an ingest batch: the
 * statement that creates the batch's deliveries leases those it can, as a claim would
 * (scheduler.ts), and hands them back ready to attempt. A new event then reaches its
 * endpoints without a claim statement in between: the claim's round trip, and its turn on
 * an embedded database's one connection, were a third of an event's way under steady load.
 *
 * Only the plain case is leased here, so the claim's rules hold unchanged: a destination
 * that is active, has no rate limit, no breaker tripped or open, no ordering window (those
 * deliveries are not due yet), room under its in-flight cap, and no due delivery waiting
 * (which would go first: oldest first, as the claim takes them). Every other new delivery
 * is returned to be scheduled as before.
 */
export interface IngestLease {
  /** Most deliveries to lease: the worker's slots lent to this batch. */
  limit: number;
  leaseMs: number;
  /** Deliveries each tenant may have leased (its share of the worker's slots); none for a tenant not listed. */
  tenantAllowance: Readonly<Record<string, number>>;
  breaker: BreakerSettings;
}

/** Slots lent to one ingest batch: its lease, and what to do with the outcome. */
export interface IngestLeaseGrant {
  lease: IngestLease;
  /** The statement committed: attempt what it leased, take back the slots it did not use. */
  start(leased: readonly ClaimedDelivery[]): void;
  /** The statement failed: take back every slot. */
  cancel(): void;
}

/** A destination as a leased delivery's attempt needs it, read (locked) by the ingest statement. */
interface LeasedRow {
  id: string;
  destination_id: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: string | null;
  filter: Record<string, unknown> | null;
  transform: string | null;
}

interface Outcome {
  ord: number;
  stale: boolean;
  inserted: boolean;
  stored_bytes: string | number | null;
  leased: LeasedRow[] | null;
}

/**
 * The writes (each with its place in the batch) as one statement parameter, whatever the
 * batch size: the small fields as a JSON document, and each write's headers, body and
 * payload as byte ranges of one binary parameter. A JSON document made PostgreSQL lex those,
 * a request's largest fields, a character at a time (and the body first went to base64):
 * about a tenth of the ingest statement's time (issue 11). The ranges are 1-based, as SQL's
 * substring counts; null for a field the write does not have.
 */
interface WritesParams {
  json: string;
  blob: Buffer;
}

function writesParams(writes: readonly IngestWrite[], ords: readonly number[] = writes.map((_, i) => i)): WritesParams {
  const parts: Buffer[] = [];
  let size = 0;
  const place = (bytes: Buffer | null): [number | null, number | null] => {
    if (bytes === null) return [null, null];
    parts.push(bytes);
    size += bytes.length;
    return [size - bytes.length + 1, bytes.length];
  };
  const text = (value: string | null | undefined) => place(value == null ? null : Buffer.from(value, 'utf8'));
  const json = JSON.stringify(
    ords.map((ord) => {
      const { request: r, event: e, configVersion, deliveries } = writes[ord] as IngestWrite;
      const [headers_at, headers_len] = text(r.headers);
      const [body_at, body_len] = place(r.body ? Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength) : null);
      const [payload_at, payload_len] = text(e?.payload);
      return {
        ord,
        id: r.id,
        tenant_id: r.tenant_id,
        source_id: r.source_id,
        ingest_key_hint: r.ingest_key_hint,
        received_at: r.received_at,
        method: r.method,
        headers_at,
        headers_len,
        body_at,
        body_len,
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
        payload_at,
        payload_len,
        deliveries: deliveries ?? [],
      };
    }),
  );
  return { json, blob: Buffer.concat(parts, size) };
}

const WRITE_COLUMNS = sql.raw(`ord int, id text, tenant_id text, source_id text, ingest_key_hint text, received_at timestamptz,
  method text, headers_at int, headers_len int, body_at int, body_len int, body_bytes int, remote_ip text, outcome text,
  reason text, detail text, status_code int, config_version bigint, event_id text, type text, provider text,
  provider_event_id text, provider_event_type text, occurred_at timestamptz, payload_at int, payload_len int, deliveries json`);

/** The writes as rows `w`, with their headers, body and payload cut out of the binary parameter. */
function writesCte(params: WritesParams) {
  return sql`w as (
      select t.*,
        convert_from(substring(b.blob from t.headers_at for t.headers_len), 'UTF8') as headers,
        substring(b.blob from t.body_at for t.body_len) as body,
        convert_from(substring(b.blob from t.payload_at for t.payload_len), 'UTF8') as payload
      from (select ${params.blob}::bytea as blob) b, json_to_recordset(${params.json}::json) as t(${WRITE_COLUMNS})
    )`;
}

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
  const { rows } = await ingestStatement(writes, now, options.readUsage ?? false, options.lease).execute(db);

  const results: IngestWriteResult[] = writes.map(() => ({ stale: false, eventId: null, duplicate: false, deliveries: [], leased: [] }));
  const duplicates: number[] = [];
  for (const row of rows) {
    const write = writes[row.ord] as IngestWrite;
    const result = results[row.ord] as IngestWriteResult;
    result.storedBytes = row.stored_bytes === null ? undefined : Number(row.stored_bytes);
    if (row.stale) result.stale = true;
    else if (row.inserted) {
      result.eventId = write.event?.id ?? null;
      const event = write.event;
      if (!event) continue;
      const leased = new Set<string>();
      for (const l of row.leased ?? []) {
        leased.add(l.id);
        result.leased.push(leasedDelivery(event, l, now));
      }
      result.deliveries = (write.deliveries ?? [])
        .filter((d) => !leased.has(d.id))
        .map((d) => ({
          id: d.id,
          destinationId: d.destination_id,
          tenantId: event.tenant_id,
          runAt: new Date(now.getTime() + (d.delay_ms ?? 0)),
        }));
    } else duplicates.push(row.ord);
  }
  if (duplicates.length > 0) {
    try {
      await storeDuplicates(db, writes, duplicates, results);
    } catch (err) {
      // The first statement committed: its events, deliveries and leases are stored and are
      // answered as such (a throw here would fail them all, and leave their leased
      // deliveries unattempted until the leases lapsed). Only the duplicates failed.
      for (const ord of duplicates) (results[ord] as IngestWriteResult).error = err;
    }
  }
  return results;
}

/** A delivery the ingest statement leased, as a claim would have returned it: its event is the write's, in memory. */
function leasedDelivery(event: NewEvent, row: LeasedRow, now: Date): ClaimedDelivery {
  return {
    id: row.id,
    tenant_id: event.tenant_id,
    event_id: event.id,
    destination_id: row.destination_id,
    attempt_count: 0,
    // The version the attempt's record checks: the row's updated_at, set from `now` on insert.
    updated_at: now,
    payload: event.payload,
    type: event.type,
    provider: event.provider,
    source_id: event.source_id,
    url: row.url,
    secret_sealed: row.secret_sealed,
    previous_secret_sealed: row.previous_secret_sealed,
    previous_secret_expires_at: row.previous_secret_expires_at === null ? null : new Date(row.previous_secret_expires_at),
    filter: row.filter,
    transform: row.transform,
    headers: null,
    // The write's fan-out checked it, with the routing this statement found current.
    filterChecked: true,
  };
}

/**
 * The lease's part of the ingest statement (see IngestLease), over `fanned` (the new
 * deliveries). The destinations are locked as a claim locks them, but SKIP LOCKED: one a
 * claim (or an edit) holds is left to the claim path instead of making ingest wait, and ingest
 * never waits for a destination while holding its sources' locks. The leases are counted
 * after the lock with a snapshot of their own (hookline_leased_now), as the claim counts them.
 */
function leaseCtes(lease: IngestLease | undefined) {
  if (!lease) return sql``;
  return sql`lease_dest as (
      select d.id, d.max_in_flight, d.url, d.secret_sealed, d.previous_secret_sealed, d.previous_secret_expires_at, d.filter, d.transform
      from destinations d
      where d.id in (select f.destination_id from fanned f where f.delay_ms is null)
        and d.status = 'active' and d.rate_limit is null and d.consecutive_failures < ${lease.breaker.threshold}
        and (d.breaker_open_until is null or d.breaker_open_until <= now())
      order by d.id
      for no key update skip locked
    ),
    lease_room as (
      select ld.*, ld.max_in_flight - hookline_leased_now(ld.id) as room from lease_dest ld
      where not exists (
        select 1 from deliveries x
        where x.destination_id = ld.id and x.status = 'pending' and ${isDue('x')} and (x.locked_until is null or x.locked_until < now())
      )
    ),
    lease_fit as (
      select f.*, row_number() over (partition by f.tenant_id order by f.ord, f.id) as tn
      from (
        select f.id, f.ord, f.tenant_id, f.destination_id, r.room,
               row_number() over (partition by f.destination_id order by f.ord, f.id) as dn
        from fanned f join lease_room r on r.id = f.destination_id
        where f.delay_ms is null
      ) f
      where f.dn <= f.room
    ),
    lease_pick as (
      select id, destination_id from lease_fit
      where tn <= coalesce((${JSON.stringify(lease.tenantAllowance)}::jsonb ->> tenant_id)::int, 0)
      order by ord, id
      limit ${lease.limit}
    ),`;
}

/** The batch's one statement (see storeIngestBatch). */
export function ingestStatement(writes: readonly IngestWrite[], now: Date, readUsage: boolean, lease?: IngestLease) {
  const usage = readUsage ? sql`(select sum(u.stored_bytes) from tenant_usage u where u.tenant_id = w.tenant_id)` : sql`null::bigint`;
  const lockedUntil = lease
    ? sql`case when f.id in (select id from lease_pick) then now() + make_interval(secs => ${lease.leaseMs / 1000}::float8) end`
    : sql`null::timestamptz`;
  const leased = lease
    ? sql`(select json_agg(json_build_object('id', p.id, 'destination_id', p.destination_id, 'url', r.url,
          'secret_sealed', r.secret_sealed, 'previous_secret_sealed', r.previous_secret_sealed,
          'previous_secret_expires_at', r.previous_secret_expires_at, 'filter', r.filter, 'transform', r.transform))
        from lease_pick p join fanned f on f.id = p.id join lease_room r on r.id = p.destination_id where f.ord = w.ord)`
    : sql`null::json`;
  return sql<Outcome>`${sql.raw(PREPARED)}
    with ${writesCte(writesParams(writes))},
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
    fanned as (
      select d.id, kept.ord, kept.tenant_id, kept.event_id, d.destination_id, d.object_key, d.delay_ms,
             case when d.object_key is not null then coalesce(kept.occurred_at, kept.received_at) end as occurred_at
      from kept cross join lateral json_to_recordset(kept.deliveries) as d(id text, destination_id text, object_key text, delay_ms int)
      where kept.event_id is not null
    ),
    ${leaseCtes(lease)}
    new_deliveries as (
      insert into deliveries (id, tenant_id, event_id, destination_id, status, next_attempt_at, created_at, updated_at, object_key, occurred_at, locked_until)
      select f.id, f.tenant_id, f.event_id, f.destination_id, 'pending',
             case when f.delay_ms is null then ${now} else ${now}::timestamptz + f.delay_ms * interval '1 millisecond' end,
             ${now}, ${now}, f.object_key, f.occurred_at, ${lockedUntil}
      from fanned f
    ),
    new_requests as (
      insert into requests (id, tenant_id, source_id, ingest_key_hint, received_at, method, headers, body, body_bytes, remote_ip, outcome, reason, detail, status_code, event_id)
      select id, tenant_id, source_id, ingest_key_hint, received_at, method, headers::jsonb, body, body_bytes, remote_ip, outcome, reason, detail, status_code, event_id
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
           ${usage} as stored_bytes,
           ${leased} as leased
    from w`;
}

/** Request rows (and their stream entries) for copies of events already stored: each names the first copy. */
async function storeDuplicates(db: Db, writes: readonly IngestWrite[], ords: number[], results: IngestWriteResult[]) {
  const { rows } = await sql<{ ord: number; first_id: string | null }>`${sql.raw(PREPARED)}
    with ${writesCte(writesParams(writes, ords))},
    found as (
      select w.*, e.id as first_id from w
      left join events e on e.source_id = w.source_id and e.provider_event_id = w.provider_event_id
    ),
    new_requests as (
      insert into requests (id, tenant_id, source_id, ingest_key_hint, received_at, method, headers, body, body_bytes, remote_ip, outcome, reason, detail, status_code, event_id)
      select id, tenant_id, source_id, ingest_key_hint, received_at, method, headers::jsonb, body, body_bytes, remote_ip, 'duplicate', reason, detail, status_code, first_id
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
