// `npm run bench`: the naive baseline (bench/naive) and Hookline, in scale mode and
// embedded, under the same load generator in one run, then the same with history
// pre-loaded. Prints figures and ratios; asserts nothing (machines here are noisy:
// compare within one run).
//
//   BENCH_DURATION     length of each load phase (default 10s)
//   BENCH_WARMUP       closed loop run first against each target, drained and not counted
//                      (default 5s; 0s skips it): JIT, connection pools, plans, caches
//   BENCH_CONNECTIONS  closed-loop connections (default 32)
//   BENCH_PRELOAD      events of history for the second pass (default 1000000; 0 skips it)
//   BENCH_TARGETS      naive,scale,embedded (default all three); `isolation` (or
//                      `npm run bench -- isolation`) runs bench/isolation.ts instead;
//                      `ordering` runs bench/ordering.ts (ordered vs unordered delivery)
//   BENCH_PACED        the paced rate, when running a target without the naive one
//   BENCH_FILTERS      instead: the cost of N filtered destinations on ingest (bench/filters.ts;
//                      scale mode, or embedded with BENCH_TARGETS=embedded; BENCH_ROUNDS, default 3)
import { parseDuration } from '@hookline/core';
import setupTemplate from '@hookline/testing/global-setup';
import { benchFilters } from './filters.ts';
import { closedLoop, type LoadResult, paced, percentile, Receiver, watchPeakRss } from './load.ts';
import { starters } from './targets.ts';

const DURATION = parseDuration(process.env.BENCH_DURATION ?? '10s');
const WARMUP = parseDuration(process.env.BENCH_WARMUP ?? '5s');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 1_000_000);
const TARGETS = (process.env.BENCH_TARGETS ?? 'naive,scale,embedded').split(',');
const DRAIN_MS = 120_000;
/** Paced rate to use instead of 80 % of the naive closed-loop rate (to rerun one target alone). */
const PACED = process.env.BENCH_PACED ? Number(process.env.BENCH_PACED) : undefined;

interface Figures {
  deliveredPerSec: number;
  ingestP50: number;
  ingestP99: number;
  e2eP50: number;
  e2eP95: number;
  e2eP99: number;
  undelivered: number;
  failures: number;
  duplicates: number;
}

/** Drains the receiver of what `load` got accepted, then computes the run's figures. */
async function measure(receiver: Receiver, load: LoadResult): Promise<Figures> {
  await receiver.drain(load.accepted.keys(), DRAIN_MS);
  const e2e: number[] = [];
  let last = load.startedAt;
  for (const [id, sentAt] of load.accepted) {
    const arrived = receiver.arrivals.get(id);
    if (arrived === undefined) continue;
    e2e.push(arrived - sentAt);
    last = Math.max(last, arrived);
  }
  const round = (n: number) => +n.toFixed(1);
  return {
    // Delivered per second from the first send to the last arrival: a backlog left at the
    // end of the load phase counts against the rate.
    deliveredPerSec: Math.round(e2e.length / ((last - load.startedAt) / 1000)),
    ingestP50: round(percentile(load.ingestLatencyMs, 50)),
    ingestP99: round(percentile(load.ingestLatencyMs, 99)),
    e2eP50: round(percentile(e2e, 50)),
    e2eP95: round(percentile(e2e, 95)),
    e2eP99: round(percentile(e2e, 99)),
    undelivered: load.accepted.size - e2e.length,
    failures: load.failures,
    duplicates: receiver.duplicates,
  };
}

async function bench(name: string, receiver: Receiver, preload: number, pacedRate: number | undefined) {
  const target = await starters[name]!(receiver);
  try {
    if (preload > 0) {
      const t0 = performance.now();
      await target.preload(preload);
      console.log(`  ${target.name}: pre-loaded ${preload} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    if (WARMUP > 0) {
      // Every target gets the same: figures of a process that has served a few thousand
      // requests, not of its first second (V8 compiling, pools opening, plans made on empty
      // tables).
      const warmup = await closedLoop(target.ingestUrl, CONNECTIONS, WARMUP);
      await receiver.drain(warmup.accepted.keys(), DRAIN_MS);
    }
    receiver.reset();
    const peakRss = watchPeakRss(target.pid);
    const closed = await measure(receiver, await closedLoop(target.ingestUrl, CONNECTIONS, DURATION));
    const maxRss = peakRss();
    receiver.reset();
    const rate = PACED ?? pacedRate ?? Math.round(closed.deliveredPerSec * 0.8);
    const open = await measure(receiver, await paced(target.ingestUrl, rate, DURATION));
    console.log(`  ${target.name}: ${closed.deliveredPerSec} delivered/s closed loop; paced ${rate}/s`);
    const lists = target.api ? await timeLists(target.api) : undefined;
    return { name: target.name, closed, open, rate, maxRss, lists };
  } finally {
    await target.stop();
  }
}

/** Median milliseconds of the list endpoints a person opens first, and of a live stream's first byte. */
async function timeLists(api: { url: string; key: string }): Promise<string> {
  const headers = { authorization: `Bearer ${api.key}` };
  const median = async (path: string) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await fetch(`${api.url}${path}`, { headers });
      if (path.startsWith('/v1/stream')) await res.body?.getReader().read();
      else await res.arrayBuffer();
      times.push(performance.now() - t0);
      if (path.startsWith('/v1/stream')) await res.body?.cancel().catch(() => {});
    }
    return percentile(times, 50).toFixed(0);
  };
  const paths = ['/v1/events?limit=50', '/v1/requests?limit=50', '/v1/sources', '/v1/stream'];
  const figures = [];
  for (const path of paths) figures.push(await median(path));
  return figures.join(' / ');
}

const dropTemplate = await setupTemplate();
if (process.argv.slice(2).includes('isolation') || TARGETS.includes('isolation')) {
  const { isolationBench } = await import('./isolation.ts');
  try {
    await isolationBench();
  } finally {
    await dropTemplate();
  }
  process.exit(0);
}
if (process.argv.slice(2).includes('ordering') || TARGETS.includes('ordering')) {
  const { orderingBench } = await import('./ordering.ts');
  try {
    await orderingBench();
  } finally {
    await dropTemplate();
  }
  process.exit(0);
}
const receiver = new Receiver();
await receiver.start();
if (process.env.BENCH_FILTERS) {
  try {
    const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
    await benchFilters(receiver, { filters: Number(process.env.BENCH_FILTERS), durationMs: DURATION, connections: CONNECTIONS, rounds });
  } finally {
    receiver.close();
    await dropTemplate();
  }
  process.exit(0);
}
console.log(
  `hookline bench: signed Mux webhooks, closed loop ${CONNECTIONS} connections × ${DURATION / 1000} s ` +
    `(after ${WARMUP / 1000} s of the same, not counted), then paced at 80 % of the naive closed-loop rate; one destination on loopback`,
);
try {
  let naiveRate: number | undefined;
  for (const preload of PRELOAD > 0 ? [0, PRELOAD] : [0]) {
    console.log(`\n${preload > 0 ? `with ${preload.toLocaleString('en')} events pre-loaded` : 'empty database'}`);
    const results = [];
    for (const name of TARGETS) {
      const result = await bench(name, receiver, preload, name === 'naive' && preload === 0 ? undefined : naiveRate);
      if (name === 'naive' && preload === 0) naiveRate = result.rate;
      results.push(result);
    }
    console.table(
      results.map((r) => ({
        target: r.name,
        'delivered/s': r.closed.deliveredPerSec,
        'ingest p50/p99 ms': `${r.closed.ingestP50} / ${r.closed.ingestP99}`,
        'e2e p50/p95/p99 ms': `${r.closed.e2eP50} / ${r.closed.e2eP95} / ${r.closed.e2eP99}`,
        'paced/s': r.rate,
        'paced ingest p99 ms': r.open.ingestP99,
        'paced e2e p50/p95/p99 ms': `${r.open.e2eP50} / ${r.open.e2eP95} / ${r.open.e2eP99}`,
        'not delivered': r.closed.undelivered + r.open.undelivered,
        failures: r.closed.failures + r.open.failures,
        'max RSS MB': r.maxRss,
        'events / requests / sources / stream ms': r.lists ?? '',
      })),
    );
    const naive = results.find((r) => r.name.startsWith('naive'));
    if (naive) {
      for (const r of results.filter((x) => x !== naive)) {
        console.log(
          `  ${r.name}: ${(r.closed.deliveredPerSec / naive.closed.deliveredPerSec).toFixed(2)}× naive delivered/s; ` +
            `ingest p99 ${r.closed.ingestP99} vs ${naive.closed.ingestP99} ms closed, ${r.open.ingestP99} vs ${naive.open.ingestP99} ms paced`,
        );
      }
    }
  }
} finally {
  receiver.close();
  await dropTemplate();
}
