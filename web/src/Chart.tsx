import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** One value per point of `at`; null where there is nothing to show (a latency without attempts). */
  values: (number | null)[];
  color: string;
}

export interface ChartProps {
  /** Names the chart for screen readers and the data table's caption. */
  title: string;
  /** Bucket start times (ms). */
  at: number[];
  series: ChartSeries[];
  /** How a value reads: in the legend on hover, the axis and the table. */
  format?: (n: number) => string;
  height?: number;
  /** The bucket's width, for the table's time labels. */
  bucketMs: number;
  /** What the aria label says of each series over the range: its total (counts) or its peak (latencies, rates). */
  summarize?: 'total' | 'peak';
}

const timeLabel = (ms: number, bucketMs: number) =>
  new Date(ms).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    ...(bucketMs < 86_400_000 ? { hour: '2-digit', minute: '2-digit' } : {}),
  });

const plain = (n: number) => n.toLocaleString();

/**
 * A time-series line chart (uPlot on a canvas: small, fast with thousands of points, a
 * legend that shows exact values under the cursor), resized with its container so it reads
 * on a phone. The canvas says nothing to a screen reader, so the figure carries an aria
 * label with each series' total or range, and a data table with every number.
 */
export function Chart({ title, at, series, format = plain, height = 180, bucketMs, summarize = 'total' }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}|${s.color}`).join(',');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { live: true },
      cursor: { points: { size: 6 } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#8b93a1', grid: { stroke: 'rgba(128, 128, 128, 0.2)' } },
        { stroke: '#8b93a1', grid: { stroke: 'rgba(128, 128, 128, 0.2)' }, size: 56, values: (_u, ticks) => ticks.map((t) => format(t)) },
      ],
      series: [
        { value: (_u, v) => (v == null ? '' : timeLabel(v * 1000, bucketMs)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : format(v)),
        })),
      ],
    };
    const u = new uPlot(opts, [[], ...series.map(() => [])], el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series themselves change; new data goes through setData below.
  }, [shape, height, bucketMs]);

  useEffect(() => {
    plot.current?.setData([at.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [at, series, shape]);

  const summary = series
    .map((s) => {
      const known = s.values.filter((v): v is number => v !== null);
      const value = summarize === 'total' ? known.reduce((a, b) => a + b, 0) : Math.max(...known);
      return `${s.label}: ${known.length === 0 ? 'none' : format(value)}`;
    })
    .join(', ');

  if (series.length === 0) return <p class="muted chart-empty">Nothing to show yet.</p>;
  return (
    <figure class="chart" data-chart={title}>
      <div
        ref={box}
        class="chart-canvas"
        role="img"
        aria-label={`${title}. ${summarize === 'total' ? 'Totals' : 'Peaks'} over the range: ${summary}.`}
      />
      <details class="chart-data">
        <summary>Data table</summary>
        <div class="table-scroll">
          <table class="table">
            <caption class="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {at.map((t, i) => (
                <tr key={t}>
                  <th scope="row">{timeLabel(t, bucketMs)}</th>
                  {series.map((s) => {
                    const v = s.values[i];
                    return (
                      <td class="num" key={s.label} data-series={s.label}>
                        {v == null ? '–' : format(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
