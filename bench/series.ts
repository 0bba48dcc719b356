// `node --import tsx bench/series.ts naive|scale|embedded [seconds]`: one closed loop against
// a fresh target, printed as events delivered in each second from its first request. Shows
// how long a target takes to reach its steady rate (why `npm run bench` warms up first),
// and the CPU each kind of process on the machine spent per delivered event (from
// /proc: less noisy than a rate, to compare two versions of the code).
import setupTemplate from '@hookline/testing/global-setup';
import { closedLoop, Receiver, watchPeakRss } from './load.ts';
import { processUsage } from './process-usage.ts';
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
  const before = processUsage();
  const peakRss = watchPeakRss(target.pid);
  const load = await closedLoop(target.ingestUrl, 32, seconds * 1000);
  await receiver.drain(load.accepted.keys(), 60_000);
  const maxRss = peakRss();
  const after = processUsage();
  const perSecond: number[] = Array.from({ length: seconds + 1 }, () => 0);
  for (const arrived of receiver.arrivals.values()) {
    const second = Math.min(seconds, Math.floor((arrived - load.startedAt) / 1000));
    perSecond[second] = (perSecond[second] ?? 0) + 1;
  }
  console.log(`${target.name}, delivered per second: ${perSecond.join(' ')}`);
  const perEvent = [...after].map(
    ([kind, { cpuMs }]) => `${kind} ${((cpuMs - (before.get(kind)?.cpuMs ?? 0)) / receiver.arrivals.size).toFixed(3)}`,
  );
  console.log(`CPU ms per delivered event: ${perEvent.join(', ')}; peak RSS of the target's process ${maxRss} MB`);
} finally {
  await target.stop();
  receiver.close();
  await dropTemplate();
}
