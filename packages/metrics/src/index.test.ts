import { expect, it } from 'vitest';
import { type DeliveryBacklog, renderMetrics, statusClass, unwatchBacklog, watchBacklog } from './index.ts';

it('classes attempt answers by hundreds, and no answer as error', () => {
  expect([200, 204, 301, 404, 429, 500, 503].map(statusClass)).toEqual(['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx']);
  expect(statusClass(null)).toBe('error');
  expect(statusClass(0)).toBe('error');
});

it('reads the backlog once per cache period, shared by concurrent scrapes, and keeps the last figures when a read fails', async () => {
  let reads = 0;
  let fail = false;
  const read = async (): Promise<DeliveryBacklog> => {
    reads++;
    if (fail) throw new Error('database away');
    return { pending: 3, failed: 1, oldestPendingAgeSeconds: 42.5, queueLagSeconds: 2 };
  };
  watchBacklog(read, 60_000);
  try {
    const [a] = await Promise.all([renderMetrics(), renderMetrics(), renderMetrics()]);
    expect(reads).toBe(1);
    expect(a.body).toMatch(/^hookline_deliveries_pending 3$/m);
    expect(a.body).toMatch(/^hookline_deliveries_failed 1$/m);
    expect(a.body).toMatch(/^hookline_oldest_pending_delivery_age_seconds 42.5$/m);
    expect(a.body).toMatch(/^hookline_queue_lag_seconds 2$/m);
    await renderMetrics();
    expect(reads).toBe(1);

    // A new watch starts uncached; a failed read counts an error and leaves the gauges.
    fail = true;
    watchBacklog(read, 0);
    const b = await renderMetrics();
    expect(reads).toBe(2);
    expect(b.body).toMatch(/^hookline_deliveries_pending 3$/m);
    expect(b.body).toMatch(/^hookline_backlog_query_errors_total 1$/m);
  } finally {
    unwatchBacklog(read);
  }
});
