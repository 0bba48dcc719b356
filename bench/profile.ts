// `node --import tsx bench/profile.ts [embedded|scale] [rate]`: one closed-loop run (or, with a
// rate, 10 s paced at that many events a second) against a target whose processes write V8
// CPU profiles (--cpu-prof) into BENCH_PROFILE_DIR, for the README's "where the time goes".
// Summarize with bench/profile-summary.ts.
import setupTemplate from '@hookline/testing/global-setup';
import { closedLoop, paced, Receiver } from './load.ts';
import { embeddedTarget, scaleTarget } from './targets.ts';

const dir = process.env.BENCH_PROFILE_DIR ?? '/tmp/hookline-profile';
process.env.HOOKLINE_PROCESS_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}`;
const which = process.argv[2] ?? 'embedded';
const rate = Number(process.argv[3] ?? 0);
const dropTemplate = await setupTemplate();
const receiver = new Receiver();
await receiver.start();
const target = await (which === 'scale' ? scaleTarget : embeddedTarget)(receiver);
try {
  const load = rate > 0 ? await paced(target.ingestUrl, rate, 10_000) : await closedLoop(target.ingestUrl, 32, 10_000);
  await receiver.drain(load.accepted.keys(), 60_000);
  console.log(`${which}: ${load.accepted.size} accepted, ${receiver.arrivals.size} delivered; profiles in ${dir}`);
} finally {
  await target.stop();
  receiver.close();
  await dropTemplate();
}
