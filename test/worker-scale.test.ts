import {
  backendEnv,
  eventually,
  muxSignature,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  testBackend,
} from '@hookline/testing';
import { expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';
import { sample, scrape } from './metrics-text.ts';

/**
 * A destination's in-flight cap holds across worker processes (issue 13: "works across several
 * worker processes"): two `worker` processes take jobs from one Redis queue and claim from one
 * PostgreSQL; with max_in_flight 1 the endpoint never sees two requests at once, and every
 * event arrives once, in the order it was accepted. PostgreSQL only: embedded storage is one
 * process.
 */
it.skipIf(testBackend() !== 'postgres')('two worker processes never exceed max_in_flight 1 and deliver in order', async () => {
  const storage = await backendEnv();
  let open = 0;
  const concurrency: number[] = [];
  // Each answer takes a while, so a burst queues up behind the delivery in flight while both workers hold jobs for it.
  const receiver = await startReceiver(() => {
    open++;
    concurrency.push(open);
    setTimeout(() => open--, 50);
    return { status: 200, delayMs: 50 };
  });
  const [relay, api, ...workers] = await Promise.all(
    ['relay', 'api', 'worker', 'worker'].map((role) => startHooklineProcess({ role, env: storage.env })),
  );
  try {
    const tenant = await signUp(api!.url);
    const source = await createMuxSource(tenant.api);
    const ingestUrl = source.ingest_url.replace(api!.url, relay!.url);
    await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url, max_in_flight: 1 });
    const attemptsPerWorker = () => Promise.all(workers.map(async (w) => sample(await scrape(w.url), 'hookline_deliveries_total')));

    // Bursts of events, each after the previous one is delivered and recorded: whichever worker
    // gets a burst's first job claims it, the other competes for the rest. Until both have
    // delivered some (each burst's first job goes to either, so a few bursts suffice).
    const ids: string[] = [];
    let perWorker: number[] = [];
    for (let burst = 0; burst < 20 && !(burst >= 3 && perWorker.every((n) => n > 0)); burst++) {
      for (let i = 0; i < 5; i++) {
        const body = freshMuxEvent();
        const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
        expect(answer.status).toBe(200);
        ids.push(answer.body.id);
      }
      await receiver.waitFor(ids.length, 15_000);
      perWorker = await eventually(async () => {
        const counts = await attemptsPerWorker();
        return counts.reduce((a, b) => a + b, 0) === ids.length && counts;
      });
    }

    expect(
      perWorker.every((n) => n > 0),
      `attempts per worker: ${perWorker}`,
    ).toBe(true);
    expect(Math.max(...concurrency)).toBe(1);
    // Every event once, in the order it was accepted.
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual(ids);
  } finally {
    await Promise.all([relay, api, ...workers].map((p) => p?.stop()));
    await receiver.close();
    await storage.cleanup();
  }
});
