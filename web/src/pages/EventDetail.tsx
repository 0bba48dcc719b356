import { useEffect, useRef, useState } from 'preact/hooks';
import { type Attempt, api, type Delivery, type EventDetail, errorText } from '../api.ts';
import { Badge, BodyView, CopyButton, ErrorBox, Icon, JsonBlock, Loading, Notice, PageHeader, toast, useNow } from '../components.tsx';
import { destinations, sources, useResource } from '../data.ts';
import { clock, dateTime, duration, relative } from '../format.ts';
import type { Tone } from '../log-store.ts';
import { describeType, providerName } from '../providers.ts';
import { href } from '../router.ts';
import { useStream } from '../stream.ts';
import { HeaderTable } from './LiveLog.tsx';

const STATUS_TONE: Record<EventDetail['status'], Tone> = { delivered: 'ok', pending: 'info', failed: 'bad', no_destinations: 'muted' };
const DELIVERY_TONE: Record<Delivery['status'], Tone> = {
  succeeded: 'ok',
  pending: 'warn',
  failed: 'bad',
  held: 'muted',
  skipped: 'muted',
};

function attemptTone(a: Attempt): Tone {
  if (a.status_code !== null && a.status_code >= 200 && a.status_code < 300) return 'ok';
  if (a.error?.startsWith('skipped:')) return 'muted';
  return 'bad';
}

/** Attempts that sent nothing (the destination's filter or transform decided) say so instead of "no answer". */
function attemptLabel(a: Attempt): string | number {
  if (a.status_code !== null) return a.status_code;
  if (a.error?.startsWith('skipped:')) return 'skipped';
  if (a.error?.startsWith('transform:')) return 'transform error';
  return 'no answer';
}

function AttemptItem({ attempt, latest }: { attempt: Attempt; latest: boolean }) {
  const tone = attemptTone(attempt);
  return (
    <li class={`attempt tone-${tone} ${latest ? 'is-latest' : ''}`} data-attempt={attempt.number}>
      <span class="attempt-marker" aria-hidden="true" />
      <div class="attempt-main">
        <div class="attempt-line">
          <strong>Attempt {attempt.number}</strong>
          <Badge tone={tone}>{attemptLabel(attempt)}</Badge>
          <span class="muted">{duration(attempt.duration_ms)}</span>
          <span class="spacer" />
          <time class="muted" dateTime={attempt.created_at} title={dateTime(attempt.created_at)}>
            {clock(attempt.created_at)}
          </time>
        </div>
        {attempt.error && <div class="attempt-error">{attempt.error}</div>}
        {attempt.response_excerpt && (
          <details class="attempt-response" open={latest && tone === 'bad'}>
            <summary>Response</summary>
            <pre class="code small">
              <code>{attempt.response_excerpt}</code>
            </pre>
          </details>
        )}
      </div>
    </li>
  );
}

function DeliveryCard({ delivery, url, now }: { delivery: Delivery; url: string | undefined; now: number }) {
  const label = delivery.status === 'pending' && delivery.attempt_count > 0 ? 'retrying' : delivery.status;
  return (
    <section class="card delivery" data-delivery={delivery.id}>
      <div class="card-head">
        <div class="delivery-title">
          <Icon name="destinations" size={14} />
          <code class="truncate">{url ?? delivery.destination_id}</code>
        </div>
        <Badge tone={DELIVERY_TONE[delivery.status]}>{label}</Badge>
      </div>
      <p class="muted small">
        {delivery.attempt_count === 0
          ? 'No attempt yet'
          : `${delivery.attempt_count} ${delivery.attempt_count === 1 ? 'attempt' : 'attempts'}`}
        {delivery.next_attempt_at && delivery.status === 'pending' && (
          <>
            {' '}
            · next attempt {relative(delivery.next_attempt_at, now)} ({clock(delivery.next_attempt_at)})
          </>
        )}
        {delivery.status === 'held' && delivery.held_reason !== 'ordering' && ' · held while the destination is paused or disabled'}
        {delivery.held_reason === 'ordering' && (
          <>
            {' '}
            · held: waiting for an earlier event of the same object
            {delivery.held_by_event_id && (
              <>
                {' '}
                (<a href={href(`/events/${delivery.held_by_event_id}`)}>{delivery.held_by_event_id}</a>) to be delivered
              </>
            )}
          </>
        )}
        {delivery.status === 'failed' && ' · gave up after the last scheduled retry'}
        {delivery.status === 'skipped' && " · not sent: the destination's filter no longer matches, or its transform returned null"}
      </p>
      {delivery.attempts.length > 0 && (
        <ol class="timeline">
          {delivery.attempts.map((a, i) => (
            <AttemptItem key={a.number} attempt={a} latest={i === delivery.attempts.length - 1} />
          ))}
        </ol>
      )}
    </section>
  );
}

type Tab = 'deliveries' | 'event' | 'request';

export function EventDetailPage({ id }: { id: string }) {
  const [detail, setDetail] = useState<EventDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tab, setTab] = useState<Tab>('deliveries');
  const [retrying, setRetrying] = useState(false);
  const allSources = useResource(sources);
  const dests = useResource(destinations);
  const now = useNow(5000);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = async () => {
    try {
      setDetail(await api.get('/v1/events/{id}', { path: { id } }));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setDetail(null);
    void load();
  }, [id]);

  // New attempts for this event arrive on the stream; re-read the event when one does.
  useStream({ sourceId: detail?.source_id, kinds: ['attempt'], enabled: Boolean(detail) }, (messages) => {
    if (messages.some((m) => m.kind === 'attempt' && m.data.event_id === id)) {
      clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(load, 100);
    }
  });

  if (error && !detail) {
    return (
      <>
        <PageHeader title="Event" back="#/logs" />
        <ErrorBox error={error} onRetry={load} />
      </>
    );
  }
  if (!detail) return <Loading />;

  const source = allSources.value?.find((s) => s.id === detail.source_id);
  const urlOf = (destinationId: string) => dests.value?.find((d) => d.id === destinationId)?.url;
  const { request, deliveries, status, ...rest } = detail;
  const normalized = rest;
  const description = describeType(detail.type);

  const retry = async () => {
    setRetrying(true);
    try {
      const result = await api.post('/v1/events/{id}/retry', { path: { id } });
      toast(`Retrying now: ${result.deliveries} ${result.deliveries === 1 ? 'delivery' : 'deliveries'}.`);
      setTab('deliveries');
      // The stream brings the attempts; read once more in case it is slow to connect.
      setTimeout(load, 1500);
    } catch (err) {
      toast(errorText(err), 'bad');
    } finally {
      setRetrying(false);
    }
  };

  const tabs: { id: Tab; label: string }[] = [
    { id: 'deliveries', label: `Deliveries (${deliveries.length})` },
    { id: 'event', label: 'Event' },
    { id: 'request', label: 'Raw request' },
  ];

  return (
    <>
      <PageHeader
        back={href('/logs', { source: detail.source_id })}
        title={<span class="mono">{detail.type}</span>}
        subtitle={description}
        actions={
          <button
            type="button"
            class="btn btn-primary"
            onClick={retry}
            disabled={retrying || deliveries.length === 0}
            title={
              deliveries.length === 0 ? 'This event has no destinations: nothing to retry' : 'One more attempt to each destination, now'
            }
          >
            <Icon name="retry" /> {retrying ? 'Retrying…' : 'Retry'}
          </button>
        }
      />
      <div class="event-summary card">
        <div class="summary-badges">
          {detail.type === 'hookline.test' ? <Badge tone="info">test event</Badge> : <Badge tone="ok">verified</Badge>}
          {status === 'pending' && deliveries.some((d) => d.status === 'pending' && d.attempt_count > 0) ? (
            <Badge tone="warn">retrying</Badge>
          ) : (
            <Badge tone={STATUS_TONE[status]}>{status.replace('_', ' ')}</Badge>
          )}
        </div>
        <dl class="meta meta-grid">
          <div>
            <dt>Event id</dt>
            <dd>
              <code>{detail.id}</code> <CopyButton text={detail.id} compact label="Copy event id" />
            </dd>
          </div>
          <div>
            <dt>Provider event id</dt>
            <dd>
              <code class="truncate">{detail.provider_event.id}</code>{' '}
              <CopyButton text={detail.provider_event.id} compact label="Copy provider event id" />
            </dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd>
              {source ? <a href={href(`/sources/${source.id}`)}>{source.name}</a> : <code>{detail.source_id}</code>} ·{' '}
              {providerName(detail.provider)}
            </dd>
          </div>
          <div>
            <dt>Object</dt>
            <dd>
              {detail.object ? (
                <code class="truncate">{`${detail.object.type} ${detail.object.id ?? ''}`}</code>
              ) : (
                <span class="muted">none</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Received</dt>
            <dd title={detail.received_at}>{dateTime(detail.received_at)}</dd>
          </div>
          <div>
            <dt>Occurred</dt>
            <dd title={detail.occurred_at ?? undefined}>
              {detail.occurred_at ? dateTime(detail.occurred_at) : <span class="muted">not given</span>}
            </dd>
          </div>
          {detail.environment && (
            <div>
              <dt>Environment</dt>
              <dd>{detail.environment.name ?? detail.environment.id}</dd>
            </div>
          )}
        </dl>
      </div>

      <div class="tabs" role="tablist" aria-label="Event details">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            class="tab"
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              const i = tabs.findIndex((x) => x.id === tab);
              const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
              if (!step) return;
              const next = tabs[(i + step + tabs.length) % tabs.length] as { id: Tab };
              setTab(next.id);
              document.getElementById(`tab-${next.id}`)?.focus();
            }}
          >
            {t.label}
          </button>
        ))}
      </div>

      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="tab-panel">
        {tab === 'deliveries' &&
          (deliveries.length === 0 ? (
            <Notice>
              No destination took this event, so it was stored but forwarded nowhere.{' '}
              <a href={href('/destinations/new', { source: detail.source_id })}>Add a destination</a>, then replay it from the live log.
            </Notice>
          ) : (
            deliveries.map((d) => <DeliveryCard key={d.id} delivery={d} url={urlOf(d.destination_id)} now={now} />)
          ))}
        {tab === 'event' && (
          <section class="card">
            <div class="card-head">
              <h2 class="card-title">Normalized event</h2>
              <CopyButton text={JSON.stringify(normalized, null, 2)} label="Copy JSON" />
            </div>
            <p class="muted small">The body every destination receives. `data` is the provider's object, unchanged.</p>
            {detail.data_omitted && (
              <Notice tone="warn">Its data cannot be shown here ({detail.data_omitted.message}). Deliveries are not affected.</Notice>
            )}
            <JsonBlock value={normalized} />
          </section>
        )}
        {tab === 'request' &&
          (request ? (
            <section class="card">
              <h2 class="card-title">
                {request.method} <span class="muted">from {request.remote_ip ?? 'unknown address'}</span>
              </h2>
              <p class="muted small">Received {dateTime(request.received_at)}; kept byte for byte.</p>
              <h3 class="card-subtitle">Headers</h3>
              <HeaderTable headers={request.headers} />
              <h3 class="card-subtitle">Body</h3>
              <BodyView body={request.body} encoding={request.body_encoding} />
            </section>
          ) : (
            <Notice>
              {detail.type === 'hookline.test'
                ? 'A test event sent from Hookline: no provider request made it.'
                : 'The raw request is no longer kept (retention removed it).'}
            </Notice>
          ))}
      </div>
    </>
  );
}
