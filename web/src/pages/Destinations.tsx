import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Destination, type DestinationDelivery, errorText, type Source } from '../api.ts';
import { Badge, Code, Copyable, Empty, ErrorBox, Field, Icon, Loading, Notice, PageHeader, toast, useConfirm } from '../components.tsx';
import { destinations, sources, useResource } from '../data.ts';
import { dateTime, plural } from '../format.ts';
import type { Tone } from '../log-store.ts';
import { KNOWN_GLOBS, provider as providerInfo } from '../providers.ts';
import { href, navigate } from '../router.ts';
import { DeliveriesChart, ms, percent, RANGES, type Stats, sum, useStats } from '../stats.tsx';
import { useSubmit } from '../submit.ts';
import { RulesPanel } from './DestinationRules.tsx';
import { NewSourceButton, ProviderChip } from './Sources.tsx';

const STATUS_TONE: Record<Destination['status'], Tone> = { active: 'ok', paused: 'muted', disabled: 'bad' };

/** Event types a destination takes: none chosen means every type. Exact types or globs (video.asset.*). */
function TypePicker({ value, onChange, providerId }: { value: string[]; onChange: (v: string[]) => void; providerId: string | undefined }) {
  const [text, setText] = useState('');
  const suggestions = [
    ...new Set([
      ...KNOWN_GLOBS.filter((g) => providerInfo(providerId ?? '')?.events.some((e) => e.canonical.startsWith(g.slice(0, -1))) ?? true),
      ...(providerInfo(providerId ?? '')?.events.map((e) => e.canonical) ?? []),
    ]),
  ].filter((t) => !value.includes(t));
  const add = () => {
    const items = text
      .split(/[\s,]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    if (items.length) onChange([...new Set([...value, ...items])]);
    setText('');
  };
  return (
    <div class="type-picker">
      <div class="chips">
        {value.length === 0 && <span class="muted">All event types</span>}
        {value.map((t) => (
          <span key={t} class="chip chip-removable">
            <code>{t}</code>
            <button type="button" aria-label={`Remove ${t}`} onClick={() => onChange(value.filter((x) => x !== t))}>
              ✕
            </button>
          </span>
        ))}
      </div>
      <div class="input-row">
        <input
          list="type-suggestions"
          class="mono"
          placeholder="video.asset.ready or video.asset.*"
          aria-label="Add an event type"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" class="btn" onClick={add} disabled={!text.trim()}>
          Add type
        </button>
      </div>
      <datalist id="type-suggestions">
        {suggestions.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
    </div>
  );
}

/**
 * The API refuses loopback and private URLs on an instance published on the internet
 * (`private_destination`): say how to receive events locally instead of only "refused".
 */
function DestinationError({ error, sourceId }: { error: unknown; sourceId: string | undefined }) {
  if (!(error instanceof ApiError && error.code === 'private_destination')) return <ErrorBox error={error} />;
  return (
    <div class="alert alert-warn" role="alert" data-testid="private-destination-help">
      <div>
        <p>
          <strong>This Hookline delivers only to public addresses</strong>, so it cannot reach localhost or your private network.
        </p>
        <p>
          To receive events on your own machine, run <code>hookline listen</code> (from <code>@hookline/sdk</code>): it streams this
          source's events to your local server, signed like real deliveries, with no tunnel.
        </p>
        <Code text={`npx hookline listen 3000 --source ${sourceId || 'src_…'} --path /webhooks`} />
        <p class="small muted">
          Running Hookline on a private network? Its operator can set <code>HOOKLINE_ALLOW_PRIVATE_DESTINATIONS=true</code>.
        </p>
      </div>
    </div>
  );
}

function SecretReveal({ destination }: { destination: Destination }) {
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (secret) {
    return (
      <div class="reveal">
        <Copyable value={secret} label="Signing secret" secret />
        <button type="button" class="btn btn-sm btn-ghost" onClick={() => setSecret(null)}>
          Hide
        </button>
      </div>
    );
  }
  return (
    <>
      <button
        type="button"
        class="btn btn-sm"
        onClick={async () => {
          try {
            setSecret((await api.get('/v1/destinations/{id}/secret', { path: { id: destination.id } })).signing_secret);
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Icon name="eye" size={14} /> Reveal secret
      </button>
      <ErrorBox error={error} />
    </>
  );
}

function VerifySnippet({ secret }: { secret: string }) {
  return (
    <details class="snippet">
      <summary>Verify deliveries in your app</summary>
      <pre class="code small">
        <code>{`import { verify } from '@hookline/sdk';

// rawBody: the request body exactly as received (string or Buffer)
const event = verify(rawBody, request.headers, process.env.HOOKLINE_SIGNING_SECRET);
// → the normalized event, or throws WebhookVerificationError

# HOOKLINE_SIGNING_SECRET=${secret.slice(0, 12)}…`}</code>
      </pre>
    </details>
  );
}

/** Attempts of the last 24 hours by outcome, with the range's failure rate and worst p95. */
function DestinationActivity({ stats }: { stats: Stats }) {
  const s = stats.series;
  const attempts = sum(s, (p) => p.deliveries.succeeded + p.deliveries.failed + p.deliveries.retrying);
  const failed = sum(s, (p) => p.deliveries.failed + p.deliveries.retrying);
  const p95s = s.map((p) => p.latency_ms.p95).filter((v): v is number => v !== null);
  return (
    <div class="dest-activity">
      <p class="small muted">
        Last 24 h: {plural(attempts, 'attempt')}
        {attempts > 0 && (
          <>
            , {percent(Math.round((failed / attempts) * 1000) / 10)} failed, p95 up to {ms(Math.max(...p95s))}
          </>
        )}
      </p>
      <DeliveriesChart stats={stats} title="Delivery attempts, last 24 hours" bucketMs={RANGES['24h'].bucketMs} height={110} />
    </div>
  );
}

/**
 * An ordered destination's deliveries waiting behind an earlier event of their object (a
 * failing one holds back only its own object): how many, and which event each waits for.
 */
function ObjectHolds({ destinationId }: { destinationId: string }) {
  const [held, setHeld] = useState<DestinationDelivery[]>([]);
  useEffect(() => {
    let live = true;
    const load = () =>
      api
        .get('/v1/destinations/{id}/deliveries', { path: { id: destinationId }, query: { status: 'held', limit: 100 } })
        .then((page) => live && setHeld(page.data.filter((d) => d.held_reason === 'ordering')))
        .catch(() => {}); // a failed read keeps the last list; the next one tries again
    void load();
    const timer = setInterval(load, 5_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [destinationId]);
  if (held.length === 0) return null;
  const blocking = [...new Set(held.map((d) => d.held_by_event_id).filter((e): e is string => e !== null))];
  return (
    <p class="small muted" data-object-holds>
      <Badge tone="warn">held</Badge> {plural(held.length, 'delivery', 'deliveries')}
      {held.length === 100 && ' or more'} waiting behind an earlier event of the same object:{' '}
      {blocking.slice(0, 5).map((e, i) => (
        <span key={e}>
          {i > 0 && ', '}
          <a href={href(`/events/${e}`)}>{e}</a>
        </span>
      ))}
      {blocking.length > 5 && ` and ${blocking.length - 5} more`}. Each goes out once the event before it is delivered (or given up).
    </p>
  );
}

function DestinationCard({
  destination,
  source,
  stats,
}: {
  destination: Destination;
  source: Source | undefined;
  stats: Stats | undefined;
}) {
  const [confirmEl, confirm] = useConfirm();
  const [editing, setEditing] = useState(false);
  const [showRules, setShowRules] = useState(false);
  const [url, setUrl] = useState(destination.url);
  const [types, setTypes] = useState<string[]>(destination.event_types ?? []);
  const [ordered, setOrdered] = useState(destination.ordering === 'object');
  const [orderingWindow, setOrderingWindow] = useState(destination.ordering_window);
  const [newSecret, setNewSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const act = async (name: string, fn: () => Promise<void>) => {
    setBusy(name);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const id = destination.id;

  return (
    <article class={`card dest-card ${destination.status !== 'active' ? 'is-paused' : ''}`} data-destination={id}>
      {confirmEl}
      {!editing ? (
        <>
          <div class="card-head">
            <code class="dest-url truncate" title={destination.url}>
              {destination.url}
            </code>
            <Badge tone={STATUS_TONE[destination.status]}>{destination.status}</Badge>
          </div>
          <p class="small muted" data-controls>
            {destination.max_in_flight === 1 ? 'One at a time, in order' : `Up to ${destination.max_in_flight} at once`}
            {destination.rate_limit && ` · at most ${destination.rate_limit.count} per ${destination.rate_limit.period}`}
            {destination.ordering === 'object' && ` · in order per object (waits ${destination.ordering_window} for late arrivals)`}
            {destination.consecutive_failures > 0 &&
              ` · ${destination.consecutive_failures} failed in a row${destination.failing_since ? ` since ${dateTime(destination.failing_since)}` : ''}`}
          </p>
          {destination.status === 'disabled' && (
            <Notice tone="warn">
              Disabled by the circuit breaker{destination.disabled_at ? ` on ${dateTime(destination.disabled_at)}` : ''} after failing for
              too long. Its deliveries are held, not lost: re-enable it once the endpoint works and they go out, oldest first.
            </Notice>
          )}
          {destination.status === 'active' &&
            destination.breaker_open_until &&
            new Date(destination.breaker_open_until).getTime() > Date.now() && (
              <p class="small muted">
                <Badge tone="warn">backing off</Badge> The endpoint keeps failing: one probe at a time, the next after{' '}
                {dateTime(destination.breaker_open_until)}.
              </p>
            )}
          <div class="chips">
            {destination.event_types?.length ? (
              destination.event_types.map((t) => (
                <span key={t} class="chip">
                  <code>{t}</code>
                </span>
              ))
            ) : (
              <span class="muted small">All event types</span>
            )}
            {destination.filter && (
              <span class="chip" title={JSON.stringify(destination.filter)}>
                filtered
              </span>
            )}
            {destination.transform && <span class="chip">transformed</span>}
          </div>
          {destination.ordering === 'object' && <ObjectHolds destinationId={id} />}
          {stats && <DestinationActivity stats={stats} />}
          {destination.secret_rotation_expires_at && new Date(destination.secret_rotation_expires_at).getTime() > Date.now() && (
            <p class="small muted">
              <Badge tone="warn">rotating</Badge> Deliveries carry both signatures until {dateTime(destination.secret_rotation_expires_at)}.
            </p>
          )}
          {newSecret && (
            <Notice tone="ok">
              New signing secret. Deploy it to your endpoint; the old one keeps signing too for 24 hours.
              <Copyable value={newSecret} label="New signing secret" secret />
            </Notice>
          )}
          <div class="card-actions">
            <button
              type="button"
              class="btn btn-sm"
              disabled={busy !== null}
              onClick={() =>
                act('test', async () => {
                  const result = await api.post('/v1/destinations/{id}/test', { path: { id } });
                  toast(
                    <>
                      Test event sent. <a href={href(`/events/${result.event_id}`)}>See its delivery</a>
                    </>,
                  );
                })
              }
            >
              <Icon name="send" size={14} /> {busy === 'test' ? 'Sending…' : 'Send test event'}
            </button>
            <button
              type="button"
              class="btn btn-sm"
              disabled={busy !== null}
              onClick={() =>
                act('status', async () => {
                  const active = destination.status === 'active';
                  await api.patch('/v1/destinations/{id}', { path: { id }, body: { status: active ? 'paused' : 'active' } });
                  toast(
                    active
                      ? 'Paused: deliveries are held until you resume.'
                      : 'Active again: held deliveries are going out now, oldest first.',
                  );
                  await destinations.load();
                })
              }
            >
              <Icon name={destination.status === 'active' ? 'pause' : 'play'} size={14} />{' '}
              {destination.status === 'active' ? 'Pause' : destination.status === 'disabled' ? 'Re-enable' : 'Resume'}
            </button>
            <SecretReveal destination={destination} />
            <button
              type="button"
              class="btn btn-sm"
              disabled={busy !== null}
              onClick={async () => {
                const ok = await confirm({
                  title: 'Rotate the signing secret?',
                  body: (
                    <p>
                      Hookline issues a new secret. For 24 hours every delivery carries signatures with both the old and the new one, so
                      your endpoint keeps verifying while you deploy the new secret.
                    </p>
                  ),
                  confirm: 'Rotate secret',
                });
                if (ok) {
                  await act('rotate', async () => {
                    const updated = await api.patch('/v1/destinations/{id}', { path: { id }, body: { rotate_secret: true } });
                    setNewSecret(
                      updated.signing_secret ?? (await api.get('/v1/destinations/{id}/secret', { path: { id } })).signing_secret,
                    );
                    await destinations.load();
                  });
                }
              }}
            >
              <Icon name="rotate" size={14} /> Rotate secret
            </button>
            <button type="button" class="btn btn-sm" onClick={() => setEditing(true)}>
              <Icon name="edit" size={14} /> Edit
            </button>
            <button type="button" class="btn btn-sm" aria-expanded={showRules} onClick={() => setShowRules(!showRules)}>
              <Icon name="edit" size={14} /> Filter &amp; transform
            </button>
            <span class="spacer" />
            <button
              type="button"
              class="btn btn-sm btn-ghost danger-text"
              disabled={busy !== null}
              onClick={async () => {
                const ok = await confirm({
                  title: 'Delete this destination?',
                  body: (
                    <p>
                      <code>{destination.url}</code> stops receiving {source?.name ?? 'this source'}'s events, and its delivery history is
                      deleted.
                    </p>
                  ),
                  confirm: 'Delete destination',
                  danger: true,
                });
                if (ok) {
                  await act('delete', async () => {
                    await api.del('/v1/destinations/{id}', { path: { id } });
                    toast('Destination deleted.');
                    await destinations.load();
                  });
                }
              }}
            >
              <Icon name="trash" size={14} /> Delete
            </button>
          </div>
          {showRules && <RulesPanel destination={destination} />}
        </>
      ) : (
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            void act('save', async () => {
              await api.patch('/v1/destinations/{id}', {
                path: { id },
                body: {
                  url: url.trim(),
                  event_types: types.length ? types : null,
                  ordering: ordered ? 'object' : 'none',
                  ...(ordered ? { ordering_window: orderingWindow.trim() } : {}),
                },
              });
              setEditing(false);
              await destinations.load();
            });
          }}
        >
          <Field label="URL" id={`url-${id}`}>
            <input id={`url-${id}`} class="mono" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
          </Field>
          <Field label="Event types" hint="Only these types are forwarded; none means every type. Globs like video.asset.* work.">
            <TypePicker value={types} onChange={setTypes} providerId={source?.provider} />
          </Field>
          <Field
            label="Order"
            id={`ordering-${id}`}
            hint="Per object: each asset's (upload's…) events one at a time, in the order they occurred; different objects in parallel."
          >
            <select
              id={`ordering-${id}`}
              value={ordered ? 'object' : 'none'}
              onChange={(e) => setOrdered(e.currentTarget.value === 'object')}
            >
              <option value="none">Any order, fastest</option>
              <option value="object">Per object, in order</option>
            </select>
          </Field>
          {ordered && (
            <Field
              label="Ordering window"
              id={`window-${id}`}
              hint="How long an event waits for earlier ones of its object that the provider sends late, e.g. 2s or 500ms."
            >
              <input
                id={`window-${id}`}
                class="mono"
                required
                pattern="[0-9]+(\.[0-9]+)?(ms|s|m|h)"
                value={orderingWindow}
                onInput={(e) => setOrderingWindow(e.currentTarget.value)}
              />
            </Field>
          )}
          <div class="form-actions">
            <button type="button" class="btn" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" class="btn btn-primary" disabled={busy !== null}>
              Save
            </button>
          </div>
        </form>
      )}
      <DestinationError error={error} sourceId={destination.source_id} />
    </article>
  );
}

export function DestinationsPage({ sourceFilter }: { sourceFilter: string }) {
  const allSources = useResource(sources);
  const all = useResource(destinations);
  // Each card's small chart: the last 24 hours, one stats call per destination, kept live.
  const listed = all.value ?? [];
  const stats = useStats(
    '24h',
    listed.map((d) => ({ destination_id: d.id })),
  );
  const statsOf = new Map(listed.map((d, i) => [d.id, stats.data[i]]));
  if (!allSources.value || !all.value) {
    return (
      <>
        <PageHeader title="Destinations" />
        <ErrorBox error={allSources.error ?? all.error} onRetry={() => Promise.all([allSources.reload(), all.reload()])} />
        {!allSources.error && !all.error && <Loading />}
      </>
    );
  }
  const shown = allSources.value.filter((s) => !sourceFilter || s.id === sourceFilter);
  const addButton = (
    <a class="btn btn-primary" href={href('/destinations/new', { source: sourceFilter || undefined })}>
      <Icon name="plus" /> Add destination
    </a>
  );
  if (allSources.value.length === 0) {
    return (
      <>
        <PageHeader title="Destinations" />
        <Empty icon="destinations" title="Create a source first" action={<NewSourceButton />}>
          <p>
            A destination is your endpoint for one source's events. Make a source for your provider, then add where its events should go.
          </p>
        </Empty>
      </>
    );
  }
  const total = all.value.filter((d) => !sourceFilter || d.source_id === sourceFilter).length;
  return (
    <>
      <PageHeader
        title="Destinations"
        subtitle="Your endpoints. Each verified event is forwarded as the normalized event, signed with Standard Webhooks headers, retried for about a day."
        actions={total > 0 ? addButton : null}
      />
      {sourceFilter && (
        <p>
          <a href="#/destinations">Show every source's destinations</a>
        </p>
      )}
      {total === 0 ? (
        <Empty icon="destinations" title="No destinations yet" action={addButton}>
          <p>
            Events are stored and shown in the live log, but go nowhere until you add an endpoint. Hookline POSTs each event to it, signs it
            so your app can verify it, and retries until your endpoint answers 2xx.
          </p>
        </Empty>
      ) : (
        shown.map((source) => {
          const list = all.value?.filter((d) => d.source_id === source.id) ?? [];
          if (list.length === 0) return null;
          return (
            <section key={source.id} class="group">
              <h2 class="group-title">
                <a class="group-title-link" href={href(`/sources/${source.id}`)}>
                  {source.name}
                </a>{' '}
                <ProviderChip id={source.provider} />
              </h2>
              {list.map((d) => (
                <DestinationCard key={d.id} destination={d} source={source} stats={statsOf.get(d.id)} />
              ))}
            </section>
          );
        })
      )}
    </>
  );
}

export function DestinationNewPage({ initialSource }: { initialSource: string }) {
  const allSources = useResource(sources);
  const [sourceId, setSourceId] = useState(initialSource);
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [created, setCreated] = useState<(Destination & { signing_secret: string }) | null>(null);
  const list = allSources.value ?? [];
  const chosen = sourceId || list[0]?.id || '';
  const source = list.find((s) => s.id === chosen);
  const { submit, busy, error } = useSubmit(async () => {
    const result = await api.post('/v1/destinations', {
      body: { source_id: chosen, url: url.trim(), ...(types.length ? { event_types: types } : {}) },
    });
    await destinations.load();
    setCreated(result);
  });

  if (created) {
    return (
      <>
        <PageHeader title="Destination added" back="#/destinations" />
        <section class="card">
          <p>
            Events from <strong>{source?.name}</strong> now go to <code>{created.url}</code>. Each delivery is signed with this secret: put
            it in your app's configuration to verify them. You can reveal it again later.
          </p>
          <Copyable value={created.signing_secret} label="Signing secret" secret />
          <VerifySnippet secret={created.signing_secret} />
          <div class="form-actions">
            <button
              type="button"
              class="btn"
              onClick={async () => {
                try {
                  const result = await api.post('/v1/destinations/{id}/test', { path: { id: created.id } });
                  navigate(href(`/events/${result.event_id}`));
                } catch (err) {
                  toast(errorText(err), 'bad');
                }
              }}
            >
              <Icon name="send" /> Send a test event
            </button>
            <a class="btn btn-primary" href={href('/logs', { source: created.source_id })}>
              <Icon name="live" /> Open the live log
            </a>
          </div>
        </section>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Add destination" subtitle="Where Hookline forwards one source's events." back="#/destinations" />
      {allSources.value && list.length === 0 && (
        <Notice tone="warn">
          Create a <a href="#/sources/new">source</a> first.
        </Notice>
      )}
      <form class="form form-wide card" onSubmit={submit}>
        <Field label="Source" id="dest-source">
          <select id="dest-source" value={chosen} onChange={(e) => setSourceId(e.currentTarget.value)}>
            {list.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({providerInfo(s.provider)?.displayName ?? s.provider})
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Endpoint URL"
          id="dest-url"
          hint="Your app's webhook endpoint (http or https). It should answer 2xx quickly; anything else is retried."
        >
          <input
            id="dest-url"
            class="mono"
            type="url"
            required
            placeholder="https://api.example.com/webhooks/hookline"
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
        </Field>
        <Field label="Event types" hint="Leave empty to forward every type. Globs like video.asset.* match a family.">
          <TypePicker value={types} onChange={setTypes} providerId={source?.provider} />
        </Field>
        <DestinationError error={error} sourceId={chosen} />
        <div class="form-actions">
          <a class="btn" href="#/destinations">
            Cancel
          </a>
          <button type="submit" class="btn btn-primary" disabled={busy || !chosen}>
            {busy ? 'Adding…' : 'Add destination'}
          </button>
        </div>
      </form>
    </>
  );
}
