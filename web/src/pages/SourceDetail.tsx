import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Badge, Copyable, ErrorBox, Field, Icon, Loading, Notice, PageHeader, toast, useConfirm, useNow } from '../components.tsx';
import { destinations, sources, useResource } from '../data.ts';
import { count, dateTime, relative } from '../format.ts';
import { provider as providerInfo } from '../providers.ts';
import { href, navigate } from '../router.ts';
import { RANGES, type RangeKey, RangePicker, RequestsChart, useStats } from '../stats.tsx';
import { useStream } from '../stream.ts';
import { useSubmit } from '../submit.ts';
import { AwaitingSecretBadge, ProviderChip } from './Sources.tsx';

const SECRET_INPUT = 'rotate-secret';

/** The call to action of a source awaiting its secret: brings the secret field into view. */
function focusSecretInput() {
  const input = document.getElementById(SECRET_INPUT);
  input?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  input?.focus({ preventScroll: true });
}

function SecretForm(props: { sourceId: string; providerName: string; awaiting: boolean; onDone: () => void }) {
  const [secret, setSecret] = useState('');
  const { submit, busy, error } = useSubmit(async () => {
    await api.patch('/v1/sources/{id}', {
      path: { id: props.sourceId },
      // A source awaiting its secret gets it at once (the API applies no grace period then).
      body: { verification: { secret: secret.trim() } },
    });
    setSecret('');
    toast(props.awaiting ? 'Signing secret saved: requests now verify.' : 'Secret rotated. The previous one keeps working for 24 hours.');
    props.onDone();
  });
  return (
    <form class="form inline-form" onSubmit={submit}>
      <Field label={props.awaiting ? `Paste ${props.providerName}'s signing secret` : 'New signing secret'} id={SECRET_INPUT}>
        <div class="input-row">
          <input
            id={SECRET_INPUT}
            class="mono"
            required
            autoComplete="off"
            spellcheck={false}
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
          <button type="submit" class="btn btn-primary" disabled={busy || !secret.trim()}>
            {busy ? 'Saving…' : props.awaiting ? 'Save secret' : 'Rotate secret'}
          </button>
        </div>
      </Field>
      <ErrorBox error={error} />
    </form>
  );
}

export function SourceDetailPage({ id, setup }: { id: string; setup: boolean }) {
  const all = useResource(sources);
  const dests = useResource(destinations);
  const [confirmEl, confirm] = useConfirm();
  const [renaming, setRenaming] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useNow();
  const source = all.value?.find((s) => s.id === id);
  const [range, setRange] = useState<RangeKey>('24h');
  const stats = useStats(range, [{ source_id: id }]);
  // The count and "last event" above come from the sources list: read it again as events arrive.
  // Read once more when the stream connects: what arrived before that is not streamed.
  useStream({ sourceId: id, kinds: ['event'], onOpen: () => void sources.load() }, () => void sources.load());

  if (!all.value) return all.error ? <ErrorBox error={all.error} onRetry={all.reload} /> : <Loading />;
  if (!source) {
    return (
      <>
        <PageHeader title="Source not found" back="#/sources" />
        <Notice>This source does not exist (it may have been deleted).</Notice>
      </>
    );
  }
  const info = providerInfo(source.provider);
  const displayName = info?.displayName ?? source.provider;
  const steps = info?.setupSteps ?? [];
  const awaiting = source.awaiting_secret;
  const mine = (dests.value ?? []).filter((d) => d.source_id === id);

  const remove = async () => {
    const ok = await confirm({
      title: `Delete "${source.name}"?`,
      body: (
        <p>
          This deletes the source with its destinations and every request, event and delivery it received. {displayName} will get 404 from
          its ingest URL. This cannot be undone.
        </p>
      ),
      confirm: 'Delete source',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del('/v1/sources/{id}', { path: { id } });
      toast(`Deleted "${source.name}".`);
      await Promise.all([sources.load(), destinations.load()]);
      navigate('#/sources');
    } catch (err) {
      setError(err);
    }
  };

  const rename = async (e: Event) => {
    e.preventDefault();
    if (!renaming?.trim()) return;
    try {
      await api.patch('/v1/sources/{id}', { path: { id }, body: { name: renaming.trim() } });
      setRenaming(null);
      await sources.load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      {confirmEl}
      <PageHeader
        back="#/sources"
        title={
          renaming === null ? (
            <>
              {source.name} <ProviderChip id={source.provider} />
              {awaiting && <AwaitingSecretBadge />}
            </>
          ) : (
            <form class="input-row rename" onSubmit={rename}>
              <input
                class="rename-input"
                aria-label="Source name"
                value={renaming}
                maxLength={200}
                onInput={(e) => setRenaming(e.currentTarget.value)}
              />
              <button type="submit" class="btn btn-primary btn-sm">
                Save
              </button>
              <button type="button" class="btn btn-sm" onClick={() => setRenaming(null)}>
                Cancel
              </button>
            </form>
          )
        }
        subtitle={
          <>
            {count(source.event_count)} events · last {source.last_event_at ? relative(source.last_event_at, now, { past: true }) : 'never'}{' '}
            · created {dateTime(source.created_at)}
          </>
        }
        actions={
          <>
            {renaming === null && (
              <button type="button" class="btn" onClick={() => setRenaming(source.name)}>
                <Icon name="edit" /> Rename
              </button>
            )}
            <a class="btn btn-primary" href={href('/logs', { source: id })}>
              <Icon name="live" /> Live log
            </a>
          </>
        }
      />
      <ErrorBox error={error} />
      {setup && (
        <Notice tone="ok">
          <strong>Source created.</strong> Now point {displayName} at it: copy the ingest URL below into {displayName}'s dashboard.
          {awaiting ? ` Then paste the signing secret ${displayName} shows.` : ''} Requests show up in the live log as they arrive.
        </Notice>
      )}
      {awaiting && (
        <div class="alert alert-warn awaiting-secret" role="status">
          <div>
            <span>
              <strong>Awaiting the signing secret.</strong> Until you paste it, every request {displayName} sends here is rejected (401) and
              shows in the live log as "no signing secret yet".
            </span>
          </div>
          <button type="button" class="btn btn-primary btn-sm" onClick={focusSecretInput}>
            <Icon name="edit" size={14} /> Paste the secret
          </button>
        </div>
      )}

      <section class="card">
        <div class="card-head">
          <h2 class="card-title">Activity</h2>
          <RangePicker value={range} onChange={setRange} />
        </div>
        {stats.data[0] ? (
          <RequestsChart stats={stats.data[0]} title={`Requests to ${source.name}`} bucketMs={RANGES[range].bucketMs} height={140} />
        ) : (
          <ErrorBox error={stats.error} onRetry={stats.reload} />
        )}
      </section>

      <section class="card">
        <h2 class="card-title">Ingest URL</h2>
        <p class="muted">Where {displayName} sends webhooks. Anyone with it can send requests; only correctly signed ones become events.</p>
        <Copyable value={source.ingest_url} label="Ingest URL" />
        {steps.length > 0 && (
          <>
            <h3 class="card-subtitle">Add it in {displayName}</h3>
            <ol class="steps">
              {steps.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ol>
          </>
        )}
      </section>

      <section class={`card ${awaiting ? 'card-attention' : ''}`}>
        <div class="card-head">
          <h2 class="card-title">Signing secret</h2>
          {awaiting && <AwaitingSecretBadge />}
        </div>
        {awaiting ? (
          <p class="muted">
            No signing secret yet: requests are rejected until you paste it. <strong>Where to find it:</strong> {info?.secretHelp}
          </p>
        ) : (
          <p class="muted">
            {info?.secretHelp} Rotating keeps the current secret valid for 24 hours, so nothing is rejected while you change it in{' '}
            {displayName}.
          </p>
        )}
        {!awaiting && source.secret_rotation_expires_at && new Date(source.secret_rotation_expires_at).getTime() > now && (
          <p>
            <Badge tone="warn">rotating</Badge> The previous secret is accepted until {dateTime(source.secret_rotation_expires_at)}.
          </p>
        )}
        <SecretForm sourceId={id} providerName={displayName} awaiting={awaiting} onDone={() => void sources.load()} />
      </section>

      <section class="card">
        <div class="card-head">
          <h2 class="card-title">Destinations</h2>
          <a class="btn btn-sm" href={href('/destinations/new', { source: id })}>
            <Icon name="plus" size={14} /> Add destination
          </a>
        </div>
        {mine.length === 0 ? (
          <p class="muted">
            No destinations: events are stored and shown here, but forwarded nowhere. Add your endpoint to receive them, signed with
            Standard Webhooks headers.
          </p>
        ) : (
          <ul class="plain-list">
            {mine.map((d) => (
              <li key={d.id} class="dest-line">
                <code class="truncate">{d.url}</code>
                {d.status !== 'active' && <Badge tone="muted">{d.status}</Badge>}
                <span class="muted">{d.event_types?.length ? d.event_types.join(', ') : 'all event types'}</span>
              </li>
            ))}
          </ul>
        )}
        {mine.length > 0 && (
          <a class="link-arrow" href={href('/destinations', { source: id })}>
            Manage destinations <Icon name="arrow" size={12} />
          </a>
        )}
      </section>

      <section class="card card-danger">
        <h2 class="card-title">Delete source</h2>
        <div class="input-row">
          <p class="muted grow">
            Deletes its destinations, requests, events and deliveries. {displayName} will get 404 from the ingest URL.
          </p>
          <button type="button" class="btn btn-danger" onClick={remove}>
            <Icon name="trash" /> Delete source
          </button>
        </div>
      </section>
    </>
  );
}
