import { useState } from 'preact/hooks';
import { Badge, Copyable, CopyButton, Empty, Icon, ListTable, PageHeader, useNow } from '../components.tsx';
import { sources, useResource } from '../data.ts';
import { count, dateTime, relative } from '../format.ts';
import { providerName } from '../providers.ts';
import { href } from '../router.ts';
import { useStream } from '../stream.ts';
import { FIRST_KEY } from './Auth.tsx';

export function ProviderChip({ id }: { id: string }) {
  return <span class={`chip provider provider-${id}`}>{providerName(id)}</span>;
}

/** A source created before its provider showed the signing secret: every request is rejected until it is set. */
export function AwaitingSecretBadge() {
  return (
    <Badge tone="warn" title="No signing secret yet: requests are rejected until you paste it">
      awaiting secret
    </Badge>
  );
}

/** Where a source is made: the way on from any page that needs one. */
export function NewSourceButton() {
  return (
    <a class="btn btn-primary" href="#/sources/new">
      <Icon name="plus" /> New source
    </a>
  );
}

/** The API key signup made, shown once on the first page after it. */
function FirstKey() {
  const [key, setKey] = useState(() => sessionStorage.getItem(FIRST_KEY));
  if (!key) return null;
  return (
    <div class="alert alert-ok first-key">
      <div>
        <strong>Your workspace is ready.</strong> Signup also made an API key for scripts and CI. Copy it now: it is not shown again (you
        can make more under API keys).
        <Copyable value={key} label="Your first API key" secret />
      </div>
      <button
        type="button"
        class="btn btn-sm"
        onClick={() => {
          sessionStorage.removeItem(FIRST_KEY);
          setKey(null);
        }}
      >
        Done
      </button>
    </div>
  );
}

export function SourcesPage() {
  const { value, error, reload } = useResource(sources);
  // Counts and "last event" change as events arrive: read the list again then.
  useStream({ kinds: ['event'], onOpen: () => void sources.load() }, () => void sources.load());
  const now = useNow();
  const newButton = <NewSourceButton />;
  return (
    <>
      <PageHeader
        title="Sources"
        subtitle="Where providers send webhooks: one source per provider account."
        actions={value?.length ? newButton : null}
      />
      <FirstKey />
      <ListTable
        items={value}
        error={error}
        onRetry={reload}
        empty={
          <Empty icon="sources" title="Create your first source" action={newButton}>
            <p>
              A source receives one provider's webhooks. Pick the provider (Mux, FastPix, Stripe…), paste its signing secret, and put the
              ingest URL Hookline gives you into the provider's dashboard. Every request then shows up in the live log, verified or rejected
              with the reason.
            </p>
            <ol class="steps-inline">
              <li>Create a source</li>
              <li>Paste its URL into the provider</li>
              <li>Add a destination</li>
              <li>Watch events arrive</li>
            </ol>
          </Empty>
        }
        tableClass="sources-table"
        actionsClass="row-actions"
        columns={
          <>
            <th>Name</th>
            <th class="num">Events</th>
            <th>Last event</th>
            <th class="hide-sm">Ingest URL</th>
          </>
        }
        row={(s) => (
          <>
            <td>
              <span class="name-cell">
                <a class="strong-link" href={href(`/sources/${s.id}`)}>
                  {s.name}
                </a>
                <ProviderChip id={s.provider} />
                {s.awaiting_secret && (
                  <a class="badge-link" href={href(`/sources/${s.id}`)}>
                    <AwaitingSecretBadge />
                  </a>
                )}
              </span>
            </td>
            <td class="num">{count(s.event_count)}</td>
            <td title={dateTime(s.last_event_at)}>
              {s.last_event_at ? relative(s.last_event_at, now, { past: true }) : <span class="muted">none yet</span>}
            </td>
            <td class="hide-sm">
              <span class="url-cell">
                <code class="truncate">{s.ingest_url}</code>
                <CopyButton text={s.ingest_url} label="Copy ingest URL" compact />
              </span>
            </td>
            <td class="row-actions">
              {s.awaiting_secret && (
                <a class="btn btn-sm btn-primary" href={href(`/sources/${s.id}`)}>
                  <Icon name="edit" size={14} /> Paste secret
                </a>
              )}{' '}
              <a class="btn btn-sm" href={href('/logs', { source: s.id })}>
                <Icon name="live" size={14} /> Live log
              </a>
            </td>
          </>
        )}
      />
    </>
  );
}
