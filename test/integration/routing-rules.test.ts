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

describe('routing rules: payload filters and transforms per destination (CONTRACT §8)', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let tenant: Tenant;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    storage = await backendEnv();
    hookline = await startHooklineApp({
      // One attempt then a long wait: a failed transform stays pending, visibly.
      env: { ...storage.env, HOOKLINE_RETRY_SCHEDULE: '1h', HOOKLINE_TRANSFORM_TIMEOUT: '200ms', HOOKLINE_TRANSFORM_MEMORY: '16mb' },
    });
    tenant = await signUp(hookline.url, hookline.fetch);
  });
  afterAll(async () => {
    await hookline?.close();
    for (const r of receivers) await r.close();
    await storage?.cleanup();
  });

  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };

  /** A video.asset.ready event with this passthrough, sent with extra request headers; answers its event id. */
  async function send(source: { ingest_url: string }, passthrough: string, headers: Record<string, string> = {}) {
    const event = JSON.parse(freshMuxEvent());
    event.data.passthrough = passthrough;
    const body = JSON.stringify(event);
    const answer = await sendWebhook(
      source.ingest_url,
      body,
      { 'mux-signature': muxSignature(body, MUX_SECRET), ...headers },
      hookline.fetch,
    );
    expect(answer.status).toBe(200);
    return answer.body.id as string;
  }

  const deliveryOf = (eventId: string, destinationId: string) =>
    eventually(async () => {
      const event = await tenant.api.ok('GET', `/v1/events/${eventId}`);
      return event.deliveries.find((d: any) => d.destination_id === destinationId && d.attempts.length > 0);
    });

  it('refuses a bad filter with invalid_filter naming the path, and a bad transform with invalid_transform', async () => {
    const source = await createMuxSource(tenant.api);
    const url = (await receiver()).url;
    const badFilter = await tenant.api.call('POST', '/v1/destinations', {
      source_id: source.id,
      url,
      filter: { data: { duration: { $gt: true } } },
    });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.code).toBe('invalid_filter');
    expect(badFilter.body.error.message).toContain('data.duration.$gt');
    const unknownOp = await tenant.api.call('POST', '/v1/destinations', { source_id: source.id, url, filter: { type: { $like: 'x' } } });
    expect(unknownOp.body.error).toMatchObject({ code: 'invalid_filter', message: expect.stringContaining('type.$like') });

    const badTransform = await tenant.api.call('POST', '/v1/destinations', {
      source_id: source.id,
      url,
      transform: 'function transform( {',
    });
    expect(badTransform.status).toBe(400);
    expect(badTransform.body.error).toMatchObject({ code: 'invalid_transform', message: expect.stringContaining('SyntaxError') });
    const noFunction = await tenant.api.call('POST', '/v1/destinations', { source_id: source.id, url, transform: 'const x = 1;' });
    expect(noFunction.body.error.code).toBe('invalid_transform');

    const made = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url });
    const badPatch = await tenant.api.call('PATCH', `/v1/destinations/${made.id}`, { filter: { $or: [] } });
    expect(badPatch.body.error).toMatchObject({ code: 'invalid_filter', message: expect.stringContaining('$or') });
    // Nothing of a refused write was stored.
    expect((await tenant.api.ok('GET', `/v1/destinations?source_id=${source.id}`)).data).toHaveLength(1);
    expect(await tenant.api.ok('GET', `/v1/destinations/${made.id}`)).toMatchObject({ filter: null, transform: null });
  });

  it('fans out only to destinations whose filter matches (body fields and headers); a changed filter skips a retry', async () => {
    const source = await createMuxSource(tenant.api);
    const [first, blue, all] = [await receiver(), await receiver(), await receiver()];
    const byPassthrough = await tenant.api.ok('POST', '/v1/destinations', {
      source_id: source.id,
      url: first.url,
      filter: { type: 'video.asset.ready', data: { passthrough: { $startsWith: 'customer-1' } } },
    });
    expect(byPassthrough.filter).toEqual({ type: 'video.asset.ready', data: { passthrough: { $startsWith: 'customer-1' } } });
    const byHeader = await tenant.api.ok('POST', '/v1/destinations', {
      source_id: source.id,
      url: blue.url,
      filter: { $or: [{ 'headers.x-route': 'blue' }, { 'data.passthrough': { $in: ['customer-9'] } }] },
    });
    const unfiltered = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: all.url });

    const one = await send(source, 'customer-1', { 'x-route': 'red' });
    const two = await send(source, 'customer-2', { 'x-route': 'blue' });
    const three = await send(source, 'customer-3');
    await all.waitFor(3);
    await first.waitFor(1);
    await blue.waitFor(1);
    expect(first.received.map((r) => JSON.parse(r.body).id)).toEqual([one]);
    expect(blue.received.map((r) => JSON.parse(r.body).id)).toEqual([two]);
    // Filtered-out destinations got no delivery at all.
    const third = await tenant.api.ok('GET', `/v1/events/${three}`);
    expect(third.deliveries.map((d: any) => d.destination_id)).toEqual([unfiltered.id]);

    // The filter changes; a retry of an event it no longer matches is skipped, not sent.
    await tenant.api.ok('PATCH', `/v1/destinations/${byPassthrough.id}`, { filter: { 'data.passthrough': 'nobody' } });
    await tenant.api.ok('POST', `/v1/events/${one}/retry`);
    const skipped = await eventually(async () => {
      const event = await tenant.api.ok('GET', `/v1/events/${one}`);
      return event.deliveries.find((d: any) => d.destination_id === byPassthrough.id && d.status === 'skipped');
    });
    expect(skipped.attempts.at(-1)).toMatchObject({
      status_code: null,
      error: expect.stringMatching(/^skipped: the destination's filter/),
    });
    expect(first.received).toHaveLength(1);
    // New events are routed with the changed filter (ingest's cache reloaded it).
    const later = await send(source, 'customer-1', { 'x-route': 'blue' });
    await all.waitFor(4);
    const routed = await tenant.api.ok('GET', `/v1/events/${later}`);
    expect(routed.deliveries.map((d: any) => d.destination_id).sort()).toEqual([byHeader.id, unfiltered.id].sort());
  });

  it('transforms the body and adds headers, signed as sent; null skips; a broken transform is recorded and fixed', async () => {
    const source = await createMuxSource(tenant.api);
    const target = await receiver();
    const destination = await tenant.api.ok('POST', '/v1/destinations', {
      source_id: source.id,
      url: target.url,
      transform: `function transform(event, context) {
        if (event.data.passthrough === 'skip-me') return null;
        if (event.data.passthrough === 'loop') while (true) {}
        if (event.data.passthrough === 'escape') return { p: process.env };
        return { body: { asset: event.object.id, status: event.data.status, attempt: context.attempt }, headers: { 'X-Customer': event.data.passthrough } };
      }`,
    });
    expect(destination.transform).toContain('function transform');

    const sent = await send(source, 'customer-7');
    await target.waitFor(1);
    const delivered = target.received[0]!;
    const body = new Webhook(destination.signing_secret).verify(delivered.body, delivered.headers as Record<string, string>);
    expect(body).toEqual({ asset: expect.any(String), status: 'ready', attempt: 1 });
    expect(delivered.headers['x-customer']).toBe('customer-7');
    expect(delivered.headers['webhook-id']).toBe(sent);

    const skip = await send(source, 'skip-me');
    const skipped = await deliveryOf(skip, destination.id);
    expect(skipped).toMatchObject({ status: 'skipped' });
    expect(skipped.attempts[0].error).toBe('skipped: the transform returned null');

    // An infinite loop and host access are stopped and recorded; the events stay pending.
    const loop = await send(source, 'loop');
    const escaping = await send(source, 'escape');
    const looped = await deliveryOf(loop, destination.id);
    expect(looped).toMatchObject({ status: 'pending' });
    expect(looped.attempts[0]).toMatchObject({ status_code: null, error: 'transform: timeout: ran over 200 ms' });
    const escaped = await deliveryOf(escaping, destination.id);
    expect(escaped.attempts[0].error).toMatch(/'process' is not defined/);

    // The worker is still up: the next event is delivered.
    await send(source, 'customer-8');
    await target.waitFor(2);
    expect(target.received[1]!.headers['x-customer']).toBe('customer-8');

    // Fixed, the pending event is delivered on retry with the new transform.
    await tenant.api.ok('PATCH', `/v1/destinations/${destination.id}`, {
      transform: 'function transform(event) { return { fixed: event.data.passthrough }; }',
    });
    await tenant.api.ok('POST', `/v1/events/${loop}/retry`);
    await target.waitFor(3);
    expect(JSON.parse(target.received[2]!.body)).toEqual({ fixed: 'loop' });

    // Removing the transform sends the envelope again.
    await tenant.api.ok('PATCH', `/v1/destinations/${destination.id}`, { transform: null });
    await tenant.api.ok('POST', `/v1/events/${escaping}/retry`);
    await target.waitFor(4);
    expect(JSON.parse(target.received[3]!.body)).toMatchObject({ id: escaping, type: 'video.asset.ready' });
  });

  it('tries a filter and transform on stored events, newest first, tenant-scoped', async () => {
    const source = await createMuxSource(tenant.api);
    const ids = [await send(source, 'customer-1'), await send(source, 'customer-2'), await send(source, 'customer-3')];
    const tried = await tenant.api.ok('POST', '/v1/rules/try', {
      source_id: source.id,
      filter: { 'data.passthrough': { $in: ['customer-1', 'customer-3'] } },
      transform: "function transform(e) { return e.data.passthrough === 'customer-3' ? null : { who: e.data.passthrough }; }",
    });
    expect(tried.data).toEqual([
      { event_id: ids[2], matched: false, skipped_by: 'transform' },
      { event_id: ids[1], matched: false, skipped_by: 'filter' },
      { event_id: ids[0], matched: true, output: { body: { who: 'customer-1' }, headers: {} } },
    ]);

    const limited = await tenant.api.ok('POST', '/v1/rules/try', { source_id: source.id, limit: 1 });
    expect(limited.data).toHaveLength(1);
    expect(limited.data[0]).toMatchObject({ event_id: ids[2], matched: true, output: { body: { id: ids[2] } } });

    const broken = await tenant.api.ok('POST', '/v1/rules/try', {
      source_id: source.id,
      transform: 'function transform() { while (true) {} }',
      limit: 1,
    });
    expect(broken.data[0]).toMatchObject({ matched: false, error: 'transform: timeout: ran over 200 ms' });

    const badFilter = await tenant.api.call('POST', '/v1/rules/try', { source_id: source.id, filter: { a: { $gt: [] } } });
    expect(badFilter.body.error.code).toBe('invalid_filter');
    expect((await tenant.api.call('POST', '/v1/rules/try', { source_id: source.id, limit: 1000 })).status).toBe(400);

    // Another tenant cannot try rules on this source's events.
    const other = await signUp(hookline.url, hookline.fetch);
    const foreign = await other.api.call('POST', '/v1/rules/try', { source_id: source.id });
    expect(foreign.status).toBe(404);
  });

  it('replays exactly the tried events to the destination, creating the deliveries its old filter kept out', async () => {
    const source = await createMuxSource(tenant.api);
    const target = await receiver();
    const destination = await tenant.api.ok('POST', '/v1/destinations', {
      source_id: source.id,
      url: target.url,
      filter: { 'data.passthrough': 'a' },
    });
    const a = await send(source, 'a');
    const b = await send(source, 'b');
    const c = await send(source, 'c');
    await target.waitFor(1);

    const newFilter = { 'data.passthrough': { $in: ['a', 'b'] } };
    const tried = await tenant.api.ok('POST', '/v1/rules/try', { source_id: source.id, filter: newFilter });
    const matched = tried.data.filter((t: any) => t.matched).map((t: any) => t.event_id);
    expect(matched).toEqual([b, a]);
    await tenant.api.ok('PATCH', `/v1/destinations/${destination.id}`, { filter: newFilter });

    // Another tenant can neither use this destination nor these events.
    const other = await signUp(hookline.url, hookline.fetch);
    expect((await other.api.call('POST', '/v1/rules/replay', { destination_id: destination.id, event_ids: matched })).status).toBe(404);
    const otherSource = await createMuxSource(other.api);
    const otherDestination = await other.api.ok('POST', '/v1/destinations', { source_id: otherSource.id, url: target.url });
    expect(await other.api.ok('POST', '/v1/rules/replay', { destination_id: otherDestination.id, event_ids: matched })).toEqual({
      count: 0,
    });

    expect(await tenant.api.ok('POST', '/v1/rules/replay', { destination_id: destination.id, event_ids: matched })).toEqual({ count: 2 });
    await target.waitFor(3);
    const ids = target.received.map((r) => r.headers['webhook-id']);
    expect(ids.sort()).toEqual([a, a, b].sort());
    expect(ids).not.toContain(c);
  });
});
