import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Ok } from './api.ts';
import { Chart } from './Chart.tsx';
import { duration } from './format.ts';
import { useStream } from './stream.ts';

export type Stats = Ok<'/v1/stats', 'get'>;
export type StatsPoint = Stats['series'][number];

/** The ranges the picker offers, each with the bucket that gives it a readable number of points. */
export const RANGES = {
  '1h': { label: 'Last hour', ms: 3_600_000, bucket: 'minute', bucketMs: 60_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour', bucketMs: 3_600_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'hour', bucketMs: 3_600_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, bucket: 'day', bucketMs: 86_400_000 },
} as const;
export type RangeKey = keyof typeof RANGES;
export const isRange = (v: string | null): v is RangeKey => v !== null && v in RANGES;

export function RangePicker({ value, onChange }: { value: RangeKey; onChange: (r: RangeKey) => void }) {
  return (
    <label class="range-picker">
      <span class="sr-only">Time range</span>
      <select value={value} onChange={(e) => onChange(e.currentTarget.value as RangeKey)}>
        {Object.entries(RANGES).map(([key, r]) => (
          <option key={key} value={key}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** How often a page with charts asks again while traffic streams in. */
const REFRESH_MS = 2000;

/**
 * Stats for each of `scopes` (tenant-wide `{}`, a source, a destination) over the range,
 * asked again while the page is open: when the live stream says something happened (at
 * most every two seconds), and every minute in any case (buckets move on).
 */
export function useStats(range: RangeKey, scopes: { source_id?: string; destination_id?: string }[]) {
  const [data, setData] = useState<(Stats | undefined)[]>([]);
  const [error, setError] = useState<unknown>(null);
  const key = JSON.stringify([range, scopes]);
  const dirty = useRef(false);
  const load = useRef<() => void>(() => {});

  useEffect(() => {
    let stale = false;
    let busy = false;
    const r = RANGES[range];
    load.current = async () => {
      if (busy) {
        dirty.current = true;
        return;
      }
      busy = true;
      dirty.current = false;
      try {
        const since = new Date(Date.now() - r.ms).toISOString();
        const answers = await Promise.all(scopes.map((scope) => api.get('/v1/stats', { query: { ...scope, since, bucket: r.bucket } })));
        if (!stale) {
          setData(answers);
          setError(null);
        }
      } catch (err) {
        if (!stale) setError(err);
      } finally {
        busy = false;
      }
    };
    void load.current();
    const tick = setInterval(() => {
      if (dirty.current) void load.current();
    }, REFRESH_MS);
    const minute = setInterval(() => void load.current(), 60_000);
    return () => {
      stale = true;
      clearInterval(tick);
      clearInterval(minute);
    };
  }, [key]);

  // Marked dirty, not read at once: a burst of traffic is one read per REFRESH_MS. Also
  // when the stream connects, for what arrived before it.
  const markDirty = () => {
    dirty.current = true;
  };
  useStream({ onOpen: markDirty }, markDirty);
  return { data, error, reload: () => load.current() };
}

export const times = (stats: Stats) => stats.series.map((p) => Date.parse(p.at));
export const sum = (series: StatsPoint[], pick: (p: StatsPoint) => number) => series.reduce((n, p) => n + pick(p), 0);
const attempts = (p: StatsPoint) => p.deliveries.succeeded + p.deliveries.failed + p.deliveries.retrying;
/** Share of attempts that did not succeed, in percent; null without attempts. */
export const failureRate = (p: StatsPoint) => {
  const n = attempts(p);
  return n === 0 ? null : Math.round(((p.deliveries.failed + p.deliveries.retrying) / n) * 1000) / 10;
};
export const percent = (n: number) => `${n.toLocaleString()} %`;
export const ms = (n: number) => duration(Math.round(n));

export const COLORS = ['#4f7cff', '#e5484d', '#f5a524', '#30a46c', '#8e4ec6', '#12a594', '#d6409f', '#978365'];

/** Requests by outcome: what a source's page and the overview show first. */
export function RequestsChart({ stats, title, bucketMs, height }: { stats: Stats; title: string; bucketMs: number; height?: number }) {
  const s = stats.series;
  return (
    <Chart
      title={title}
      height={height}
      at={times(stats)}
      bucketMs={bucketMs}
      series={[
        { label: 'Accepted', color: COLORS[0] as string, values: s.map((p) => p.requests.accepted) },
        { label: 'Duplicate', color: COLORS[5] as string, values: s.map((p) => p.requests.duplicate) },
        { label: 'Rejected', color: COLORS[1] as string, values: s.map((p) => p.requests.rejected) },
        { label: 'Rate limited', color: COLORS[2] as string, values: s.map((p) => p.requests.rate_limited) },
      ]}
    />
  );
}

/** Attempts by where they left their delivery, and latency: a destination's page. */
export function DeliveriesChart({ stats, title, bucketMs, height }: { stats: Stats; title: string; bucketMs: number; height?: number }) {
  const s = stats.series;
  return (
    <Chart
      title={title}
      height={height}
      at={times(stats)}
      bucketMs={bucketMs}
      series={[
        { label: 'Succeeded', color: COLORS[3] as string, values: s.map((p) => p.deliveries.succeeded) },
        { label: 'Retrying', color: COLORS[2] as string, values: s.map((p) => p.deliveries.retrying) },
        { label: 'Failed', color: COLORS[1] as string, values: s.map((p) => p.deliveries.failed) },
      ]}
    />
  );
}
