import {
  type BackendEnv,
  backendEnv,
  muxSignature,
  type Receiver,
  sendWebhook,
  signUp,
  startReceiver,
  type Tenant,
} from '@hookline/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, type InProcessHookline, MUX_SECRET, startHooklineApp } from '../helpers.ts';

describe('bad input gets a clear answer, is logged, and creates nothing', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let receiver: Receiver;
  let tenant: Tenant;
  let source: { id: string; ingest_url: string };

  beforeAll(async () => {
    storage = await backendEnv();
    receiver = await startReceiver();
    hookline = await startHooklineApp({ env: { ...storage.env, HOOKLINE_MAX_BODY: '4kb' } });
    tenant = await signUp(hookline.url, hookline.fetch);
    source = await createMuxSource(tenant.api);
    await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
  });
  afterAll(async () => {
    await hookline?.close();
    await receiver?.close();
    await storage?.cleanup();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const body = freshMuxEvent();
  const cases: [string, () => { body: string; headers: Record<string, string> }, number, string, RegExp][] = [
    [
      'a wrong signature',
      () => ({ body, headers: { 'mux-signature': muxSignature(body, 'not-the-secret') } }),
      401,
      'verification_failed',
      /no v1 signature matches/,
    ],
    [
      'a body changed after signing',
      () => ({ body: body.replace('ready', 'reaDy'), headers: { 'mux-signature': muxSignature(body, MUX_SECRET) } }),
      401,
      'verification_failed',
      /no v1 signature matches/,
    ],
    [
      'a stale timestamp',
      () => ({ body, headers: { 'mux-signature': muxSignature(body, MUX_SECRET, now() - 600) } }),
      401,
      'verification_failed',
      /s old/,
    ],
    ['a missing signature header', () => ({ body, headers: {} }), 401, 'verification_failed', /missing mux-signature/],
    ['a garbage signature header', () => ({ body, headers: { 'mux-signature': 'nonsense' } }), 401, 'verification_failed', /no timestamp/],
    [
      'a signed body that is not JSON',
      () => ({
        body: '{"type": "video.asset.ready", oops',
        headers: { 'mux-signature': muxSignature('{"type": "video.asset.ready", oops', MUX_SECRET) },
      }),
      400,
      'unparsable',
      /not JSON/,
    ],
    [
      'signed JSON that is not an object',
      () => ({ body: '[1,2]', headers: { 'mux-signature': muxSignature('[1,2]', MUX_SECRET) } }),
      400,
      'unparsable',
      /not an object/,
    ],
    [
      'a body over HOOKLINE_MAX_BODY',
      () => {
        const big = JSON.stringify({ type: 'video.asset.ready', id: crypto.randomUUID(), data: { pad: 'x'.repeat(5000) } });
        return { body: big, headers: { 'mux-signature': muxSignature(big, MUX_SECRET) } };
      },
      413,
      'too_large',
      /over the 4096-byte limit/,
    ],
  ];

  for (const [name, make, status, reason, detail] of cases) {
    it(`answers ${status} to ${name}`, async () => {
      const { body: sent, headers } = make();
      const answer = await sendWebhook(source.ingest_url, sent, headers, hookline.fetch);
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(reason);
      const log = await tenant.api.ok('GET', `/v1/requests?source_id=${source.id}&limit=1`);
      expect(log.data[0]).toMatchObject({ outcome: 'rejected', reason, status_code: status, event_id: null });
      expect(log.data[0].detail).toMatch(detail);
    });
  }

  it('answers 404 to an unknown source key and still logs the request', async () => {
    const answer = await sendWebhook(
      `${hookline.url}/in/no-such-key`,
      body,
      { 'mux-signature': muxSignature(body, MUX_SECRET) },
      hookline.fetch,
    );
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('unknown_source');
    if (storage.backend === 'postgres') {
      // No tenant owns it, so only an operator sees it: read the log table directly.
      const client = new pg.Client({ connectionString: storage.env.DATABASE_URL });
      await client.connect();
      const { rows } = await client.query('select outcome, reason, status_code, body from requests where source_id is null');
      await client.end();
      expect(rows).toEqual([{ outcome: 'rejected', reason: 'unknown_source', status_code: 404, body: null }]);
    }
  });

  it('keeps the exact bytes and headers of a signed body that is not UTF-8', async () => {
    // Every byte value, NUL and invalid UTF-8 included: the raw request is kept as received.
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x80, 0x22, ...Array.from({ length: 256 }, (_, i) => i)]);
    const answer = await sendWebhook(
      source.ingest_url,
      bytes,
      { 'mux-signature': muxSignature(bytes, MUX_SECRET), 'x-note': 'é "quoted"' },
      hookline.fetch,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('unparsable');
    const stored = await hookline.database.db
      .selectFrom('requests')
      .select(['body', 'body_bytes', 'headers'])
      .where('source_id', '=', source.id)
      .where('reason', '=', 'unparsable')
      .where('body_bytes', '=', bytes.length)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(stored.body as Uint8Array).equals(bytes)).toBe(true);
    expect(stored.headers).toMatchObject({ 'x-note': 'é "quoted"' });
  });

  it('stored no event and sent no delivery for any of them', async () => {
    const events = await tenant.api.ok('GET', '/v1/events');
    expect(events.data).toEqual([]);
    const log = await tenant.api.ok('GET', '/v1/requests?limit=100');
    expect(log.data).toHaveLength(cases.length + 1);
    expect(receiver.received).toHaveLength(0);
    // ...and the same source still accepts a good one afterwards.
    const good = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) }, hookline.fetch);
    expect(good.status).toBe(200);
    await receiver.waitFor(1);
  });
});
