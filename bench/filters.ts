// `BENCH_FILTERS=50 npm run bench`: what payload filters cost ingest (issue 14). One
// Hookline (scale mode, or BENCH_TARGETS=embedded), two sources: A with one unfiltered
// destination, B with the same plus BENCH_FILTERS destinations whose filters each read the
// event (type, data fields, a range) and do not match it, so both sources deliver once per
// event and the difference is the filters' work at fan-out. Closed-loop phases alternate
// A, B, A, B… on the same process and database; the figure is B's accepted/s over A's.
import { compileFilter, filterView } from '@hookline/rules';
import { closedLoop, type LoadResult, MUX_SECRET, percentile, type Receiver, signedMuxEvent } from './load.ts';
import { embeddedTarget, scaleTarget } from './targets.ts';

/** A filter that reads the event the way a person routes one, and does not match the bench event. */
function filterNumber(n: number) {
  return {
    type: { $in: ['video.asset.ready', 'video.asset.created'] },
    data: { status: 'ready', passthrough: `customer-${n}` },
    'data.duration': { $gt: n },
  };
}

interface Phase {
  source: 'A' | 'B';
  acceptedPerSec: number;
  p50: number;
  p99: number;
  failures: number;
}

/**
 * The fan-out's own work per event, measured in this process where the load is steadier
 * than end to end: parse the envelope once and run `count` compiled filters on it.
 */
export function filterWorkPerEvent(count: number, iterations = 20_000): number {
  const matchers = Array.from({ length: count }, (_, i) => compileFilter(filterNumber(i + 1)));
  const payload = JSON.stringify({
    id: 'evt_bench',
    type: 'video.asset.ready',
    provider: 'mux',
    data: JSON.parse(signedMuxEvent().body).data,
  });
  const headers = { 'content-type': 'application/json', 'mux-signature': 't=1,v1=abc' };
  let kept = 0;
  const time = (work: () => void) => {
    for (let i = 0; i < 2_000; i++) work(); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) work();
    return ((performance.now() - t0) * 1000) / iterations;
  };
  const micros = time(() => {
    const view = filterView(payload, headers);
    for (const m of matchers) if (m(view)) kept++;
  });
  if (kept < 0) console.log(kept); // keeps the work observable, so it is not optimized away
  return micros;
}

export async function benchFilters(
  receiver: Receiver,
  options: { filters: number; durationMs: number; connections: number; rounds: number },
) {
  const embedded = (process.env.BENCH_TARGETS ?? '').split(',').includes('embedded');
  const target = await (embedded ? embeddedTarget : scaleTarget)(receiver);
  try {
    const api = target.api as { url: string; key: string };
    const call = async (path: string, body: unknown) => {
      const res = await fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
      return res.json() as Promise<Record<string, any>>;
    };
    // Source A is the target's own (one unfiltered destination); B gets the filtered ones too.
    const b = await call('/v1/sources', { name: 'bench filtered', provider: 'mux', verification: { secret: MUX_SECRET } });
    await call('/v1/destinations', { source_id: b.id, url: receiver.url });
    for (let n = 1; n <= options.filters; n++) {
      await call('/v1/destinations', { source_id: b.id, url: `${receiver.url}?filtered=${n}`, filter: filterNumber(n) });
    }
    const urls = { A: target.ingestUrl, B: `${new URL(target.ingestUrl).origin}${new URL(b.ingest_url).pathname}` };

    console.log(
      `\nfilters: ${target.name}; source A: 1 destination; source B: 1 + ${options.filters} filtered (none matching); ` +
        `${options.rounds} rounds of A then B, closed loop ${options.connections} connections × ${options.durationMs / 1000} s`,
    );
    const phases: Phase[] = [];
    const run = async (source: 'A' | 'B') => {
      const load: LoadResult = await closedLoop(urls[source], options.connections, options.durationMs);
      // Deliveries of one phase finish before the next starts, so neither pays for the other's backlog.
      await receiver.drain(load.accepted.keys(), 120_000);
      receiver.reset();
      const seconds = (load.endedAt - load.startedAt) / 1000;
      phases.push({
        source,
        acceptedPerSec: Math.round(load.accepted.size / seconds),
        p50: +percentile(load.ingestLatencyMs, 50).toFixed(1),
        p99: +percentile(load.ingestLatencyMs, 99).toFixed(1),
        failures: load.failures,
      });
    };
    await run('A'); // warm-up, not counted: JIT, caches, connections
    phases.length = 0;
    for (let round = 0; round < options.rounds; round++) {
      await run('A');
      await run('B');
    }
    console.table(
      phases.map((p) => ({
        source: p.source,
        'accepted/s': p.acceptedPerSec,
        'ingest p50/p99 ms': `${p.p50} / ${p.p99}`,
        failures: p.failures,
      })),
    );
    const mean = (source: 'A' | 'B') => {
      const of = phases.filter((p) => p.source === source);
      return of.reduce((sum, p) => sum + p.acceptedPerSec, 0) / of.length;
    };
    const ratio = mean('B') / mean('A');
    const work = filterWorkPerEvent(options.filters);
    console.log(
      `  filter work per event, measured alone: ${work.toFixed(1)} µs (envelope parsed once + ${options.filters} filters); ` +
        `${((work / 1000 / (1000 / mean('A'))) * 100).toFixed(1)} % of A's time per request, the cost if the relay's CPU is the bottleneck`,
    );
    console.log(
      `  ${options.filters} filtered destinations: ${Math.round(mean('B'))} vs ${Math.round(mean('A'))} accepted/s = ${ratio.toFixed(3)}× ` +
        `(cost ${((1 - ratio) * 100).toFixed(1)} %; target: under 10 %). Noisy on a shared machine: compare rounds.`,
    );
  } finally {
    await target.stop();
  }
}
