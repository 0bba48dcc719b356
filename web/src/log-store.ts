import { type EventQueryTerm, matchesEventQuery, parseEventQuery } from '@hookline/core/event-query';
import { matchesEventTypes } from '@hookline/core/event-types';
import type {
  Delivery,
  DeliveryStatus,
  Destination,
  EventStatus,
  RequestItem,
  RequestOutcome,
  StreamAttempt,
  StreamEvent,
  StreamMessage,
} from './api.ts';

/** One delivery of a row's event, as its latest attempt left it. */
export interface DeliveryState {
  id: string;
  destinationId: string;
  status: DeliveryStatus;
  nextAttemptAt: string | null;
  attempts: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One line of the live log: an ingest request and, when it was accepted, the event it made
 * and that event's deliveries. Rows are keyed by event id (accepted) or request id (rejected,
 * duplicate, probe), so the request, event and attempt messages of one webhook merge.
 */
export interface Row {
  key: string;
  at: string;
  sourceId: string | null;
  request?: RequestItem;
  event?: StreamEvent;
  /** The event's status from the list endpoint, until live attempts say more. */
  listStatus?: EventStatus;
  deliveries: DeliveryState[];
  /** When the row last changed here (ms), to highlight fresh rows. */
  changedAt: number;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';
export interface Badge {
  tone: Tone;
  label: string;
  detail?: string;
  title?: string;
}

/** What the status filter matches: an event status or a request outcome. */
export type RowStatus = EventStatus | Exclude<RequestOutcome, 'accepted'>;

const MAX_ROWS = 50_000;

export class LogStore {
  rows: Row[] = [];
  version = 0;
  private byKey = new Map<string, Row>();
  private listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear() {
    this.rows = [];
    this.byKey.clear();
    this.changed();
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Applies messages in one go and notifies once. Returns how many rows were new. */
  apply(messages: StreamMessage[], options: { live?: boolean } = {}): number {
    const before = this.rows.length;
    const now = options.live ? Date.now() : 0;
    const added: Row[] = [];
    for (const message of messages) {
      if (message.kind === 'request') this.request(message.data, now, added);
      else if (message.kind === 'event') this.event(message.data, undefined, now, added);
      else this.attempt(message.data, now);
    }
    this.insert(added);
    this.changed();
    return this.rows.length - before;
  }

  /** History from the list endpoints (older rows, with list statuses). */
  load(events: (StreamEvent & { status?: EventStatus })[], requests: RequestItem[]) {
    const added: Row[] = [];
    for (const e of events) this.event(e, e.status, 0, added);
    for (const r of requests) this.request(r, 0, added);
    this.insert(added);
    this.changed();
  }

  private row(key: string, at: string, sourceId: string | null, now: number, added: Row[]): Row {
    let row = this.byKey.get(key);
    if (!row) {
      row = { key, at, sourceId, deliveries: [], changedAt: now };
      this.byKey.set(key, row);
      added.push(row);
    } else if (now) row.changedAt = now;
    return row;
  }

  private request(r: RequestItem, now: number, added: Row[]) {
    const key = r.outcome === 'accepted' && r.event_id ? r.event_id : r.id;
    const row = this.row(key, r.received_at, r.source_id, now, added);
    row.request = r;
  }

  private event(e: StreamEvent, status: EventStatus | undefined, now: number, added: Row[]) {
    const row = this.row(e.id, e.received_at, e.source_id, now, added);
    // The event's received_at is the request's; keep the row where it is.
    row.event = e;
    if (status) row.listStatus = status;
  }

  private attempt(a: StreamAttempt, now: number) {
    const row = this.byKey.get(a.event_id);
    if (!row) return;
    if (now) row.changedAt = now;
    const state: DeliveryState = {
      id: a.delivery_id,
      destinationId: a.destination_id,
      status: a.delivery_status,
      nextAttemptAt: a.next_attempt_at,
      attempts: a.number,
      statusCode: a.status_code,
      error: a.error,
      durationMs: a.duration_ms,
    };
    const i = row.deliveries.findIndex((d) => d.id === a.delivery_id);
    if (i === -1) row.deliveries = [...row.deliveries, state];
    else if ((row.deliveries[i] as DeliveryState).attempts <= a.number) {
      row.deliveries = row.deliveries.map((d, j) => (j === i ? state : d));
    }
  }

  /** An event's deliveries as its detail tells them (history rows know only a one-word status). */
  hydrate(eventId: string, deliveries: readonly Delivery[]) {
    const row = this.byKey.get(eventId);
    if (!row) return;
    row.deliveries = deliveries.map((d) => {
      const last = d.attempts.at(-1);
      return {
        id: d.id,
        destinationId: d.destination_id,
        status: d.status,
        nextAttemptAt: d.next_attempt_at,
        attempts: d.attempt_count,
        statusCode: last?.status_code ?? null,
        error: last?.error ?? null,
        durationMs: last?.duration_ms ?? 0,
      };
    });
    this.changed();
  }

  /** Newest first; new rows are almost always newer than all others, so this is a prepend. */
  private insert(added: Row[]) {
    if (added.length === 0) return;
    added.sort(newestFirst);
    const first = this.rows[0];
    const last = added[added.length - 1] as Row;
    if (!first || newestFirst(last, first) <= 0) this.rows = [...added, ...this.rows];
    else this.rows = [...added, ...this.rows].sort(newestFirst);
    if (this.rows.length > MAX_ROWS) {
      for (const row of this.rows.splice(MAX_ROWS)) this.byKey.delete(row.key);
    }
  }

  private changed() {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}

function newestFirst(a: Row, b: Row): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
}

/**
 * How many deliveries an event of this type on this source surely makes (paused destinations
 * hold theirs). Destinations with a payload filter are not counted: only the server knows
 * whether the event matched, and their deliveries show up when attempted.
 */
export function expectedDeliveries(destinations: readonly Destination[], sourceId: string | null, type: string): number {
  return destinations.filter((d) => d.source_id === sourceId && d.filter === null && matchesEventTypes(d.event_types, type)).length;
}

const REASONS: Record<string, string> = {
  verification_failed: 'signature did not verify',
  unknown_source: 'unknown source',
  too_large: 'body too large',
  unparsable: 'body is not valid JSON',
};

export function reasonText(reason: string | null | undefined): string {
  if (!reason) return '';
  return REASONS[reason] ?? reason.replace(/_/g, ' ');
}

/** The verification column: verified, rejected with its reason, duplicate or probe. */
export function verificationBadge(row: Row): Badge {
  const r = row.request;
  if (r && r.outcome === 'rejected') {
    return { tone: 'bad', label: 'rejected', title: r.detail ?? reasonText(r.reason) };
  }
  if (r && r.outcome === 'duplicate') return { tone: 'muted', label: 'duplicate', title: 'Already received: no new deliveries' };
  if (r && r.outcome === 'probe') return { tone: 'muted', label: 'probe', title: "The provider's reachability check: no event" };
  return { tone: 'ok', label: 'verified', title: 'Signature verified, event stored' };
}

export function rowStatus(row: Row, destinations: readonly Destination[]): RowStatus {
  const outcome = row.request?.outcome;
  if (outcome === 'rejected' || outcome === 'duplicate' || outcome === 'probe') return outcome;
  return deliveryStatus(row, destinations);
}

function deliveryStatus(row: Row, destinations: readonly Destination[]): EventStatus {
  const ds = row.deliveries;
  if (ds.length > 0) {
    if (ds.some((d) => d.status === 'failed')) return 'failed';
    // A skipped delivery is settled: the destination's filter or transform chose not to send.
    if (ds.some((d) => d.status !== 'succeeded' && d.status !== 'skipped')) return 'pending';
    if (row.listStatus === 'failed' || row.listStatus === 'pending') {
      // Attempts seen for some deliveries only: the list's word still holds for the others.
      const expected = expectedDeliveries(destinations, row.sourceId, row.event?.type ?? '');
      if (ds.length < expected) return row.listStatus;
    }
    return 'delivered';
  }
  if (row.listStatus) return row.listStatus;
  if (row.event && expectedDeliveries(destinations, row.sourceId, row.event.type) === 0) return 'no_destinations';
  return 'pending';
}

/** The delivery column: delivered, retrying (with the next attempt's time), failed, queued… */
export function deliveryBadge(row: Row, destinations: readonly Destination[], clock: (iso: string) => string): Badge | null {
  if (!row.event) return row.request?.outcome === 'accepted' ? { tone: 'info', label: 'stored' } : null;
  const status = deliveryStatus(row, destinations);
  const ds = row.deliveries;
  const last = ds.length === 1 ? ds[0] : undefined;
  const result = (d: DeliveryState) => [d.statusCode ?? d.error ?? 'no answer', `${d.durationMs} ms`].join(' · ');
  switch (status) {
    case 'delivered':
      return { tone: 'ok', label: 'delivered', detail: last ? result(last) : ds.length > 1 ? `${ds.length} destinations` : undefined };
    case 'failed': {
      const failed = ds.find((d) => d.status === 'failed');
      return { tone: 'bad', label: 'failed', detail: failed ? result(failed) : undefined, title: failed?.error ?? undefined };
    }
    case 'no_destinations':
      return { tone: 'muted', label: 'no destinations', title: 'No destination of this source takes this type' };
    case 'pending': {
      const retrying = ds.find((d) => d.status === 'pending' && d.nextAttemptAt);
      if (retrying?.nextAttemptAt) {
        return {
          tone: 'warn',
          label: 'retrying',
          detail: `next ${clock(retrying.nextAttemptAt)}`,
          title: `Attempt ${retrying.attempts} answered ${retrying.statusCode ?? retrying.error ?? 'nothing'}; next attempt at ${clock(retrying.nextAttemptAt)}`,
        };
      }
      if (ds.some((d) => d.status === 'held')) return { tone: 'muted', label: 'held', title: 'Held: destination paused or disabled' };
      return { tone: 'info', label: ds.length > 0 || row.listStatus ? 'pending' : 'queued' };
    }
  }
}

export interface RowFilter {
  type?: string;
  status?: RowStatus | '';
  q?: string;
}

export function matchesFilter(row: Row, filter: RowFilter, destinations: readonly Destination[]): boolean {
  if (filter.type && row.event?.type !== filter.type) return false;
  if (filter.q) {
    const q = filter.q.trim();
    let terms: EventQueryTerm[];
    try {
      terms = parseEventQuery(q);
    } catch {
      return false;
    }
    const event = row.event as Record<string, unknown> | undefined;
    if (row.request?.id !== q && !(event && matchesEventQuery(terms, event))) return false;
  }
  if (filter.status && rowStatus(row, destinations) !== filter.status) return false;
  return true;
}
