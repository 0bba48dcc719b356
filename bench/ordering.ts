// `npm run bench -- ordering` (issue 14): what ordered delivery per object costs. One
// Hookline process (PostgreSQL + Redis, default worker settings). 50 assets × 20 events
// each, shuffled, go to a destination with `ordering: "object"`, then the same to one
// without; both endpoints answer 500 to a random 20 % of attempts, both destinations may
// have 50 attempts in flight, and retries come after 100 ms. Prints the time from the first
// send to the last event delivered for each, the ratio (the goal: within 3×), and how many
// assets arrived out of order. Asserts nothing: on a busy machine compare within one run.
//
//   BENCH_ORDERING_ASSETS  assets (default 50)
//   BENCH_ORDERING_EVENTS  events per asset (default 20)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  backendEnv,
  muxSignature,
  REPO_ROOT,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  type Tenant,
} from '@hookline/testing';
import { MUX_SECRET } from './load.ts';

const ASSETS = Number(process.env.BENCH_ORDERING_ASSETS ?? 50);
const EVENTS = Number(process.env.BENCH_ORDERING_EVENTS ?? 20);
const FIXTURE = readFileSync(join(REPO_ROOT, 'packages/providers/fixtures/mux/video.asset.updated.json'), 'utf8');
const BASE = Date.parse('2026-11-30T12:00:00Z');

/** The `seq`-th event of asset `asset`, occurred `seq` seconds after BASE. */
function assetEvent(asset: string, seq: number): string {
  const event = JSON.parse(FIXTURE);
  event.id = crypto.randomUUID();
  event.object = { type: 'asset', id: asset };
  event.created_at = new Date(BASE + seq * 1000).toISOString();
  return JSON.stringify(event);
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** One run: every event to a fresh destination with `ordering`; seconds until all are delivered, and assets out of order. */
async function run(tenant: Tenant, ordering: 'object' | 'none') {
  const answers: number[] = [];
  const receiver = await startReceiver((n) => {
    answers[n] = Math.random() < 0.2 ? 500 : 200;
    return { status: answers[n] as number };
  });
  try {
    const source = await tenant.api.ok('POST', '/v1/sources', {
      name: `bench ${ordering}`,
      provider: 'mux',
      verification: { secret: MUX_SECRET },
    });
    await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url, ordering, max_in_flight: 50 });
    const assets = Array.from({ length: ASSETS }, (_, i) => `bench-asset-${i}`);
    const bodies = shuffled(assets.flatMap((asset) => Array.from({ length: EVENTS }, (_, seq) => assetEvent(asset, seq))));
    const started = performance.now();
    for (let i = 0; i < bodies.length; i += 20) {
      await Promise.all(
        bodies.slice(i, i + 20).map((body) => sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) })),
      );
    }
    const delivered = new Map<string, number[]>();
    const deadline = Date.now() + 300_000;
    let count = 0;
    while (count < bodies.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      delivered.clear();
      count = 0;
      receiver.received.forEach((r, n) => {
        if (answers[n] !== 200) return;
        const event = JSON.parse(r.body);
        delivered.set(event.object.id, [...(delivered.get(event.object.id) ?? []), Date.parse(event.occurred_at)]);
        count++;
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const outOfOrder = [...delivered.values()].filter((times) => times.some((t, i) => i > 0 && t < (times[i - 1] as number))).length;
    return {
      ordering,
      events: bodies.length,
      delivered: count,
      attempts: receiver.received.length,
      seconds: +seconds.toFixed(1),
      outOfOrder,
    };
  } finally {
    await receiver.close();
  }
}

export async function orderingBench(): Promise<void> {
  const storage = await backendEnv({ backend: 'postgres' });
  const hookline = await startHooklineProcess({
    env: {
      ...storage.env,
      HOOKLINE_INGEST_RATE_LIMIT: '100000000',
      HOOKLINE_RETRY_SCHEDULE: Array(20).fill('100ms').join(','),
      // Random failures are not an outage: the breaker stays out of it.
      HOOKLINE_BREAKER_THRESHOLD: '100000',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    },
  });
  try {
    const tenant = await signUp(hookline.url);
    console.log(`ordering: ${ASSETS} assets × ${EVENTS} events, shuffled, 20 % of attempts answered 500`);
    const ordered = await run(tenant, 'object');
    const unordered = await run(tenant, 'none');
    console.table([ordered, unordered]);
    console.log(`  ordered / unordered time: ${(ordered.seconds / unordered.seconds).toFixed(2)}× (goal: within 3×)`);
  } finally {
    await hookline.stop();
    await storage.cleanup();
  }
}
