// `npm run bench`: ingest throughput and delivery latency of the real process, on both
// backends, with group commit on and, as the baseline in the same process tree, off
// (HOOKLINE_INGEST_BATCH=1: one transaction per request). Prints figures; asserts nothing.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { type Backend, backendEnv, REPO_ROOT, signUp, startHooklineProcess } from '@hookline/testing';
import { Pool } from 'undici';
import setupTemplate from '../packages/testing/src/global-setup.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SECRET = 'bench-secret';
const fixture = readFileSync(join(REPO_ROOT, 'packages/providers/fixtures/mux/video.asset.ready.json'), 'utf8');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function run(backend: Backend, batch: number) {
  const storage = await backendEnv({ backend });
  const sentAt = new Map<string, number>();
  const deliveryLatency: number[] = [];
  let delivered = 0;
  let allDelivered: () => void = () => {};
  const done = new Promise<void>((r) => {
    allDelivered = r;
  });
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.end();
      const event = req.headers['webhook-id'] as string;
      const started = sentAt.get(eventKey.get(event) ?? '');
      if (started !== undefined) deliveryLatency.push(performance.now() - started);
      if (++delivered === REQUESTS) allDelivered();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const eventKey = new Map<string, string>();
  const hookline = await startHooklineProcess({
    // The bench measures throughput, not the per-source rate limit.
    env: { ...storage.env, HOOKLINE_INGEST_BATCH: String(batch), HOOKLINE_INGEST_RATE_LIMIT: '10000000', LOG_LEVEL: 'error' },
  });
  try {
    const { api } = await signUp(hookline.url);
    const source = await api.ok('POST', '/v1/sources', { name: 'bench', provider: 'mux', verification: { secret: SECRET } });
    const { port } = receiver.address() as { port: number };
    await api.ok('POST', '/v1/destinations', { source_id: source.id, url: `http://127.0.0.1:${port}/hook` });
    const path = new URL(source.ingest_url).pathname;
    const pool = new Pool(hookline.url, { connections: CONCURRENCY });

    const ingestLatency: number[] = [];
    let next = 0;
    let failures = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const n = next++;
          const id = `bench-${n}-${Math.random()}`;
          const body = fixture.replace(/"id": "[0-9a-f-]{36}"/, `"id": "${id}"`);
          const t = Math.floor(Date.now() / 1000);
          const sig = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
          const t0 = performance.now();
          sentAt.set(id, t0);
          const res = await pool.request({
            path,
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', 'mux-signature': `t=${t},v1=${sig}` },
          });
          const answer = (await res.body.json()) as { id: string };
          ingestLatency.push(performance.now() - t0);
          if (res.statusCode !== 200) failures++;
          else eventKey.set(answer.id, id);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await Promise.race([done, new Promise((r) => setTimeout(r, 120_000))]);
    await pool.close();
    ingestLatency.sort((a, b) => a - b);
    deliveryLatency.sort((a, b) => a - b);
    return {
      backend,
      'group commit': batch > 1 ? `on (${batch})` : 'off (baseline)',
      'ingest req/s': Math.round(REQUESTS / seconds),
      'ingest p50 ms': +percentile(ingestLatency, 50).toFixed(1),
      'ingest p99 ms': +percentile(ingestLatency, 99).toFixed(1),
      'delivery p50 ms': +percentile(deliveryLatency, 50).toFixed(1),
      'delivery p99 ms': +percentile(deliveryLatency, 99).toFixed(1),
      delivered: `${delivered}/${REQUESTS}`,
      failures,
    };
  } finally {
    await hookline.stop();
    receiver.close();
    await storage.cleanup();
  }
}

const backends = (process.env.BENCH_BACKENDS ?? 'postgres,embedded').split(',') as Backend[];
console.log(`hookline bench: ${REQUESTS} signed Mux webhooks per run, ${CONCURRENCY} concurrent connections, one destination on loopback`);
// The same migrated template the test runs clone their databases from.
const dropTemplate = await setupTemplate();
const rows = [];
try {
  for (const backend of backends) {
    for (const batch of [1, 200]) {
      rows.push(await run(backend, batch));
    }
  }
} finally {
  await dropTemplate();
}
console.table(rows);
