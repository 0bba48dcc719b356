// `node --import tsx bench/paced.ts naive|scale|embedded [rate] [rounds] [preload]`: where a paced
// event's time and CPU go. After the bench's 5 s warm-up, `rounds` rounds of 10 s at `rate`
// requests a second (default 440, 3 rounds), each printed as latency split at the ingest
// answer (send → answer → arrival at the endpoint, percentiles 50/90/95/99), the slowest
// second's e2e p95, and per delivered event the CPU and the wake-ups (voluntary context
// switches) of each kind of process, and the Redis commands run. The README's Performance
// section explains why these, not the closed loop's, decide the paced p95. `preload` events
// of history are cloned in first (bench/preload.ts), as the bench's second pass does.
import { execFileSync } from 'node:child_process';
import setupTemplate from '@hookline/testing/global-setup';
import { closedLoop, paced, percentile, Receiver } from './load.ts';
import { processUsage } from './process-usage.ts';
import { starters } from './targets.ts';

const which = process.argv[2] ?? 'scale';
const rate = Number(process.argv[3] ?? 440);
const rounds = Number(process.argv[4] ?? 3);
const preload = Number(process.argv[5] ?? 0);
const start = starters[which];
if (!start) throw new Error(`no target "${which}": naive, scale or embedded`);

/** Calls of each Redis command since the server started (INFO commandstats). */
function redisCalls(): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of execFileSync('redis-cli', ['info', 'commandstats']).toString().split('\n')) {
    const m = /^cmdstat_(\w+):calls=(\d+)/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

const ms = (values: number[]) => [50, 90, 95, 99].map((p) => percentile(values, p).toFixed(1)).join(' / ');

const dropTemplate = await setupTemplate();
const receiver = new Receiver();
await receiver.start();
const target = await start(receiver);
try {
  if (preload > 0) await target.preload(preload);
  const targetReady = performance.now();
  const warmup = await closedLoop(target.ingestUrl, 32, 5_000);
  await receiver.drain(warmup.accepted.keys(), 60_000);
  for (let round = 0; round < rounds; round++) {
    receiver.reset();
    const usage0 = processUsage();
    const redis0 = redisCalls();
    const load = await paced(target.ingestUrl, rate, 10_000);
    await receiver.drain(load.accepted.keys(), 60_000);
    const usage1 = processUsage();
    const redis1 = redisCalls();
    const ingest: number[] = [];
    const after: number[] = [];
    const e2e: number[] = [];
    const bySecond = new Map<number, number[]>();
    for (const [id, sentAt] of load.accepted) {
      const arrived = receiver.arrivals.get(id);
      const answered = load.answered.get(id);
      if (arrived === undefined || answered === undefined) continue;
      ingest.push(answered - sentAt);
      after.push(arrived - answered);
      e2e.push(arrived - sentAt);
      const second = Math.floor((sentAt - load.startedAt) / 1000);
      const inSecond = bySecond.get(second) ?? [];
      inSecond.push(arrived - sentAt);
      bySecond.set(second, inSecond);
    }
    const n = e2e.length;
    const p95s = [...bySecond].map(([second, v]) => [second, percentile(v, 95)] as const);
    const [worstSecond, worst] = p95s.reduce((a, b) => (b[1] > a[1] ? b : a), [0, 0] as const);
    // When it was, counted from the target's start (or its preload's end): periodic work lines up.
    const worstAt = (load.startedAt + worstSecond * 1000 - targetReady) / 1000;
    console.log(`${target.name}, ${rate}/s, round ${round}: ${n} delivered, ${load.accepted.size - n} not`);
    console.log(
      `  ms: ingest ${ms(ingest)}; after the answer ${ms(after)}; e2e ${ms(e2e)}; slowest second's e2e p95 ${worst.toFixed(0)} (${worstAt.toFixed(0)} s in)`,
    );
    const perEvent = [...usage1]
      .map(([kind, u]) => {
        const u0 = usage0.get(kind) ?? { cpuMs: 0, wakeups: 0 };
        return { kind, cpu: (u.cpuMs - u0.cpuMs) / n, wakeups: (u.wakeups - u0.wakeups) / n };
      })
      .sort((a, b) => b.cpu - a.cpu);
    console.log(
      `  per event, CPU ms (wake-ups): ${perEvent.map((p) => `${p.kind} ${p.cpu.toFixed(2)} (${p.wakeups.toFixed(1)})`).join(', ')}`,
    );
    const calls = [...redis1].map(([cmd, c]) => [cmd, (c - (redis0.get(cmd) ?? 0)) / n] as const).filter(([, c]) => c >= 0.05);
    const total = calls.reduce((sum, [, c]) => sum + c, 0);
    console.log(
      `  Redis commands per event: ${total.toFixed(1)} (${calls
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([cmd, c]) => `${cmd} ${c.toFixed(2)}`)
        .join(', ')})`,
    );
  }
  // Asked for: what the processes logged, e.g. table upkeep's timings at BENCH_LOG_LEVEL=debug.
  if (process.env.BENCH_LOG_LEVEL) console.log(target.logs?.() ?? '');
} finally {
  await target.stop();
  receiver.close();
  await dropTemplate();
}
