import { createHmac } from 'node:crypto';
import { newId } from '@hookline/core';
import {
  type BackendEnv,
  backendEnv,
  eventually,
  muxSignature,
  type Receiver,
  sendWebhook,
  signUp,
  startReceiver,
  type Tenant,
} from '@hookline/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, type InProcessHookline, MUX_SECRET, startHooklineApp } from '../helpers.ts';

describe('the tenant API', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let receiver: Receiver;
  let alice: Tenant;

  beforeAll(async () => {
    storage = await backendEnv();
    receiver = await startReceiver();
    hookline = await startHooklineApp({ env: { ...storage.env, HOOKLINE_RETRY_SCHEDULE: '100ms,100ms' } });
    alice = await signUp(hookline.url, hookline.fetch);
  });
  afterAll(async () => {
    await hookline?.close();
    await receiver?.close();
    await storage?.cleanup();
  });

  async function sourceWithDestination(url = receiver.url, body: Record<string, unknown> = {}) {
    const source = await createMuxSource(alice.api);
    const destination = await alice.api.ok('POST', '/v1/destinations', { source_id: source.id, url, ...body });
    return { source, destination };
  }

  async function send(ingestUrl: string, name = 'video.asset.ready', secret = MUX_SECRET) {
    const body = freshMuxEvent(name);
    return sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, secret) }, hookline.fetch);
  }

  const deliveriesOf = (eventId: string) => receiver.received.filter((r) => r.headers['webhook-id'] === eventId);

  describe('isolation', () => {
    it('answers 404 to every route given another tenant’s ids, walking the OpenAPI document', async () => {
      const { source, destination } = await sourceWithDestination();
      const { body: accepted } = await send(source.ingest_url);
      const key = await alice.api.ok('POST', '/v1/api-keys', { name: 'walk' });
      const channel = await alice.api.ok('POST', '/v1/alert-channels', { type: 'webhook', url: 'https://alerts.example.test/' });
      // An alert as the evaluator records one (what opens them is tested in alerts.test.ts).
      const alert = await hookline.database.db
        .insertInto('alerts')
        .values({
          id: newId('alert'),
          tenant_id: alice.tenantId,
          type: 'source.silent',
          subject_kind: 'source',
          subject_id: source.id,
          status: 'open',
          opened_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const replay = await alice.api.ok('POST', '/v1/replays', { filter: { source_id: source.id } });
      const ids: Record<string, string> = {
        replays: replay.id,
        sources: source.id,
        destinations: destination.id,
        events: accepted.id,
        'api-keys': key.id,
        'alert-channels': channel.id,
        alerts: alert.id,
      };
      const bob = await signUp(hookline.url, hookline.fetch);
      const doc = await (await hookline.fetch(`${hookline.url}/openapi.json`)).json();
      let walked = 0;
      for (const [path, operations] of Object.entries<Record<string, unknown>>(doc.paths)) {
        if (!path.includes('{id}')) continue;
        const kind = path.split('/')[2] as string;
        const id = ids[kind];
        expect(id, `the walk needs an id for ${path}`).toBeDefined();
        for (const method of Object.keys(operations)) {
          const body = method === 'patch' ? { name: 'stolen' } : method === 'post' ? {} : undefined;
          const res = await bob.api.call(method.toUpperCase(), path.replace('{id}', id as string), body);
          expect(res.status, `${method.toUpperCase()} ${path} as another tenant`).toBe(404);
          expect(res.body.error.code).toBe('not_found');
          walked++;
        }
      }
      expect(walked).toBeGreaterThanOrEqual(11);
      // Filters naming another tenant's source find nothing or answer 404, never its data.
      expect((await bob.api.call('POST', '/v1/destinations', { source_id: source.id, url: receiver.url })).status).toBe(404);
      expect((await bob.api.call('POST', '/v1/events/replay', { source_id: source.id })).status).toBe(404);
      expect((await bob.api.call('GET', `/v1/stream?source_id=${source.id}`)).status).toBe(404);
      expect((await bob.api.call('GET', `/v1/stats?source_id=${source.id}`)).status).toBe(404);
      expect((await bob.api.call('GET', `/v1/stats?destination_id=${destination.id}`)).status).toBe(404);
      expect(await bob.api.ok('GET', `/v1/events/count?q=${accepted.id}`)).toEqual({ count: 0, capped: false });
      for (const path of [
        '/v1/sources',
        '/v1/destinations',
        `/v1/events?source_id=${source.id}`,
        `/v1/events?q=${accepted.id}`,
        `/v1/requests?source_id=${source.id}`,
        '/v1/api-keys',
        '/v1/alert-channels',
        '/v1/alerts',
      ]) {
        const list = await bob.api.ok('GET', path);
        expect(list.data.map((x: { id: string }) => x.id)).not.toContain(ids[path.split('/')[2]!.split('?')[0]!]);
        if (path !== '/v1/api-keys') expect(list.data).toEqual([]);
      }
      // ...and Alice's things are untouched.
      expect((await alice.api.ok('GET', `/v1/sources/${source.id}`)).name).toBe('Mux production');
    });
  });

  describe('sessions and API keys', () => {
    it('logs in with an http-only SameSite cookie that needs the CSRF header to write', async () => {
      const email = `web${Date.now()}@example.test`;
      await hookline.fetch(`${hookline.url}/v1/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct horse battery', name: 'Web' }),
      });
      const wrong = await hookline.fetch(`${hookline.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'wrong password!' }),
      });
      expect(wrong.status).toBe(401);
      const login = await hookline.fetch(`${hookline.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct horse battery' }),
      });
      expect(login.status).toBe(201);
      const setCookie = login.headers.get('set-cookie') as string;
      expect(setCookie).toMatch(/^hookline_session=[\w-]+;/);
      expect(setCookie.split('; ').slice(1).sort()).toEqual([`Max-Age=${14 * 24 * 3600}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'].sort());
      const cookie = setCookie.split(';')[0] as string;
      expect((await hookline.fetch(`${hookline.url}/v1/sources`, { headers: { cookie } })).status).toBe(200);
      const create = (extra: Record<string, string>) =>
        hookline.fetch(`${hookline.url}/v1/api-keys`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json', ...extra },
          body: JSON.stringify({ name: 'from the browser' }),
        });
      expect((await create({})).status).toBe(403);
      expect((await create({ 'x-hookline-csrf': '1' })).status).toBe(201);
      const logout = await hookline.fetch(`${hookline.url}/v1/sessions/current`, { method: 'DELETE', headers: { cookie } });
      expect(logout.status).toBe(204);
      expect(logout.headers.get('set-cookie')).toMatch(/^hookline_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970/);
      expect((await hookline.fetch(`${hookline.url}/v1/sources`, { headers: { cookie } })).status).toBe(401);
    });

    it('shows a new key once, lists it by prefix, and revokes it', async () => {
      const created = await alice.api.ok('POST', '/v1/api-keys', { name: 'ci' });
      expect(created.key).toMatch(/^hk_/);
      expect(created.key.startsWith(created.prefix)).toBe(true);
      const list = await alice.api.ok('GET', '/v1/api-keys');
      const listed = list.data.find((k: { id: string }) => k.id === created.id);
      expect(listed).toMatchObject({ name: 'ci', prefix: created.prefix });
      expect(JSON.stringify(list)).not.toContain(created.key);
      const res = await hookline.fetch(`${hookline.url}/v1/sources`, { headers: { authorization: `Bearer ${created.key}` } });
      expect(res.status).toBe(200);
      expect((await alice.api.call('DELETE', `/v1/api-keys/${created.id}`)).status).toBe(204);
      const after = await hookline.fetch(`${hookline.url}/v1/sources`, { headers: { authorization: `Bearer ${created.key}` } });
      expect(after.status).toBe(401);
    });

    it('answers 409 to a taken email and 400 to a weak password', async () => {
      const email = `dup${Date.now()}@example.test`;
      const body = { email, password: 'correct horse battery', name: 'x' };
      expect((await alice.api.call('POST', '/v1/signup', body)).status).toBe(201);
      expect((await alice.api.call('POST', '/v1/signup', body)).body.error.code).toBe('email_taken');
      const weak = await alice.api.call('POST', '/v1/signup', { ...body, email: `weak${email}`, password: 'short' });
      expect(weak.status).toBe(400);
      expect(weak.body.error.code).toBe('weak_password');
      const invalid = await alice.api.call('POST', '/v1/sources', { name: 'x', verification: { secret: 's' } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.code).toBe('invalid_request');
      const unknown = await alice.api.call('POST', '/v1/sources', { name: 'x', provider: 'vimeo', verification: { secret: 's' } });
      expect(unknown.body.error.code).toBe('unknown_provider');
    });
  });

  describe('sources', () => {
    it('rotates the provider secret keeping the old one valid for the grace period', async () => {
      const { source } = await sourceWithDestination();
      await alice.api.ok('PATCH', `/v1/sources/${source.id}`, { verification: { secret: 'the-new-secret' } });
      expect((await send(source.ingest_url, 'video.asset.ready', MUX_SECRET)).status).toBe(200);
      expect((await send(source.ingest_url, 'video.asset.ready', 'the-new-secret')).status).toBe(200);
      const rotated = await alice.api.ok('PATCH', `/v1/sources/${source.id}`, {
        verification: { secret: 'third' },
        grace_period_seconds: 0,
      });
      expect(rotated.secret_rotation_expires_at).toBeNull();
      expect((await send(source.ingest_url, 'video.asset.ready', 'the-new-secret')).status).toBe(401);
      expect((await send(source.ingest_url, 'video.asset.ready', 'third')).status).toBe(200);
    });

    it('can be created before the provider shows its secret, rejecting requests until it is set', async () => {
      const source = await alice.api.ok('POST', '/v1/sources', { name: 'Mux, secret to come', provider: 'mux' });
      expect(source.awaiting_secret).toBe(true);
      const early = await send(source.ingest_url);
      expect(early.status).toBe(401);
      expect(early.body.error.message).toMatch(/no signing secret yet/);
      const log = await alice.api.ok('GET', `/v1/requests?source_id=${source.id}`);
      expect(log.data[0]).toMatchObject({ outcome: 'rejected', reason: 'verification_failed' });
      const set = await alice.api.ok('PATCH', `/v1/sources/${source.id}`, { verification: { secret: MUX_SECRET } });
      expect(set).toMatchObject({ awaiting_secret: false, secret_rotation_expires_at: null });
      expect((await send(source.ingest_url)).status).toBe(200);
      const since = new Date(Date.now() - 60_000).toISOString();
      const recent = await alice.api.ok('GET', `/v1/requests?source_id=${source.id}&since=${since}&outcome=accepted`);
      expect(recent.data).toHaveLength(1);
    });

    it('keeps a generic HMAC source’s options when only its secret is rotated', async () => {
      const options = { header: 'X-Signature', prefix: 'sha256=' };
      expect((await alice.api.call('POST', '/v1/sources', { name: 'hmac', provider: 'hmac' })).body.error.code).toBe(
        'invalid_verification',
      );
      const source = await alice.api.ok('POST', '/v1/sources', {
        name: 'hmac',
        provider: 'hmac',
        verification: { secret: 'one', ...options },
      });
      expect(source.verification_options).toMatchObject({ header: 'x-signature', prefix: 'sha256=' });
      const rotated = await alice.api.ok('PATCH', `/v1/sources/${source.id}`, { verification: { secret: 'two' } });
      expect(rotated.verification_options).toEqual(source.verification_options);
      const body = JSON.stringify({ id: crypto.randomUUID(), type: 'order.paid', data: {} });
      const signature = `sha256=${createHmac('sha256', 'two').update(body).digest('hex')}`;
      expect((await sendWebhook(source.ingest_url, body, { 'x-signature': signature }, hookline.fetch)).status).toBe(200);
    });

    it('deleting a source removes its events, requests and destinations', async () => {
      const { source, destination } = await sourceWithDestination();
      const { body } = await send(source.ingest_url);
      expect((await alice.api.call('DELETE', `/v1/sources/${source.id}`)).status).toBe(204);
      expect((await alice.api.call('GET', `/v1/events/${body.id}`)).status).toBe(404);
      expect((await alice.api.call('GET', `/v1/destinations/${destination.id}`)).status).toBe(404);
      expect((await alice.api.ok('GET', `/v1/requests?source_id=${source.id}`)).data).toEqual([]);
      expect((await send(source.ingest_url)).status).toBe(404);
    });
  });

  describe('destinations', () => {
    it('holds deliveries while paused and sends them on resume', async () => {
      const { source, destination } = await sourceWithDestination();
      await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { paused: true });
      const { body } = await send(source.ingest_url);
      await eventually(async () => (await alice.api.ok('GET', `/v1/events/${body.id}`)).deliveries[0].status === 'held');
      expect(deliveriesOf(body.id)).toHaveLength(0);
      const resumed = await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { paused: false });
      expect(resumed.paused).toBe(false);
      await eventually(async () => deliveriesOf(body.id).length === 1);
      expect((await alice.api.ok('GET', `/v1/events/${body.id}`)).status).toBe('delivered');
    });

    it('signs with both secrets during a rotation, and either verifies', async () => {
      const { source, destination } = await sourceWithDestination();
      const rotated = await alice.api.ok('PATCH', `/v1/destinations/${destination.id}`, { rotate_secret: true });
      expect(rotated.signing_secret).not.toBe(destination.signing_secret);
      expect(rotated.secret_rotation_expires_at).not.toBeNull();
      expect((await alice.api.ok('GET', `/v1/destinations/${destination.id}/secret`)).signing_secret).toBe(rotated.signing_secret);
      const { body } = await send(source.ingest_url);
      await eventually(async () => deliveriesOf(body.id).length === 1);
      const delivered = deliveriesOf(body.id)[0]!;
      expect((delivered.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
      for (const secret of [destination.signing_secret, rotated.signing_secret]) {
        expect(new Webhook(secret).verify(delivered.body, delivered.headers as Record<string, string>)).toMatchObject({ id: body.id });
      }
    });

    it('filters by event type glob, and sends a test event to one destination', async () => {
      const { source, destination } = await sourceWithDestination(receiver.url, { event_types: ['video.upload.*'] });
      const asset = await send(source.ingest_url, 'video.asset.ready');
      const upload = await send(source.ingest_url, 'video.upload.created');
      await eventually(async () => deliveriesOf(upload.body.id).length === 1);
      expect((await alice.api.ok('GET', `/v1/events/${asset.body.id}`)).deliveries).toEqual([]);
      const test = await alice.api.call('POST', `/v1/destinations/${destination.id}/test`);
      expect(test.status).toBe(202);
      await eventually(async () => deliveriesOf(test.body.event_id).length === 1);
      expect(JSON.parse(deliveriesOf(test.body.event_id)[0]!.body)).toMatchObject({ type: 'hookline.test', provider: 'hookline' });
      const refused = await alice.api.call('POST', '/v1/destinations', { source_id: source.id, url: 'ftp://example.com/x' });
      expect(refused.status).toBe(400);
    });
  });

  describe('events', () => {
    it('retries one event and replays by filter with the original webhook-id', async () => {
      const { source } = await sourceWithDestination();
      const { body } = await send(source.ingest_url);
      await eventually(async () => deliveriesOf(body.id).length === 1);
      const retry = await alice.api.call('POST', `/v1/events/${body.id}/retry`);
      expect(retry).toMatchObject({ status: 202, body: { deliveries: 1 } });
      await eventually(async () => deliveriesOf(body.id).length === 2);
      const replay = await alice.api.call('POST', '/v1/events/replay', { source_id: source.id });
      expect(replay).toMatchObject({ status: 202, body: { count: 1 } });
      await eventually(async () => deliveriesOf(body.id).length === 3);
      expect(deliveriesOf(body.id).map((d) => d.headers['hookline-attempt'])).toEqual(['1', '2', '3']);
      const attempts = await eventually(async () => {
        const list = (await alice.api.ok('GET', `/v1/events/${body.id}`)).deliveries[0].attempts;
        return list.length === 3 && list;
      });
      expect(attempts.map((a: { number: number }) => a.number)).toEqual([1, 2, 3]);
    });

    it('keeps a retry asked for while an attempt is in flight', async () => {
      const slow = await startReceiver((n) => ({ status: 200, delayMs: n === 0 ? 500 : 0 }));
      try {
        const { source } = await sourceWithDestination(slow.url);
        const { body } = await send(source.ingest_url);
        await slow.waitFor(1); // the first attempt is in flight
        expect((await alice.api.call('POST', `/v1/events/${body.id}/retry`)).status).toBe(202);
        await slow.waitFor(2);
        const attempts = await eventually(async () => {
          const event = await alice.api.ok('GET', `/v1/events/${body.id}`);
          return event.status === 'delivered' && event.deliveries[0].attempts.length === 2 && event.deliveries[0].attempts;
        });
        expect(attempts.map((a: { number: number }) => a.number)).toEqual([1, 2]);
      } finally {
        await slow.close();
      }
    });

    it('filters by type, status and id, and pages with a cursor', async () => {
      const failing = await startReceiver(() => ({ status: 500 }));
      try {
        const { source } = await sourceWithDestination(failing.url);
        const sent = [];
        for (const name of ['video.asset.created', 'video.asset.ready', 'video.upload.created'])
          sent.push((await send(source.ingest_url, name)).body.id);
        const byType = await alice.api.ok('GET', `/v1/events?source_id=${source.id}&type=video.asset.ready`);
        expect(byType.data.map((e: { id: string }) => e.id)).toEqual([sent[1]]);
        await eventually(async () => (await alice.api.ok('GET', `/v1/events?source_id=${source.id}&status=failed`)).data.length === 3);
        expect((await alice.api.ok('GET', `/v1/events?source_id=${source.id}&status=delivered`)).data).toEqual([]);
        const detail = await alice.api.ok('GET', `/v1/events/${sent[0]}`);
        const search = await alice.api.ok('GET', `/v1/events?q=${detail.provider_event.id}`);
        expect(search.data.map((e: { id: string }) => e.id)).toEqual([sent[0]]);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { data: { id: string }[]; next_cursor: string | null } = await alice.api.ok(
            'GET',
            `/v1/events?source_id=${source.id}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          );
          seen.push(...page.data.map((e) => e.id));
          cursor = page.next_cursor;
        } while (cursor);
        expect(seen).toEqual([...sent].reverse());
        expect((await alice.api.call('GET', '/v1/events?limit=101')).status).toBe(400);
        expect((await alice.api.call('GET', '/v1/events?since=yesterday')).status).toBe(400);
      } finally {
        await failing.close();
      }
    });
  });

  it('pages every list newest first: the pages walked with a cursor are the list read at once', async () => {
    const carol = await signUp(hookline.url, hookline.fetch);
    const walk = async (path: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: { id: string }[]; next_cursor: string | null } = await carol.api.ok(
          'GET',
          `${path}${path.includes('?') ? '&' : '?'}limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((d) => d.id));
        cursor = page.next_cursor;
      } while (cursor);
      return seen;
    };
    const newestFirst = (ids: string[]) => [...ids].sort().reverse();

    const sources = [];
    for (let i = 0; i < 3; i++) sources.push(await createMuxSource(carol.api));
    const destinations = [];
    for (let i = 0; i < 3; i++)
      destinations.push(await carol.api.ok('POST', '/v1/destinations', { source_id: sources[0].id, url: receiver.url }));
    for (let i = 0; i < 5; i++) {
      const body = freshMuxEvent();
      await sendWebhook(sources[0].ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) }, hookline.fetch);
    }
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push((await carol.api.ok('POST', '/v1/replays', { filter: { event_ids: [] } })).id);
    for (const source of sources) {
      await hookline.database.db
        .insertInto('alerts')
        .values({
          id: newId('alert'),
          tenant_id: carol.tenantId,
          type: 'source.silent',
          subject_kind: 'source',
          subject_id: source.id,
          status: 'open',
          opened_at: new Date(),
        })
        .execute();
    }

    expect(await walk('/v1/sources')).toEqual(newestFirst(sources.map((s) => s.id)));
    expect(await walk('/v1/destinations')).toEqual(newestFirst(destinations.map((d) => d.id)));
    expect(await walk(`/v1/destinations?source_id=${sources[1].id}`)).toEqual([]);
    expect(await walk('/v1/replays')).toEqual(newestFirst(jobs));
    for (const path of ['/v1/requests', '/v1/events', `/v1/destinations/${destinations[0].id}/deliveries`, '/v1/alerts']) {
      const all = (await carol.api.ok('GET', `${path}${path.includes('?') ? '&' : '?'}limit=100`)).data.map((d: { id: string }) => d.id);
      expect(all.length, path).toBe(path === '/v1/alerts' ? 3 : 5);
      expect(await walk(path), path).toEqual(newestFirst(all));
    }
  });

  it('sets security headers and serves its OpenAPI document', async () => {
    const res = await hookline.fetch(`${hookline.url}/v1/sources`, { headers: { authorization: `Bearer ${alice.apiKey}` } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const doc = await (await hookline.fetch(`${hookline.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/stream', '/v1/events/replay', '/in/{source_key}']));
  });
});
