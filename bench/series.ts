// `node --import tsx bench/series.ts naive|scale|embedded [seconds]`: one closed loop against
// a fresh target, printed as events delivered in each second from its first request. Shows
// how long a target takes to reach its steady rate (why `npm run bench` warms up first),
// and the CPU each kind of process on the machine spent per delivered event (from
// /proc: less noisy than a rate, to compare two versions of the code).
import { readdirSync, readFileSync } from 'node:fs';
import setupTemplate from '@hookline/testing/global-setup';
import { closedLoop, Receiver, watchPeakRss } from './load.ts';
import { starters } from './targets.ts';

const which = process.argv[2] ?? 'scale';
const seconds = Number(process.argv[3] ?? 20);
const start = starters[which];
if (!start) throw new Error(`no target "${which}": naive, scale or embedded`);

const dropTemplate = await setupTemplate();
const receiver = new Receiver();
await receiver.start();
const target = await start(receiver);
try {
  const before = cpuByProcessKind();
  const peakRss = watchPeakRss(target.pid);
  const load = await closedLoop(target.ingestUrl, 32, seconds * 1000);
  await receiver.drain(load.accepted.keys(), 60_000);
  const maxRss = peakRss();
  const after = cpuByProcessKind();
  const perSecond: number[] = Array.from({ length: seconds + 1 }, () => 0);
  for (const arrived of receiver.arrivals.values()) {
    const second = Math.min(seconds, Math.floor((arrived - load.startedAt) / 1000));
    perSecond[second] = (perSecond[second] ?? 0) + 1;
  }
  console.log(`${target.name}, delivered per second: ${perSecond.join(' ')}`);
  const perEvent = [...after].map(([kind, ms]) => `${kind} ${((ms - (before.get(kind) ?? 0)) / receiver.arrivals.size).toFixed(3)}`);
  console.log(`CPU ms per delivered event: ${perEvent.join(', ')}; peak RSS of the target's process ${maxRss} MB`);
} finally {
  await target.stop();
  receiver.close();
  await dropTemplate();
}

/**
 * CPU time (user + system, ms) of every process now running, summed by kind: PostgreSQL,
 * Redis, each Hookline role, the naive relay, this load generator. A process that exits
 * meanwhile drops out: the targets keep their connections for the whole run.
 */
function cpuByProcessKind(): Map<string, number> {
  const tick = 10; // ms per clock tick (USER_HZ 100)
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * tick;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const kind = cmd.startsWith('postgres')
        ? 'postgres'
        : cmd.includes('redis-server')
          ? 'redis'
          : cmd.includes('naive/server.ts')
            ? 'naive'
            : Number(pid) === process.pid
              ? 'load generator'
              : (/main\.[jt]s (relay|worker|api|all)/.exec(cmd)?.[1] ?? null);
      if (kind) out.set(kind, (out.get(kind) ?? 0) + ms);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
