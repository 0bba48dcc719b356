import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  backendEnv,
  eventually,
  muxSignature,
  REPO_ROOT,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  testBackend,
} from '@hookline/testing';
import { expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';
import { exposes, sample, scrape } from './metrics-text.ts';

/** The names CONTRACT §7 promises, and the rest every role exposes. */
const CONTRACT = [
  'hookline_ingest_requests_total',
  'hookline_deliveries_total',
  'hookline_delivery_attempt_duration_seconds',
  'hookline_oldest_pending_delivery_age_seconds',
];
const EVERY_ROLE = [
  ...CONTRACT,
  'hookline_ingest_duration_seconds',
  'hookline_commit_duration_seconds',
  'hookline_commit_batch_size',
  'hookline_delivery_attempt_starts_total',
  'hookline_queue_lag_seconds',
  'hookline_deliveries_pending',
  'hookline_deliveries_failed',
  'hookline_stream_clients',
  'hookline_rate_limited_total',
  'hookline_db_pool_connections',
  'hookline_db_pool_waiting',
  'hookline_process_cpu_seconds_total',
  'hookline_nodejs_eventloop_lag_seconds',
];

it('/metrics moves by exactly the traffic sent: ingest outcomes, deliveries, attempts, batches, rate limits, backlog, streams', async () => {
  const storage = await backendEnv();
  const ok = await startReceiver(() => ({ status: 200 }));
  const failing = await startReceiver(() => ({ status: 500 }));
  const hookline = await startHooklineProcess({
    // One unknown-key request a minute per address; retries an hour away, so the failing
    // destination's deliveries stay pending while the test reads the backlog.
    env: { ...storage.env, HOOKLINE_UNKNOWN_KEY_RATE_LIMIT: '1', HOOKLINE_RETRY_SCHEDULE: '1h' },
  });
  const url = hookline.url;
  try {
    const before = await scrape(url);
    for (const name of EVERY_ROLE) expect(exposes(before, name), name).toBe(true);
    // The shipped dashboard and alert rules read only metrics the process exposes.
    for (const file of ['infra/grafana/hookline.json', 'infra/prometheus/alerts.yml']) {
      const used = new Set(readFileSync(join(REPO_ROOT, file), 'utf8').match(/hookline_[a-z0-9_]+/g));
      expect(used.size, file).toBeGreaterThan(3);
      for (const name of used) expect(exposes(before, name.replace(/_(bucket|sum|count)$/, '')), `${file}: ${name}`).toBe(true);
    }
    const moved = (after: string, name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);

    const { api } = await signUp(url);
    const source = await createMuxSource(api);
    await api.ok('POST', '/v1/destinations', { source_id: source.id, url: ok.url });
    await api.ok('POST', '/v1/destinations', { source_id: source.id, url: failing.url });

    // Two new events, a copy of the first, a forged signature, then two requests to a key no
    // source has (the second over the per-address budget of 1 a minute).
    const first = freshMuxEvent();
    const second = freshMuxEvent();
    const sent = [
      await sendWebhook(source.ingest_url, first, { 'mux-signature': muxSignature(first, MUX_SECRET) }),
      await sendWebhook(source.ingest_url, second, { 'mux-signature': muxSignature(second, MUX_SECRET) }),
      await sendWebhook(source.ingest_url, first, { 'mux-signature': muxSignature(first, MUX_SECRET) }),
      await sendWebhook(source.ingest_url, second, { 'mux-signature': muxSignature(second, 'not-the-secret') }),
      await sendWebhook(`${url}/in/no-source-has-this-key`, '{}', {}),
      await sendWebhook(`${url}/in/no-source-has-this-key-either`, '{}', {}),
    ];
    expect(sent.map((s) => s.status)).toEqual([200, 200, 200, 401, 404, 429]);

    // Each event goes to both destinations: one attempt succeeds, the other answers 500 and
    // is scheduled again. Wait until all four attempts are recorded.
    await ok.waitFor(2);
    await failing.waitFor(2);
    const after = await eventually(async () => {
      const text = await scrape(url);
      const recorded =
        moved(text, 'hookline_deliveries_total', { outcome: 'succeeded' }) +
        moved(text, 'hookline_deliveries_total', { outcome: 'retrying' });
      return recorded === 4 ? text : undefined;
    });

    const ingest = (outcome: string, provider: string) => moved(after, 'hookline_ingest_requests_total', { outcome, provider });
    expect(ingest('accepted', 'mux')).toBe(2);
    expect(ingest('duplicate', 'mux')).toBe(1);
    expect(ingest('verification_failed', 'mux')).toBe(1);
    expect(ingest('not_found', 'unknown')).toBe(1);
    expect(ingest('rate_limited', 'unknown')).toBe(1);
    expect(moved(after, 'hookline_ingest_requests_total')).toBe(6);
    expect(moved(after, 'hookline_ingest_duration_seconds_count')).toBe(6);
    expect(moved(after, 'hookline_rate_limited_total', { scope: 'ingest' })).toBe(1);

    expect(moved(after, 'hookline_deliveries_total', { outcome: 'succeeded' })).toBe(2);
    expect(moved(after, 'hookline_deliveries_total', { outcome: 'retrying' })).toBe(2);
    expect(moved(after, 'hookline_deliveries_total', { outcome: 'failed' })).toBe(0);
    expect(moved(after, 'hookline_delivery_attempt_duration_seconds_count', { status_class: '2xx' })).toBe(2);
    expect(moved(after, 'hookline_delivery_attempt_duration_seconds_count', { status_class: '5xx' })).toBe(2);
    expect(moved(after, 'hookline_delivery_attempt_duration_seconds_count')).toBe(4);

    // Every stored request went through one group commit (however they were batched); so
    // did every attempt record.
    expect(moved(after, 'hookline_commit_batch_size_sum', { writer: 'ingest' })).toBe(5);
    expect(moved(after, 'hookline_commit_batch_size_count', { writer: 'ingest' })).toBeGreaterThanOrEqual(1);
    expect(moved(after, 'hookline_commit_duration_seconds_count', { writer: 'ingest' })).toBe(
      moved(after, 'hookline_commit_batch_size_count', { writer: 'ingest' }),
    );
    expect(moved(after, 'hookline_commit_batch_size_sum', { writer: 'attempts' })).toBe(4);

    // The backlog gauges (read from the database, cached for a few seconds): the two
    // deliveries to the failing destination wait an hour for their retry, none is overdue.
    const backlog = await eventually(async () => {
      const text = await scrape(url);
      return sample(text, 'hookline_deliveries_pending') === 2 ? text : undefined;
    });
    expect(sample(backlog, 'hookline_deliveries_failed')).toBe(0);
    expect(sample(backlog, 'hookline_queue_lag_seconds')).toBe(0);
    const age = sample(backlog, 'hookline_oldest_pending_delivery_age_seconds');
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(120);

    // A live stream counts while it is open.
    const stream = new AbortController();
    const res = await fetch(`${url}/v1/stream`, { headers: { authorization: `Bearer ${api.apiKey}` }, signal: stream.signal });
    expect(res.status).toBe(200);
    await eventually(async () => sample(await scrape(url), 'hookline_stream_clients') === 1);
    stream.abort();
    await eventually(async () => sample(await scrape(url), 'hookline_stream_clients') === 0);
  } finally {
    await hookline.stop();
    await ok.close();
    await failing.close();
    await storage.cleanup();
  }
});

it.skipIf(testBackend() !== 'postgres')('/metrics answers on a relay-only process and counts its ingest', async () => {
  const storage = await backendEnv();
  const relay = await startHooklineProcess({ role: 'relay', env: storage.env });
  try {
    const before = await scrape(relay.url);
    for (const name of EVERY_ROLE) expect(exposes(before, name), name).toBe(true);
    expect((await sendWebhook(`${relay.url}/in/no-source-has-this-key`, '{}', {})).status).toBe(404);
    const after = await scrape(relay.url);
    const moved = (labels: Record<string, string>) =>
      sample(after, 'hookline_ingest_requests_total', labels) - sample(before, 'hookline_ingest_requests_total', labels);
    expect(moved({ outcome: 'not_found', provider: 'unknown' })).toBe(1);
    expect(moved({})).toBe(1);
    expect(
      sample(after, 'hookline_commit_batch_size_sum', { writer: 'ingest' }) -
        sample(before, 'hookline_commit_batch_size_sum', { writer: 'ingest' }),
    ).toBe(1);
  } finally {
    await relay.stop();
    await storage.cleanup();
  }
});
