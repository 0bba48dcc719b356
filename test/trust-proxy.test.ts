import {
  type BackendEnv,
  backendEnv,
  type HooklineProcess,
  muxSignature,
  sendWebhook,
  signUp,
  startHooklineProcess,
  testBackend,
} from '@hookline/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

// HOOKLINE_TRUST_PROXY: behind a load balancer request.ip (the per-address limits, the request
// log's remote_ip) is the client's address from X-Forwarded-For, and only from trusted peers.
// Storage plays no part in reading the client's address: one backend is enough.
describe.skipIf(testBackend() !== 'postgres')('HOOKLINE_TRUST_PROXY', () => {
  let backend: BackendEnv | undefined;
  let hookline: HooklineProcess | undefined;

  afterEach(async () => {
    await hookline?.stop();
    await backend?.cleanup();
    hookline = undefined;
    backend = undefined;
  });

  /** Sends one verified Mux webhook claiming to come from `client` and returns the request log's remote_ip for it. */
  async function loggedAddress(env: Record<string, string>, client: string): Promise<string | null> {
    backend = await backendEnv();
    hookline = await startHooklineProcess({ env: { ...backend.env, ...env } });
    const tenant = await signUp(hookline.url);
    const source = await createMuxSource(tenant.api);
    const body = freshMuxEvent();
    const sent = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET), 'x-forwarded-for': client });
    expect(sent.status).toBe(200);
    // Ingest answers after commit, so the request is in the log now.
    const log = await tenant.api.ok('GET', `/v1/requests?source_id=${source.id}`);
    expect(log.data).toHaveLength(1);
    return log.data[0].remote_ip;
  }

  it('takes the client address from X-Forwarded-For when the peer is a trusted proxy', async () => {
    expect(await loggedAddress({ HOOKLINE_TRUST_PROXY: '127.0.0.1' }, '203.0.113.7')).toBe('203.0.113.7');
  });

  it('ignores X-Forwarded-For when unset (the client is the TCP peer)', async () => {
    expect(await loggedAddress({}, '203.0.113.7')).toBe('127.0.0.1');
  });

  it('ignores X-Forwarded-For from a peer that is not among the trusted proxies', async () => {
    expect(await loggedAddress({ HOOKLINE_TRUST_PROXY: '10.0.0.0/8' }, '203.0.113.7')).toBe('127.0.0.1');
  });

  it('with a hop count, takes the address that many hops back', async () => {
    // The peer (127.0.0.1) and the last proxy (198.51.100.2) are trusted hops; the next one is the client.
    expect(await loggedAddress({ HOOKLINE_TRUST_PROXY: '2' }, '203.0.113.7, 198.51.100.2')).toBe('203.0.113.7');
  });
});
