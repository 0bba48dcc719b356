import { useEffect, useState } from 'preact/hooks';
import { type Alert, type AlertChannel, type AlertChannelType, api, type Destination, errorText } from '../api.ts';
import { Badge, Copyable, Empty, ErrorBox, Field, Icon, ListTable, Notice, PageHeader, toast, useConfirm, useNow } from '../components.tsx';
import { count, dateTime, plural, relative } from '../format.ts';
import { useSubmit } from '../submit.ts';

/** Fired when open alerts change here, so the navigation's count follows at once. */
export const ALERTS_CHANGED = 'hookline:alerts-changed';

const TITLES: Record<string, string> = {
  'destination.failing': 'Destination failing',
  'destination.disabled': 'Destination disabled',
  'destination.recovered': 'Destination recovered',
  'source.rejecting': 'Source rejecting requests',
  'source.silent': 'Source silent',
  'delivery.backlog': 'Delivery backlog',
};

/** One line on what the alert is about, from its detail. */
function summary(alert: Alert): string {
  const d = alert.detail as Record<string, unknown>;
  switch (alert.type) {
    case 'destination.failing':
      return `${d.consecutive_failures} failures in a row since ${dateTime(d.failing_since as string)}`;
    case 'destination.disabled':
      return `Disabled ${dateTime(d.disabled_at as string)}; its events are held until it is re-enabled`;
    case 'source.rejecting':
      return `${d.rejected} requests failed signature verification: was the provider's signing secret rotated?`;
    case 'source.silent':
      return `No events since ${dateTime(d.last_event_at as string)}`;
    case 'delivery.backlog':
      return `${d.pending} deliveries pending, the oldest since ${dateTime(d.oldest_pending_at as string)}`;
    default:
      return '';
  }
}

function subjectLink(alert: Alert) {
  const { kind, id } = alert.subject;
  if (kind === 'source') return <a href={`#/sources/${id}`}>{id}</a>;
  if (kind === 'destination') return <a href="#/destinations">{id}</a>;
  return <span class="muted">all destinations</span>;
}

/**
 * The destinations that open `destination.disabled` alerts are about, as they are now: such an
 * alert stays open after a re-enable until a delivery succeeds, so only the destination says
 * whether re-enabling is still to do. A deleted one is left out.
 */
async function disabledDestinations(alerts: Alert[]): Promise<Map<string, Destination>> {
  const ids = [...new Set(alerts.filter((a) => a.type === 'destination.disabled').map((a) => a.subject.id))];
  const found = await Promise.all(ids.map((id) => api.get('/v1/destinations/{id}', { path: { id } }).catch(() => null)));
  return new Map(found.filter((d): d is Destination => d?.status === 'disabled').map((d) => [d.id, d]));
}

/** Open alerts (to acknowledge), the recently resolved ones, and where alerts are sent. */
export function AlertsPage() {
  const now = useNow();
  const [open, setOpen] = useState<Alert[] | null>(null);
  const [resolved, setResolved] = useState<Alert[] | null>(null);
  const [disabled, setDisabled] = useState<Map<string, Destination>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [confirmEl, confirm] = useConfirm();

  const load = async () => {
    try {
      const [unacknowledged, acknowledged, done] = await Promise.all([
        api.get('/v1/alerts', { query: { status: 'open', limit: 100 } }),
        api.get('/v1/alerts', { query: { status: 'acknowledged', limit: 100 } }),
        api.get('/v1/alerts', { query: { status: 'resolved', limit: 10 } }),
      ]);
      const unresolved = [...unacknowledged.data, ...acknowledged.data].sort((a, b) => (a.id < b.id ? 1 : -1));
      setDisabled(await disabledDestinations(unresolved));
      setOpen(unresolved);
      setResolved(done.data);
      setError(null);
      // Alerts open and resolve by themselves: the navigation's count follows what this page lists.
      window.dispatchEvent(new Event(ALERTS_CHANGED));
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
    const timer = setInterval(load, 15_000);
    return () => clearInterval(timer);
  }, []);

  const acknowledge = async (alert: Alert) => {
    try {
      await api.post('/v1/alerts/{id}/acknowledge', { path: { id: alert.id } });
      toast(`Acknowledged: ${TITLES[alert.type] ?? alert.type}.`);
      window.dispatchEvent(new Event(ALERTS_CHANGED));
      await load();
    } catch (err) {
      setError(err);
    }
  };

  /**
   * Re-enables a destination the breaker disabled and sends what it holds: one call (POST
   * /v1/destinations/{id}/replay re-enables it first, then replays what failed since).
   */
  const reenable = async (destination: Destination) => {
    let held: { data: unknown[]; next_cursor: string | null };
    try {
      held = await api.get('/v1/destinations/{id}/deliveries', { path: { id: destination.id }, query: { status: 'held', limit: 100 } });
    } catch (err) {
      toast(errorText(err), 'bad');
      return;
    }
    const events = `${held.next_cursor ? 'more than ' : ''}${plural(held.data.length, 'held event')}`;
    const ok = await confirm({
      title: 'Re-enable this destination?',
      body: (
        <>
          <p>
            <code>{destination.url}</code> was disabled by the circuit breaker
            {destination.disabled_at ? ` on ${dateTime(destination.disabled_at)}` : ''}. Re-enabling sends its{' '}
            <strong data-testid="held-count">{events}</strong> now, oldest first, with their original webhook-id, and replays what failed
            since it was disabled.
          </p>
          <p class="muted">If the endpoint still fails, the breaker backs off again and in time disables it again.</p>
        </>
      ),
      confirm: 'Re-enable and deliver',
    });
    if (!ok) return;
    try {
      const result = await api.post('/v1/destinations/{id}/replay', { path: { id: destination.id }, body: {} });
      toast(`Re-enabled: ${count(result.count)} ${result.count === 1 ? 'delivery is' : 'deliveries are'} going out now, oldest first.`);
      await load();
    } catch (err) {
      toast(errorText(err), 'bad');
    }
  };

  return (
    <>
      {confirmEl}
      <PageHeader title="Alerts" subtitle="What needs attention. Alerts resolve by themselves when their condition clears." />
      <h2 class="section-title">Open</h2>
      <ListTable
        items={open}
        error={error}
        onRetry={load}
        empty={
          <Empty icon="bell" title="No open alerts">
            <p>Failing or disabled destinations, sources rejecting signatures or gone silent, and delivery backlogs show here.</p>
          </Empty>
        }
        columns={
          <>
            <th>Alert</th>
            <th>About</th>
            <th class="hide-sm">Opened</th>
            <th>Status</th>
          </>
        }
        row={(a) => (
          <>
            <td>
              <strong>{TITLES[a.type] ?? a.type}</strong>
              <div class="muted small">{summary(a)}</div>
            </td>
            <td>{subjectLink(a)}</td>
            <td class="hide-sm" title={dateTime(a.opened_at)}>
              {relative(a.opened_at, now, { past: true })}
            </td>
            <td>{a.status === 'open' ? <Badge tone="bad">open</Badge> : <Badge tone="warn">acknowledged</Badge>}</td>
            <td class="row-actions">
              {a.type === 'destination.disabled' && disabled.has(a.subject.id) && (
                <button type="button" class="btn btn-sm" onClick={() => reenable(disabled.get(a.subject.id) as Destination)}>
                  <Icon name="play" /> Re-enable
                </button>
              )}
              {a.status === 'open' && (
                <button type="button" class="btn btn-sm" onClick={() => acknowledge(a)}>
                  <Icon name="check" /> Acknowledge
                </button>
              )}
            </td>
          </>
        )}
      />
      {resolved && resolved.length > 0 && (
        <>
          <h2 class="section-title">Recently resolved</h2>
          <ListTable
            items={resolved}
            error={null}
            onRetry={load}
            empty={null}
            columns={
              <>
                <th>Alert</th>
                <th>About</th>
                <th>Resolved</th>
              </>
            }
            row={(a) => (
              <>
                <td>{TITLES[a.type] ?? a.type}</td>
                <td>{subjectLink(a)}</td>
                <td title={dateTime(a.resolved_at)}>{relative(a.resolved_at, now, { past: true })}</td>
              </>
            )}
          />
        </>
      )}
      <AlertChannels />
    </>
  );
}

const TARGET_LABEL: Record<AlertChannelType, string> = {
  webhook: 'Webhook URL',
  slack: 'Slack incoming-webhook URL',
  email: 'Email address',
};

function AlertChannels() {
  const [channels, setChannels] = useState<AlertChannel[] | null>(null);
  const [type, setType] = useState<AlertChannelType>('webhook');
  const [target, setTarget] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmEl, confirm] = useConfirm();
  const { submit, busy, error, setError } = useSubmit(async () => {
    const body = type === 'email' ? { type, email: target.trim() } : { type, url: target.trim() };
    const created = await api.post('/v1/alert-channels', { body });
    setSecret(created.signing_secret ?? null);
    setTarget('');
    toast('Channel added.');
    await load();
  });
  const load = async () => {
    try {
      setChannels((await api.get('/v1/alert-channels')).data);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const remove = async (channel: AlertChannel) => {
    const ok = await confirm({
      title: 'Remove this channel?',
      body: <p>Alerts are no longer sent to {channel.url ?? channel.email}, including those still waiting to be sent.</p>,
      confirm: 'Remove channel',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del('/v1/alert-channels/{id}', { path: { id: channel.id } });
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      {confirmEl}
      <h2 class="section-title">Channels</h2>
      <p class="muted">
        Every alert is sent to each channel when it opens and when it resolves, on its own: never through the destination it is about.
      </p>
      <form class="card form inline-form" onSubmit={submit}>
        <Field label="New channel" id="channel-target" hint="Webhooks are signed with Standard Webhooks, like deliveries.">
          <div class="input-row">
            <select aria-label="Channel type" value={type} onChange={(e) => setType(e.currentTarget.value as AlertChannelType)}>
              <option value="webhook">Webhook</option>
              <option value="slack">Slack</option>
              <option value="email">Email</option>
            </select>
            <input
              id="channel-target"
              required
              type="text"
              inputMode={type === 'email' ? 'email' : 'url'}
              maxLength={2000}
              value={target}
              placeholder={TARGET_LABEL[type]}
              aria-label={TARGET_LABEL[type]}
              onInput={(e) => setTarget(e.currentTarget.value)}
            />
            <button type="submit" class="btn btn-primary" disabled={busy || !target.trim()}>
              <Icon name="plus" /> Add channel
            </button>
          </div>
        </Field>
        {error ? <ErrorBox error={error} /> : null}
      </form>
      {secret && (
        <Notice tone="ok">
          <strong>Webhook channel added.</strong> Verify its alerts with this signing secret; it is shown only now.
          <Copyable value={secret} label="Channel signing secret" secret />
        </Notice>
      )}
      <ListTable
        items={channels}
        error={null}
        onRetry={load}
        empty={
          <Empty icon="bell" title="No channels">
            <p>Alerts are listed here, but nobody is told until you add a channel.</p>
          </Empty>
        }
        columns={
          <>
            <th>Type</th>
            <th>Sent to</th>
          </>
        }
        row={(c) => (
          <>
            <td>{c.type}</td>
            <td>
              <code>{c.url ?? c.email}</code>
            </td>
            <td class="row-actions">
              <button type="button" class="btn btn-sm btn-ghost danger-text" onClick={() => remove(c)}>
                Remove
              </button>
            </td>
          </>
        )}
      />
    </>
  );
}
