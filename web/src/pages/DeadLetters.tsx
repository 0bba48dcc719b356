import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, type Ok } from '../api.ts';
import { Badge, Empty, ErrorBox, Icon, ListTable, Loading, PageHeader, toast, useConfirm, useNow } from '../components.tsx';
import { destinations, useResource } from '../data.ts';
import { count, dateTime, plural, relative } from '../format.ts';
import type { Tone } from '../log-store.ts';

type DeadLetter = Ok<'/v1/dead-letters', 'get'>['data'][number];
type Counts = Ok<'/v1/dead-letters/counts', 'get'>;
type ReplayJob = Ok<'/v1/replays', 'get'>['data'][number];

const RANGES = [
  { value: '', label: 'Any time', ms: 0 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
];
const PAGE = 50;

interface Filter {
  destination: string;
  type: string;
  range: string;
}

/** The filter as the API's query (the list and counts) and as a replay selection (the same deliveries). */
function query(f: Filter) {
  const ms = RANGES.find((r) => r.value === f.range)?.ms;
  return {
    destination_id: f.destination || undefined,
    type: f.type.trim() || undefined,
    since: ms ? new Date(Date.now() - ms).toISOString() : undefined,
  };
}

const JOB_TONE: Record<ReplayJob['status'], Tone> = {
  queued: 'info',
  running: 'info',
  succeeded: 'ok',
  cancelled: 'muted',
  failed: 'bad',
};

/**
 * Replay jobs with their progress, polled while one is unfinished; cancel stops one between
 * chunks. `onSettled` is told whenever a job is seen finished that was not finished at the
 * previous read (the page's counts changed). A job can be created and finish between two
 * reads, so "was unfinished, now is not" would miss it.
 */
const isUnfinished = (job: ReplayJob) => job.status === 'queued' || job.status === 'running';

export function ReplayJobs({ refresh, onSettled }: { refresh: number; onSettled?: () => void }) {
  const [jobs, setJobs] = useState<ReplayJob[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useNow();
  // Ids of the jobs finished at the previous read; null before the first read.
  const finishedBefore = useRef<Set<string> | null>(null);
  const load = async () => {
    try {
      const data = (await api.get('/v1/replays', { query: { limit: 10 } })).data;
      setJobs(data);
      setError(null);
      const finished = new Set(data.filter((j) => !isUnfinished(j)).map((j) => j.id));
      const previous = finishedBefore.current;
      finishedBefore.current = finished;
      if (previous && [...finished].some((id) => !previous.has(id))) onSettled?.();
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [refresh]);
  const unfinished = jobs?.some(isUnfinished);
  useEffect(() => {
    if (!unfinished) return;
    const timer = setInterval(load, 1000);
    return () => clearInterval(timer);
  }, [unfinished]);

  const cancel = async (job: ReplayJob) => {
    try {
      await api.post('/v1/replays/{id}/cancel', { path: { id: job.id } });
      toast('Replay cancelled.');
    } catch (err) {
      toast(errorText(err), 'bad');
    }
    await load();
  };

  return (
    <section class="card" aria-labelledby="replays-title">
      <h2 class="card-title" id="replays-title">
        Replay jobs
      </h2>
      <ListTable
        items={jobs}
        error={error}
        onRetry={load}
        empty={<p class="muted">No replays yet.</p>}
        columns={
          <>
            <th>Started</th>
            <th>Status</th>
            <th>Progress</th>
          </>
        }
        row={(job) => {
          const pct = job.total > 0 ? Math.min(100, Math.round((job.done / job.total) * 100)) : 100;
          return (
            <>
              <td title={dateTime(job.created_at)}>{relative(job.created_at, now, { past: true })}</td>
              <td>
                <Badge tone={JOB_TONE[job.status]} title={job.error ?? undefined}>
                  {job.status}
                </Badge>
              </td>
              <td>
                <progress
                  class="replay-progress"
                  max={Math.max(job.total, 1)}
                  value={Math.min(job.done, job.total)}
                  aria-label="Replay progress"
                />{' '}
                <span data-testid="replay-progress">
                  {count(job.done)} / {count(job.total)}
                </span>{' '}
                <span class="muted">({pct} %)</span>
              </td>
              <td class="row-actions">
                {isUnfinished(job) && (
                  <button type="button" class="btn btn-sm btn-ghost danger-text" onClick={() => cancel(job)}>
                    Cancel
                  </button>
                )}
              </td>
            </>
          );
        }}
      />
    </section>
  );
}

/** Deliveries that spent their retry schedule: counted per destination, listed, and replayed in bulk. */
export function DeadLettersPage() {
  const allDestinations = useResource(destinations);
  const [filter, setFilter] = useState<Filter>({ destination: '', type: '', range: '' });
  const [counts, setCounts] = useState<Counts | null>(null);
  const [items, setItems] = useState<DeadLetter[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [refreshJobs, setRefreshJobs] = useState(0);
  const [confirmEl, confirm] = useConfirm();
  const now = useNow();

  const load = async () => {
    try {
      const q = query(filter);
      const [c, page] = await Promise.all([
        api.get('/v1/dead-letters/counts', { query: { ...q, destination_id: undefined } }),
        api.get('/v1/dead-letters', { query: { ...q, limit: PAGE } }),
      ]);
      setCounts(c);
      setItems(page.data);
      setCursor(page.next_cursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [filter]);

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await api.get('/v1/dead-letters', { query: { ...query(filter), limit: PAGE, cursor } });
      setItems([...(items ?? []), ...page.data]);
      setCursor(page.next_cursor);
    } catch (err) {
      toast(errorText(err), 'bad');
    }
  };

  const urlOf = (id: string) => allDestinations.value?.find((d) => d.id === id)?.url ?? id;

  const replay = async () => {
    const q = query(filter);
    const selection = {
      status: ['failed' as const],
      destination_id: q.destination_id,
      types: q.type ? [q.type] : undefined,
      since: q.since,
    };
    try {
      // The count first: a person sees how many before anything is sent.
      const { total } = await api.post('/v1/replays/preview', { body: { filter: selection } });
      if (total === 0) {
        toast('No dead letters match: nothing to replay.', 'info');
        return;
      }
      const ok = await confirm({
        title: `Replay ${plural(total, 'dead letter')}?`,
        body: (
          <p>
            <strong data-testid="replay-preview">{count(total)}</strong> {total === 1 ? 'delivery gets' : 'deliveries get'} one more
            attempt, with the same webhook-id, so receivers that deduplicate stay safe. The replay runs in the background; you can follow or
            cancel it below.
          </p>
        ),
        confirm: 'Replay these',
      });
      if (!ok) return;
      const job = await api.post('/v1/replays', { body: { filter: selection } });
      toast(`Replaying ${plural(job.total, 'delivery', 'deliveries')}.`);
      setRefreshJobs((n) => n + 1);
      await load();
    } catch (err) {
      toast(errorText(err), 'bad');
    }
  };

  const set = (changes: Partial<Filter>) => setFilter({ ...filter, ...changes });

  return (
    <>
      {confirmEl}
      <PageHeader
        title="Dead letters"
        subtitle="Deliveries that spent their retry schedule. Fix the endpoint, then replay them: each keeps its webhook-id."
        actions={
          <button type="button" class="btn btn-primary" onClick={replay} disabled={!items || items.length === 0}>
            <Icon name="retry" /> Replay these
          </button>
        }
      />
      <div class="toolbar">
        <label class="sr-only" for="dl-destination">
          Destination
        </label>
        <select id="dl-destination" value={filter.destination} onChange={(e) => set({ destination: e.currentTarget.value })}>
          <option value="">All destinations</option>
          {(allDestinations.value ?? []).map((d) => (
            <option key={d.id} value={d.id}>
              {d.url}
            </option>
          ))}
        </select>
        <label class="sr-only" for="dl-type">
          Event type
        </label>
        <input
          id="dl-type"
          class="input-sm"
          placeholder="Event type, e.g. video.asset.*"
          value={filter.type}
          onChange={(e) => set({ type: e.currentTarget.value })}
        />
        <label class="sr-only" for="dl-range">
          Received
        </label>
        <select id="dl-range" value={filter.range} onChange={(e) => set({ range: e.currentTarget.value })}>
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <ErrorBox error={error} onRetry={load} />
      {!counts && !error && <Loading />}
      {counts && (
        <section class="card" aria-labelledby="dl-counts-title">
          <h2 class="card-title" id="dl-counts-title">
            Per destination · {count(counts.total)} in all
          </h2>
          {counts.data.length === 0 ? (
            <p class="muted">No dead letters. Every delivery arrived or is still being retried.</p>
          ) : (
            <ul class="plain-list">
              {counts.data.map((c) => (
                <li key={c.destination_id}>
                  <button type="button" class="btn btn-sm btn-ghost" onClick={() => set({ destination: c.destination_id })}>
                    <code>{c.url}</code>
                  </button>{' '}
                  <strong data-testid="dead-letter-count">{count(c.count)}</strong>{' '}
                  <span class="muted">newest {relative(c.newest, now, { past: true })}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {counts && (
        <ListTable
          items={items}
          error={null}
          onRetry={load}
          empty={
            <Empty icon="check" title="No dead letters match">
              <p>Change the filters, or come back when a destination gives up on a delivery.</p>
            </Empty>
          }
          columns={
            <>
              <th>Event</th>
              <th>Type</th>
              <th class="hide-sm">Destination</th>
              <th>Last attempt</th>
            </>
          }
          row={(d) => (
            <>
              <td>
                <a href={`#/events/${d.event_id}`}>
                  <code>{d.event_id}</code>
                </a>
              </td>
              <td>{d.type}</td>
              <td class="hide-sm">
                <code>{urlOf(d.destination_id)}</code>
              </td>
              <td title={dateTime(d.last_attempt_at)}>
                {d.last_error ?? (d.last_status_code ? `HTTP ${d.last_status_code}` : '—')} · {d.attempt_count}{' '}
                {plural(d.attempt_count, 'attempt')}
              </td>
              <td />
            </>
          )}
        />
      )}
      {cursor && (
        <button type="button" class="btn" onClick={more}>
          Load more
        </button>
      )}
      <ReplayJobs refresh={refreshJobs} onSettled={load} />
    </>
  );
}
