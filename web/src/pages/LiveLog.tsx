import { REPLAYED_DELIVERY_STATUSES } from '@hookline/core/event-status';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type EventFilters, type EventStatus, errorText, type RequestItem, type Source } from '../api.ts';
import { Badge, CopyButton, Empty, ErrorBox, Icon, Modal, StatusBadge, toast, useConfirm } from '../components.tsx';
import { destinations, sources, useResource } from '../data.ts';
import { bytes, clock, count, dateTime, plural } from '../format.ts';
import {
  deliveryBadge,
  LogStore,
  matchesFilter,
  type Row,
  type RowFilter,
  type RowStatus,
  reasonText,
  verificationBadge,
} from '../log-store.ts';
import { KNOWN_TYPES, providerName } from '../providers.ts';
import { href, navigate } from '../router.ts';
import { useStream } from '../stream.ts';
import { useRowHeight, VirtualList } from '../VirtualList.tsx';
import { NewSourceButton } from './Sources.tsx';

const EVENT_STATUSES: readonly EventStatus[] = ['delivered', 'pending', 'failed', 'no_destinations'];
const STATUS_OPTIONS: { value: RowStatus | ''; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'delivered', label: 'Delivered' },
  { value: 'pending', label: 'Pending or retrying' },
  { value: 'failed', label: 'Failed' },
  { value: 'no_destinations', label: 'No destinations' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'duplicate', label: 'Duplicate' },
  { value: 'probe', label: 'Probe' },
];
const RANGES: { value: string; label: string; ms: number }[] = [
  { value: '', label: 'Any time', ms: 0 },
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
];
const PAGE = 100;

export interface LogParams {
  source: string;
  type: string;
  status: RowStatus | '';
  q: string;
  range: string;
}

function isEventStatus(s: string): s is EventStatus {
  return (EVENT_STATUSES as readonly string[]).includes(s);
}

function sinceOf(range: string): string | undefined {
  const ms = RANGES.find((r) => r.value === range)?.ms;
  return ms ? new Date(Date.now() - ms).toISOString() : undefined;
}

function RequestDetail({ request, source, onClose }: { request: RequestItem; source: Source | undefined; onClose: () => void }) {
  const badge = verificationBadge({
    key: request.id,
    at: request.received_at,
    sourceId: request.source_id,
    request,
    deliveries: [],
    changedAt: 0,
  });
  return (
    <Modal title="Request" onClose={onClose} wide>
      <dl class="meta">
        <dt>Outcome</dt>
        <dd>
          <Badge tone={badge.tone}>{request.outcome}</Badge> <span class="muted">answered {request.status_code}</span>
        </dd>
        {request.reason && (
          <>
            <dt>Reason</dt>
            <dd>
              <strong>{reasonText(request.reason)}</strong>
              {request.detail && <div class="muted">{request.detail}</div>}
            </dd>
          </>
        )}
        <dt>Received</dt>
        <dd>{dateTime(request.received_at)}</dd>
        <dt>Source</dt>
        <dd>{source ? `${source.name} (${providerName(source.provider)})` : (request.source_id ?? 'unknown')}</dd>
        <dt>Body</dt>
        <dd>
          {request.method} · {bytes(request.body_bytes)}
          {request.remote_ip && ` · from ${request.remote_ip}`}
        </dd>
        <dt>Request id</dt>
        <dd>
          <code>{request.id}</code> <CopyButton text={request.id} compact label="Copy request id" />
        </dd>
        {request.event_id && (
          <>
            <dt>Event</dt>
            <dd>
              <a href={href(`/events/${request.event_id}`)} onClick={onClose}>
                {request.outcome === 'duplicate' ? 'Open the original event' : 'Open the event'}
              </a>
            </dd>
          </>
        )}
      </dl>
      <h3 class="card-subtitle">Headers</h3>
      <HeaderTable headers={request.headers} />
    </Modal>
  );
}

export function HeaderTable({ headers }: { headers: Record<string, string> }) {
  const entries = Object.entries(headers).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div class="table-wrap">
      <table class="table kv">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">
                <code>{k}</code>
              </th>
              <td>
                <code class="wrap">{v}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What a row without an event says in the type column: why it was rejected, or what it was. */
function RequestSummary({ request }: { request: RequestItem | undefined }) {
  if (!request) return null;
  const size = `${request.method} · ${bytes(request.body_bytes)}`;
  if (request.outcome === 'rejected') {
    return (
      <span class="reason">
        {reasonText(request.reason)} <span class="muted">· {request.status_code}</span>
      </span>
    );
  }
  if (request.outcome === 'duplicate') return <span class="muted">already received · {size}</span>;
  if (request.outcome === 'probe') return <span class="muted">reachability check · {size}</span>;
  return <span class="muted">{size}</span>;
}

function StreamIndicator({ state }: { state: 'connecting' | 'live' | 'reconnecting' }) {
  const label = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span class={`live-indicator is-${state}`} role="status" title={state === 'live' ? 'New requests appear as they arrive' : undefined}>
      <span class="live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}

export function LiveLogPage({ params }: { params: LogParams }) {
  const allSources = useResource(sources);
  const dests = useResource(destinations);
  const destinationList = dests.value ?? [];
  const sourceById = useMemo(() => new Map((allSources.value ?? []).map((s) => [s.id, s])), [allSources.value]);
  const store = useMemo(() => new LogStore(), []);
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [cursors, setCursors] = useState<{ events: string | null; requests: string | null }>({ events: null, requests: null });
  const [unseen, setUnseen] = useState(0);
  const [toTop, setToTop] = useState(0);
  const [openRequest, setOpenRequest] = useState<RequestItem | null>(null);
  const [search, setSearch] = useState(params.q);
  const [confirmEl, confirm] = useConfirm();
  const searchRef = useRef<HTMLInputElement>(null);
  const rowHeight = useRowHeight(40, 60);
  const generation = useRef(0);
  const hydrated = useRef(new Set<string>());

  useEffect(() => setSearch(params.q), [params.q]);
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);

  const setParam = (changes: Partial<LogParams>) => {
    const next = { ...params, ...changes };
    navigate(href('/logs', { source: next.source, type: next.type, status: next.status, q: next.q, range: next.range }), { replace: true });
  };

  const since = sinceOf(params.range);
  const wantEvents = !params.status || isEventStatus(params.status);
  const wantRequests = !params.type && !params.q && (!params.status || !isEventStatus(params.status));

  const loadPage = async (more: boolean) => {
    const gen = generation.current;
    setLoading(true);
    try {
      const eventQuery: EventFilters = {
        limit: PAGE,
        source_id: params.source || undefined,
        type: params.type || undefined,
        status: params.status && isEventStatus(params.status) ? params.status : undefined,
        q: params.q || undefined,
        since: params.range ? since : undefined,
      };
      const [events, requests] = await Promise.all([
        wantEvents && (!more || cursors.events)
          ? api.get('/v1/events', { query: { ...eventQuery, cursor: more ? (cursors.events ?? undefined) : undefined } })
          : null,
        wantRequests && (!more || cursors.requests)
          ? api.get('/v1/requests', {
              query: {
                limit: PAGE,
                source_id: params.source || undefined,
                outcome: params.status && !isEventStatus(params.status) ? params.status : undefined,
                cursor: more ? (cursors.requests ?? undefined) : undefined,
              },
            })
          : null,
      ]);
      if (gen !== generation.current) return;
      // Accepted requests only add to their event's row; one whose event is not loaded would be a row with no event.
      const known = new Set(events?.data.map((e) => e.id));
      const reqs = (requests?.data ?? []).filter(
        (r) =>
          (r.outcome !== 'accepted' || (r.event_id && (known.has(r.event_id) || store.has(r.event_id)))) &&
          (!since || r.received_at >= since),
      );
      store.load(events?.data ?? [], reqs);
      setCursors({ events: events?.next_cursor ?? null, requests: requests?.next_cursor ?? null });
      setError(null);
    } catch (err) {
      if (gen === generation.current) setError(err);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  };

  // New filters: start over. History is read once the stream is connected (the stream starts
  // from the moment it connects), so nothing falls between the two; rows in both merge.
  const filterKey = `${params.source}|${params.type}|${params.status}|${params.q}|${params.range}`;
  const streamFor = useRef<string | null>(null);
  const streamSource = useRef(params.source);
  const waiting = useRef(false);
  useEffect(() => {
    // Another source means another stream, not connected yet.
    if (streamSource.current !== params.source) streamFor.current = null;
    streamSource.current = params.source;
    generation.current++;
    store.clear();
    setUnseen(0);
    setCursors({ events: null, requests: null });
    if (streamFor.current === params.source) {
      void loadPage(false);
      return;
    }
    // A new stream (another source) is connecting; if it is slow, read history anyway.
    waiting.current = true;
    setLoading(true);
    const fallback = setTimeout(() => {
      if (waiting.current) {
        waiting.current = false;
        void loadPage(false);
      }
    }, 3000);
    return () => clearTimeout(fallback);
  }, [filterKey]);

  const streamState = useStream(
    {
      sourceId: params.source || undefined,
      onOpen: () => {
        streamFor.current = params.source;
        if (waiting.current) {
          waiting.current = false;
          void loadPage(false);
        }
      },
    },
    (messages) => store.apply(messages, { live: true }),
  );

  const filter: RowFilter = { type: params.type, status: params.status, q: params.q };
  const rows = useMemo(
    () => store.rows.filter((r) => matchesFilter(r, filter, destinationList) && (!since || r.at >= since)),
    [version, filterKey, destinationList],
  );
  // History rows know only "pending" or "failed": read the deliveries of those in view, to show
  // "retrying, next at …" and the last answer.
  const hydrate = (start: number, end: number) => {
    const wanted = rows
      .slice(start, end)
      .filter((r) => r.event && (r.listStatus === 'pending' || r.listStatus === 'failed') && r.deliveries.length === 0)
      .filter((r) => !hydrated.current.has(r.key))
      .slice(0, 12);
    for (const row of wanted) {
      hydrated.current.add(row.key);
      api.get('/v1/events/{id}', { path: { id: row.key } }).then(
        (detail) => store.hydrate(row.key, detail.deliveries),
        () => {},
      );
    }
  };

  const hasMore = Boolean((wantEvents && cursors.events) || (wantRequests && cursors.requests));
  const filtered = Boolean(params.type || params.status || params.q || params.range);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const replay = async () => {
    const source = params.source ? sourceById.get(params.source) : undefined;
    const parts = [
      source ? `source "${source.name}"` : 'every source',
      params.type ? `type ${params.type}` : 'every type',
      params.status ? `status ${params.status.replace('_', ' ')}` : 'any status',
      params.range ? RANGES.find((r) => r.value === params.range)?.label.toLowerCase() : 'any time',
      ...(params.q ? [`search "${params.q}"`] : []),
    ];
    // The same selection drives the preview and the replay job, so the count shown is what gets replayed.
    const status = params.status && isEventStatus(params.status) && params.status !== 'no_destinations' ? params.status : undefined;
    const filter = {
      source_id: params.source || undefined,
      types: params.type ? [params.type] : undefined,
      // An event's status stands for its deliveries': replay those in that state.
      status: status && [...REPLAYED_DELIVERY_STATUSES[status]],
      q: params.q || undefined,
      since,
    };
    let total: number;
    try {
      total = (await api.post('/v1/replays/preview', { body: { filter } })).total;
    } catch (err) {
      toast(errorText(err), 'bad');
      return;
    }
    if (total === 0) {
      toast('No events match: nothing to replay.');
      return;
    }
    const ok = await confirm({
      title: `Replay ${plural(total, 'delivery', 'deliveries')}?`,
      body: (
        <>
          <p class="replay-preview">
            <strong data-testid="replay-preview">{count(total)}</strong> {total === 1 ? 'delivery' : 'deliveries'} of the events matching{' '}
            <strong>{parts.join(', ')}</strong> get one more attempt, with the same webhook-id, so receivers that deduplicate stay safe. The
            replay runs in the background; follow or cancel it under Dead letters.
          </p>
        </>
      ),
      confirm: 'Replay events',
    });
    if (!ok) return;
    try {
      const job = await api.post('/v1/replays', { body: { filter } });
      toast(`Replaying ${plural(job.total, 'delivery', 'deliveries')}: follow it under Dead letters.`);
    } catch (err) {
      toast(errorText(err), 'bad');
    }
  };
  const replayBlocked =
    params.status === 'no_destinations'
      ? 'Events with no destinations have no deliveries to replay.'
      : params.status && !isEventStatus(params.status)
        ? 'Rejected, duplicate and probe requests have no deliveries to replay.'
        : null;

  const renderRow = (row: Row) => {
    const source = row.sourceId ? sourceById.get(row.sourceId) : undefined;
    const verification = verificationBadge(row);
    const delivery = deliveryBadge(row, destinationList, clock);
    const fresh = row.changedAt > Date.now() - 2000;
    const content = (
      <>
        <span class="c-time" title={dateTime(row.at)}>
          {clock(row.at)}
        </span>
        <span class="c-verify">
          <StatusBadge badge={verification} />
        </span>
        <span class="c-type mono" title={row.event?.type ?? row.request?.detail ?? undefined}>
          {row.event?.type ?? <RequestSummary request={row.request} />}
        </span>
        <span class="c-id mono muted" title={row.event ? `Provider event id ${row.event.provider_event.id}` : (row.request?.id ?? '')}>
          {row.event?.provider_event.id ?? row.request?.id}
        </span>
        <span class="c-source" title={source ? providerName(source.provider) : undefined}>
          {source && <span class={`provider-dot provider-${source.provider}`} aria-hidden="true" />}
          {source?.name ?? row.event?.provider ?? ''}
        </span>
        <span class="c-delivery">
          <StatusBadge badge={delivery} />
        </span>
      </>
    );
    const cls = `log-row ${fresh ? 'is-fresh' : ''} tone-${verification.tone === 'bad' ? 'bad' : (delivery?.tone ?? verification.tone)}`;
    if (row.event) {
      return (
        <a class={cls} href={href(`/events/${row.event.id}`)} data-event-id={row.event.id}>
          {content}
        </a>
      );
    }
    return (
      <button type="button" class={cls} onClick={() => row.request && setOpenRequest(row.request)}>
        {content}
      </button>
    );
  };

  const noSources = allSources.value && allSources.value.length === 0;
  // The catalogue's types, plus any others seen (a provider's new or custom types).
  const types = useMemo(() => {
    const seen = new Set(KNOWN_TYPES);
    for (const r of store.rows) if (r.event) seen.add(r.event.type);
    if (params.type) seen.add(params.type);
    return [...seen].sort();
  }, [version, params.type]);
  const oneSource = params.source ? sourceById.get(params.source) : undefined;

  return (
    <div class="log-page">
      {confirmEl}
      {openRequest && (
        <RequestDetail
          request={openRequest}
          source={openRequest.source_id ? sourceById.get(openRequest.source_id) : undefined}
          onClose={() => setOpenRequest(null)}
        />
      )}
      <header class="page-header compact">
        <div class="page-title">
          <h1>{oneSource ? `Live log · ${oneSource.name}` : 'Live log'}</h1>
          <p class="subtitle">Requests, events and delivery attempts, as they happen.</p>
        </div>
        <div class="page-actions">
          <StreamIndicator state={streamState} />
          <button
            type="button"
            class="btn"
            onClick={replay}
            disabled={Boolean(replayBlocked)}
            title={replayBlocked ?? 'Redeliver every event matching the filters'}
          >
            <Icon name="retry" /> Replay…
          </button>
        </div>
      </header>

      <div class="toolbar">
        <label class="sr-only" for="f-source">
          Source
        </label>
        <select id="f-source" value={params.source} onChange={(e) => setParam({ source: e.currentTarget.value })}>
          <option value="">All sources</option>
          {(allSources.value ?? []).map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({providerName(s.provider)})
            </option>
          ))}
        </select>
        <label class="sr-only" for="f-type">
          Event type
        </label>
        <select id="f-type" value={params.type} onChange={(e) => setParam({ type: e.currentTarget.value })}>
          <option value="">All types</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label class="sr-only" for="f-status">
          Status
        </label>
        <select id="f-status" value={params.status} onChange={(e) => setParam({ status: e.currentTarget.value as RowStatus | '' })}>
          {STATUS_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <label class="sr-only" for="f-range">
          Time
        </label>
        <select id="f-range" value={params.range} onChange={(e) => setParam({ range: e.currentTarget.value })}>
          {RANGES.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            setParam({ q: search.trim() });
          }}
        >
          <Icon name="search" size={14} />
          <input
            ref={searchRef}
            class="search-input"
            type="search"
            placeholder="data.passthrough:abc, object.id:…, an event id  ( / )"
            aria-label="Search events: field:value terms on the event (data.passthrough:abc, object.id:xyz, type:…) or an event id"
            value={search}
            spellcheck={false}
            onInput={(e) => {
              setSearch(e.currentTarget.value);
              if (e.currentTarget.value === '' && params.q) setParam({ q: '' });
            }}
          />
        </form>
        {filtered && (
          <button
            type="button"
            class="btn btn-ghost btn-sm"
            onClick={() => navigate(href('/logs', { source: params.source }), { replace: true })}
          >
            Clear filters
          </button>
        )}
      </div>

      <ErrorBox error={error} onRetry={() => loadPage(false)} />

      {noSources ? (
        <Empty icon="sources" title="No sources yet" action={<NewSourceButton />}>
          <p>
            The live log shows what your providers send. Create a source first, then paste its ingest URL into the provider's dashboard.
          </p>
        </Empty>
      ) : rows.length === 0 && !loading ? (
        filtered ? (
          <Empty
            icon="search"
            title="Nothing matches these filters"
            action={
              <button type="button" class="btn" onClick={() => navigate(href('/logs', { source: params.source }), { replace: true })}>
                Clear filters
              </button>
            }
          >
            <p>New matching requests will still appear here as they arrive.</p>
          </Empty>
        ) : (
          <Empty icon="live" title="Waiting for the first webhook…">
            <p>
              This page updates by itself. Trigger an event in {oneSource ? providerName(oneSource.provider) : 'your provider'} (in Mux,
              upload a video or use "Send test event" on the webhook), or send one to the ingest URL.
            </p>
            {oneSource && (
              <div class="empty-url">
                <code class="truncate">{oneSource.ingest_url}</code>
                <CopyButton text={oneSource.ingest_url} label="Copy ingest URL" />
              </div>
            )}
            <p class="muted">Requests that fail verification show up too, with the reason.</p>
          </Empty>
        )
      ) : (
        <div class="log">
          <div class="log-head" aria-hidden="true">
            <span class="c-time">Time</span>
            <span class="c-verify">Request</span>
            <span class="c-type">Type</span>
            <span class="c-id">Provider event id</span>
            <span class="c-source">Source</span>
            <span class="c-delivery">Delivery</span>
          </div>
          {unseen > 0 && (
            <button
              type="button"
              class="new-pill"
              onClick={() => {
                setToTop((n) => n + 1);
                setUnseen(0);
              }}
            >
              ↑ {count(unseen)} new
            </button>
          )}
          <VirtualList
            items={rows}
            itemKey={(r) => r.key}
            rowHeight={rowHeight}
            renderRow={renderRow}
            label="Live log"
            scrollToTop={toTop}
            onRange={hydrate}
            onUnseen={(n) => setUnseen((u) => (n === 0 ? 0 : u + n))}
            onNearEnd={() => {
              if (hasMore && !loading) void loadPage(true);
            }}
          />
          <div class="log-foot">
            <span>
              {count(rows.length)} {rows.length === 1 ? 'row' : 'rows'}
            </span>
            {loading && <span class="muted">Loading…</span>}
            {hasMore && !loading && (
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => loadPage(true)}>
                Load older
              </button>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
