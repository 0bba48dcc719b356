import { backendEnv, muxSignature, sendWebhook, signUp, startHooklineProcess, startReceiver, testBackend } from '@hookline/testing';
import { Webhook } from 'standardwebhooks';
import { expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

it.skipIf(testBackend() !== 'postgres')('ingest, API and worker run as separate processes on shared PostgreSQL and Redis', async () => {
  const storage = await backendEnv();
  const receiver = await startReceiver();
  const [relay, api, worker] = await Promise.all(
    ['relay', 'api', 'worker'].map((role) => startHooklineProcess({ role, env: storage.env })),
  );
  try {
    // Each process serves only its own role.
    expect((await fetch(`${relay!.url}/v1/sources`)).status).toBe(404);
    expect((await fetch(`${api!.url}/in/anything`, { method: 'POST', body: '{}' })).status).toBe(404);
    for (const p of [relay!, api!, worker!]) expect((await fetch(`${p.url}/readyz`)).status).toBe(200);

    const tenant = await signUp(api!.url);
    const source = await createMuxSource(tenant.api);
    const ingestUrl = source.ingest_url.replace(api!.url, relay!.url);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    const body = freshMuxEvent();
    const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    await receiver.waitFor(1);
    const delivered = receiver.received[0]!;
    expect(new Webhook(destination.signing_secret).verify(delivered.body, delivered.headers as Record<string, string>)).toMatchObject({
      id: answer.body.id,
    });
  } finally {
    await Promise.all([relay, api, worker].map((p) => p?.stop()));
    await receiver.close();
    await storage.cleanup();
  }
});

it('refuses to run a role alone without shared PostgreSQL and Redis', async () => {
  await expect(startHooklineProcess({ role: 'worker', env: { DATABASE_URL: '', REDIS_URL: '' } })).rejects.toThrow(
    /running roles separately needs DATABASE_URL and REDIS_URL/,
  );
});
