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
import { describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

// A loopback listener published behind a reverse proxy: HOST stays 127.0.0.1 (the harness
// default), the public URL is https. Any tenant who signs up there must not reach the
// proxy's network, so private destinations are off unless the operator turns them on.
const PUBLISHED = { HOOKLINE_PUBLIC_URL: 'https://hooks.example.com' };
const LOCAL_PATH = /HOOKLINE_ALLOW_PRIVATE_DESTINATIONS=true.*hookline listen/;

// Which addresses a destination may reach is decided before any storage: one backend is enough.
describe.skipIf(testBackend() !== 'postgres')('private destinations', () => {
  it('are refused on a loopback host published under a public URL, with the local path explained', async () => {
    const storage = await backendEnv();
    const receiver = await startReceiver();
    // A plainly local instance allows them: a destination on loopback is made there...
    let hookline = await startHooklineProcess({ env: storage.env });
    try {
      const { api } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
      await hookline.stop();
      // ...then the same storage is published behind a proxy.
      hookline = await startHooklineProcess({ env: { ...storage.env, ...PUBLISHED }, port: hookline.port });
      for (const url of ['http://127.0.0.1/x', `${receiver.url}/y`, 'http://localhost:3000/', 'http://[::1]/x', 'http://10.0.0.8/x']) {
        const refused = await api.call('POST', '/v1/destinations', { source_id: source.id, url });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.code, url).toBe('private_destination');
        expect(refused.body.error.message, url).toMatch(LOCAL_PATH);
      }
      for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://[fd00:ec2::254]/']) {
        const refused = await api.call('POST', '/v1/destinations', { source_id: source.id, url });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.message, url).toMatch(/metadata/);
      }
      const publicDestination = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: 'https://203.0.113.7/hook' });
      await api.ok('PATCH', `/v1/destinations/${publicDestination.id}`, { paused: true });
      const moved = await api.call('PATCH', `/v1/destinations/${publicDestination.id}`, { url: 'http://127.0.0.1:9/x' });
      expect(moved.status).toBe(400);
      expect(moved.body.error.code).toBe('private_destination');

      // The loopback destination made before is refused when delivering, with the same hint.
      const body = freshMuxEvent();
      const ingestPath = new URL(source.ingest_url).pathname;
      const sent = await sendWebhook(`${hookline.url}${ingestPath}`, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
      expect(sent.status).toBe(200);
      const attempt = await eventually(async () => {
        const event = await api.ok('GET', `/v1/events/${sent.body.id}`);
        return event.deliveries.find((d: { destination_id: string }) => d.destination_id !== publicDestination.id)?.attempts[0];
      });
      expect(attempt).toMatchObject({ status_code: null, error: expect.stringMatching(/private address/) });
      expect(attempt.error).toMatch(LOCAL_PATH);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await hookline.stop();
      await receiver.close();
      await storage.cleanup();
    }
  });

  it('when allowed, still refuses cloud metadata addresses', async () => {
    const storage = await backendEnv();
    const hookline = await startHooklineProcess({ env: { ...storage.env, ...PUBLISHED, HOOKLINE_ALLOW_PRIVATE_DESTINATIONS: 'true' } });
    try {
      const { api } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: 'http://127.0.0.1:9/internal' });
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://169.254.170.2/v2/credentials',
        'http://[::ffff:a9fe:a9fe]/',
        'http://[fd00:ec2::254]/latest/meta-data/',
        'http://0xa9fea9fe/',
      ]) {
        const refused = await api.call('POST', '/v1/destinations', { source_id: source.id, url });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.message, url).toMatch(/cloud metadata address, which is never a destination/);
      }
    } finally {
      await hookline.stop();
      await storage.cleanup();
    }
  });
});
