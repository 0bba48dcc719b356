import { Chart } from '../Chart.tsx';
import { ErrorBox, Loading, PageHeader } from '../components.tsx';
import { destinations, sources, useResource } from '../data.ts';
import { count, duration } from '../format.ts';
import { navigate } from '../router.ts';
import {
  COLORS,
  failureRate,
  isRange,
  ms,
  percent,
  RANGES,
  type RangeKey,
  RangePicker,
  RequestsChart,
  type Stats,
  sum,
  times,
  useStats,
} from '../stats.tsx';

/** The first this many sources and destinations get a line of their own. */
const MAX_LINES = COLORS.length;

function Tile({ label, value, tone }: { label: string; value: string; tone?: 'bad' | 'warn' }) {
  return (
    <div class={`tile ${tone ? `tile-${tone}` : ''}`}>
      <div class="tile-value" data-tile={label}>
        {value}
      </div>
      <div class="tile-label">{label}</div>
    </div>
  );
}

/**
 * The overview: requests by outcome, volume by source, failure rate and p95 latency by
 * destination, and the backlog, over a chosen range, kept live while open.
 */
export function OverviewPage({ range: asked }: { range: string | null }) {
  const range: RangeKey = isRange(asked) ? asked : '24h';
  const r = RANGES[range];
  const srcs = (useResource(sources).value ?? []).slice(0, MAX_LINES);
  const dests = (useResource(destinations).value ?? []).slice(0, MAX_LINES);
  const scopes = [{}, ...srcs.map((s) => ({ source_id: s.id })), ...dests.map((d) => ({ destination_id: d.id }))];
  const { data, error, reload } = useStats(range, scopes);
  const all = data[0];
  const bySource = srcs.map((s, i) => ({ name: s.name, stats: data[1 + i] })).filter((x): x is { name: string; stats: Stats } => !!x.stats);
  const byDestination = dests
    .map((d, i) => ({ name: d.url.replace(/^https?:\/\//, ''), stats: data[1 + srcs.length + i] }))
    .filter((x): x is { name: string; stats: Stats } => !!x.stats);

  const header = (
    <PageHeader
      title="Overview"
      subtitle="Volume, failures and latency across your sources and destinations, live while this page is open."
      actions={<RangePicker value={range} onChange={(next) => navigate(`#/overview?range=${next}`, { replace: true })} />}
    />
  );
  if (!all) {
    return (
      <>
        {header}
        {error ? <ErrorBox error={error} onRetry={reload} /> : <Loading />}
      </>
    );
  }
  const s = all.series;
  const attempts = sum(s, (p) => p.deliveries.succeeded + p.deliveries.failed + p.deliveries.retrying);
  const failedAttempts = sum(s, (p) => p.deliveries.failed + p.deliveries.retrying);
  return (
    <>
      {header}
      <ErrorBox error={error} onRetry={reload} />
      <section class="tiles" aria-label={`Totals, ${r.label.toLowerCase()}`}>
        <Tile label="Accepted" value={count(sum(s, (p) => p.requests.accepted))} />
        <Tile
          label="Rejected"
          value={count(sum(s, (p) => p.requests.rejected))}
          tone={sum(s, (p) => p.requests.rejected) ? 'warn' : undefined}
        />
        <Tile label="Rate limited" value={count(sum(s, (p) => p.requests.rate_limited))} />
        <Tile label="Events" value={count(sum(s, (p) => p.events))} />
        <Tile label="Delivered" value={count(sum(s, (p) => p.deliveries.succeeded))} />
        <Tile label="Failed attempts" value={count(failedAttempts)} tone={failedAttempts ? 'bad' : undefined} />
        <Tile label="Pending now" value={count(all.backlog.pending)} tone={all.backlog.pending ? 'warn' : undefined} />
        <Tile
          label="Oldest pending"
          value={all.backlog.oldest_pending_age_seconds === null ? '–' : duration(all.backlog.oldest_pending_age_seconds * 1000)}
        />
      </section>
      {attempts > 0 && (
        <p class="muted">{percent(Math.round((failedAttempts / attempts) * 1000) / 10)} of attempts failed in this range.</p>
      )}

      <div class="chart-grid">
        <section class="card">
          <h2 class="card-title">Requests</h2>
          <RequestsChart stats={all} title="Requests by outcome" bucketMs={r.bucketMs} />
        </section>
        <section class="card">
          <h2 class="card-title">Events by source</h2>
          <Chart
            title="Events by source"
            at={times(all)}
            bucketMs={r.bucketMs}
            series={bySource.map((x, i) => ({ label: x.name, color: COLORS[i] as string, values: x.stats.series.map((p) => p.events) }))}
          />
        </section>
        <section class="card">
          <h2 class="card-title">Failure rate by destination</h2>
          <Chart
            title="Failed attempts by destination, percent"
            at={times(all)}
            bucketMs={r.bucketMs}
            format={percent}
            summarize="peak"
            series={byDestination.map((x, i) => ({ label: x.name, color: COLORS[i] as string, values: x.stats.series.map(failureRate) }))}
          />
        </section>
        <section class="card">
          <h2 class="card-title">p95 latency by destination</h2>
          <Chart
            title="p95 attempt latency by destination"
            at={times(all)}
            bucketMs={r.bucketMs}
            format={ms}
            summarize="peak"
            series={byDestination.map((x, i) => ({
              label: x.name,
              color: COLORS[i] as string,
              values: x.stats.series.map((p) => p.latency_ms.p95),
            }))}
          />
        </section>
      </div>
    </>
  );
}
