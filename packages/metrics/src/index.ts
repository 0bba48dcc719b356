/**
 * The process's Prometheus metrics (`GET /metrics`, text format). Every role records into
 * this one registry; names are prefixed `hookline_`. Labels are bounded sets (outcome,
 * provider, status class, writer, scope): never an event, delivery or tenant id.
 *
 * Recording is synchronous and allocation-light (counters, histograms), so the hot paths
 * call it inline. The delivery backlog gauges come from one database query, run when
 * Prometheus scrapes and cached for a few seconds (see `watchBacklog`).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'hookline_' });

/** Latency buckets (seconds) for work that answers in milliseconds and may take seconds. */
const LATENCY = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const ingestRequests = new Counter({
  name: 'hookline_ingest_requests_total',
  help: 'Ingest requests (POST /in/…) by outcome (accepted, duplicate, probe, verification_failed, not_found, unparsable, too_large, too_deep, over_budget, rate_limited, store_failed, error) and provider (unknown when no source was found)',
  labelNames: ['outcome', 'provider'] as const,
  registers: [registry],
});

export const ingestDuration = new Histogram({
  name: 'hookline_ingest_duration_seconds',
  help: 'Time from a read ingest body to its answer (verify, normalize, commit)',
  buckets: LATENCY,
  registers: [registry],
});

export const commitDuration = new Histogram({
  name: 'hookline_commit_duration_seconds',
  help: 'One group commit statement: writer ingest (requests, events, deliveries) or attempts (attempt records)',
  labelNames: ['writer'] as const,
  buckets: LATENCY,
  registers: [registry],
});

export const commitBatchSize = new Histogram({
  name: 'hookline_commit_batch_size',
  help: 'Writes grouped into one commit statement, by writer (ingest or attempts)',
  labelNames: ['writer'] as const,
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  registers: [registry],
});

export const deliveries = new Counter({
  name: 'hookline_deliveries_total',
  help: 'Delivery attempts recorded, by what became of the delivery: succeeded, retrying (another attempt is scheduled), failed (no attempts left), held (destination paused)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const attemptStarts = new Counter({
  name: 'hookline_delivery_attempt_starts_total',
  help: 'Delivery attempts started, by how the worker got the delivery: ingest (leased by the ingest statement in the same process) or claim',
  labelNames: ['via'] as const,
  registers: [registry],
});

export const attemptDuration = new Histogram({
  name: 'hookline_delivery_attempt_duration_seconds',
  help: "One delivery attempt's HTTP exchange, by status class (2xx, 3xx, 4xx, 5xx, or error: no answer)",
  labelNames: ['status_class'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
  registers: [registry],
});

export const streamClients = new Gauge({
  name: 'hookline_stream_clients',
  help: 'Live streams (GET /v1/stream) open on this process',
  registers: [registry],
});

export const rateLimited = new Counter({
  name: 'hookline_rate_limited_total',
  help: 'Requests answered 429, by scope: ingest (a source or unknown-key budget) or api (API, login and signup limits)',
  labelNames: ['scope'] as const,
  registers: [registry],
});

const poolGauges = {
  connections: new Gauge({
    name: 'hookline_db_pool_connections',
    help: "PostgreSQL connections in this process's pool, by state (busy, idle)",
    labelNames: ['state'] as const,
    registers: [registry],
  }),
  waiting: new Gauge({
    name: 'hookline_db_pool_waiting',
    help: 'Queries waiting for a free PostgreSQL connection in this process (pool waits; 0 on embedded PGlite)',
    registers: [registry],
  }),
};
let poolStats: (() => { total: number; idle: number; waiting: number }) | undefined;

/** Reports this process's database pool (read when metrics are collected). */
export function watchPool(read: (() => { total: number; idle: number; waiting: number }) | undefined): void {
  poolStats = read;
}

function readPool(): void {
  const stats = poolStats?.() ?? { total: 0, idle: 0, waiting: 0 };
  poolGauges.connections.set({ state: 'busy' }, stats.total - stats.idle);
  poolGauges.connections.set({ state: 'idle' }, stats.idle);
  poolGauges.waiting.set(stats.waiting);
}

/** The 2xx/4xx/… class of an attempt's answer; `error` when there was none (timeout, refused, DNS). */
export function statusClass(statusCode: number | null): string {
  if (statusCode === null || statusCode < 100 || statusCode > 599) return 'error';
  return `${Math.floor(statusCode / 100)}xx`;
}

/** Seconds since a start taken with `performance.now()`. */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** What the delivery backlog gauges show; ages in seconds, measured by the database's clock. */
export interface DeliveryBacklog {
  pending: number;
  failed: number;
  /** now − created_at of the oldest pending delivery; 0 when none is pending. */
  oldestPendingAgeSeconds: number;
  /** now − next_attempt_at of the most overdue pending delivery; 0 when none is due. */
  queueLagSeconds: number;
}

const backlogGauges = {
  pending: new Gauge({
    name: 'hookline_deliveries_pending',
    help: 'Deliveries pending (due, in flight or waiting for a retry)',
    registers: [registry],
  }),
  failed: new Gauge({
    name: 'hookline_deliveries_failed',
    help: 'Deliveries failed for good (every attempt used) and not yet pruned',
    registers: [registry],
  }),
  oldestPendingAgeSeconds: new Gauge({
    name: 'hookline_oldest_pending_delivery_age_seconds',
    help: 'Age of the oldest pending delivery (a delivery retrying on schedule stays pending for up to the whole retry schedule)',
    registers: [registry],
  }),
  queueLagSeconds: new Gauge({
    name: 'hookline_queue_lag_seconds',
    help: 'How long the most overdue pending delivery has been due (now − its next_attempt_at); 0 when none is due',
    registers: [registry],
  }),
  scrapeErrors: new Counter({
    name: 'hookline_backlog_query_errors_total',
    help: 'Failures of the query behind the delivery backlog gauges (the gauges keep their last values)',
    registers: [registry],
  }),
};

let backlog: { read: () => Promise<DeliveryBacklog>; cacheMs: number; at: number; current?: Promise<void> } | undefined;

/**
 * Fills the backlog gauges from `read` when metrics are collected, at most once per `cacheMs`
 * (concurrent scrapes share one query). The last process to call this supplies the figures.
 */
export function watchBacklog(read: () => Promise<DeliveryBacklog>, cacheMs = 5_000): void {
  backlog = { read, cacheMs, at: Number.NEGATIVE_INFINITY };
}

/** Stops querying for the backlog (the database is closing). */
export function unwatchBacklog(read: () => Promise<DeliveryBacklog>): void {
  if (backlog?.read === read) backlog = undefined;
}

/** A scrape waits this long for the backlog query; past it, the gauges keep their last values. */
const BACKLOG_WAIT_MS = 2_000;

async function refreshBacklog(): Promise<void> {
  const watch = backlog;
  if (!watch) return;
  if (!watch.current && performance.now() - watch.at >= watch.cacheMs) {
    watch.current = (async () => {
      try {
        const figures = await watch.read();
        backlogGauges.pending.set(figures.pending);
        backlogGauges.failed.set(figures.failed);
        backlogGauges.oldestPendingAgeSeconds.set(figures.oldestPendingAgeSeconds);
        backlogGauges.queueLagSeconds.set(figures.queueLagSeconds);
        watch.at = performance.now();
      } catch {
        backlogGauges.scrapeErrors.inc();
      } finally {
        watch.current = undefined;
      }
    })();
  }
  if (!watch.current) return;
  // A database that does not answer must not hang the scrape (process metrics still matter
  // then); the query in flight is shared, never repeated, until it ends.
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, BACKLOG_WAIT_MS);
  });
  await Promise.race([watch.current, waited]);
  clearTimeout(timer);
}

/** The Prometheus text exposition of every metric, and its content type. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  await refreshBacklog();
  readPool();
  return { contentType: registry.contentType, body: await registry.metrics() };
}

export * from './tracing.ts';
