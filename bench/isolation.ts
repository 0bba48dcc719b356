// `npm run bench -- isolation` (issue 13): does one tenant's hanging endpoints slow another
// tenant's deliveries? One Hookline process (PostgreSQL + Redis, default worker settings).
// Tenant B sends events at a steady rate to one healthy destination, first alone, then
// while tenant A's events fan out to 200 destinations that hang until the delivery timeout.
// Prints B's end-to-end latency (sent → arrived) in both phases. Asserts nothing: on a
// busy machine compare the two phases of one run.
//
//   BENCH_ISOLATION_DURATION  length of each phase (default 20s)
//   BENCH_ISOLATION_RATE      tenant B's events per second (default 20)
//   BENCH_ISOLATION_A_RATE    tenant A's events per second, each to 200 destinations (default 2)
import { createServer, type ServerResponse } from 'node:http';
import { parseDuration } from '@hookline/core';
import { backendEnv, signUp, startHooklineProcess, type Tenant } from '@hookline/testing';
import { MUX_SECRET, paced, percentile, Receiver } from './load.ts';

const DURATION = parseDuration(process.env.BENCH_ISOLATION_DURATION ?? '20s');
const B_RATE = Number(process.env.BENCH_ISOLATION_RATE ?? 20);
const A_RATE = Number(process.env.BENCH_ISOLATION_A_RATE ?? 2);
const A_DESTINATIONS = 200;

/** An endpoint that never answers: each attempt holds its connection until Hookline's timeout. */
async function hangingEndpoint() {
  const open = new Set<ServerResponse>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    open.add(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hang`,
    requests: () => requests,
    close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

async function sourceFor(tenant: Tenant, urls: string[]) {
  const source = await tenant.api.ok('POST', '/v1/sources', { name: 'bench', provider: 'mux', verification: { secret: MUX_SECRET } });
  for (const url of urls) await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url });
  return source.ingest_url as string;
}

/** Tenant B's paced load, drained; its e2e latencies. */
async function phaseB(ingestUrl: string, receiver: Receiver) {
  receiver.reset();
  const load = await paced(ingestUrl, B_RATE, DURATION);
  await receiver.drain(load.accepted.keys(), 60_000);
  const e2e = [...load.accepted].flatMap(([id, sentAt]) => {
    const at = receiver.arrivals.get(id);
    return at === undefined ? [] : [at - sentAt];
  });
  const round = (n: number) => +n.toFixed(1);
  return {
    sent: load.accepted.size,
    delivered: e2e.length,
    p50: round(percentile(e2e, 50)),
    p95: round(percentile(e2e, 95)),
    p99: round(percentile(e2e, 99)),
  };
}

export async function isolationBench(): Promise<void> {
  const storage = await backendEnv({ backend: 'postgres' });
  const hookline = await startHooklineProcess({
    env: { ...storage.env, HOOKLINE_INGEST_RATE_LIMIT: '100000000', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error' },
  });
  const receiver = new Receiver();
  await receiver.start();
  const hanging = await hangingEndpoint();
  try {
    const a = await signUp(hookline.url);
    const b = await signUp(hookline.url);
    const aIngest = await sourceFor(
      a,
      Array.from({ length: A_DESTINATIONS }, (_, i) => `${hanging.url}/${i}`),
    );
    const bIngest = await sourceFor(b, [receiver.url]);
    console.log(
      `isolation: tenant B at ${B_RATE}/s for ${DURATION / 1000} s per phase; tenant A at ${A_RATE}/s × ${A_DESTINATIONS} hanging destinations`,
    );

    const alone = await phaseB(bIngest, receiver);
    const aLoad = paced(aIngest, A_RATE, DURATION + 5_000);
    // Let A's hanging attempts take what they can before B is measured.
    await new Promise((r) => setTimeout(r, 5_000));
    const contended = await phaseB(bIngest, receiver);
    const aResult = await aLoad;
    console.table([
      { phase: 'tenant B alone', ...alone },
      {
        phase: `with tenant A (${aResult.accepted.size} events → ${aResult.accepted.size * A_DESTINATIONS} hanging deliveries)`,
        ...contended,
      },
    ]);
    console.log(
      `  tenant B e2e p95 with tenant A / alone: ${(contended.p95 / alone.p95).toFixed(2)}×; A's attempts that reached the hanging endpoints: ${hanging.requests()}`,
    );
  } finally {
    hanging.close();
    receiver.close();
    await hookline.stop();
    await storage.cleanup();
  }
}
