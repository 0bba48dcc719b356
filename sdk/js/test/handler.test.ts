import { describe, expect, expectTypeOf, it } from 'vitest';
import { BodyReadError } from '../src/handler.ts';
import { createHandler, type DeliveryInfo, type EventOfType, type HooklineEvent } from '../src/index.ts';
import { delivery, SECRET } from './helpers.ts';

function quiet() {
  const errors: { error: unknown; event: HooklineEvent | undefined }[] = [];
  return { errors, onError: (error: unknown, event?: HooklineEvent) => void errors.push({ error, event }) };
}

describe('createHandler (framework-neutral core)', () => {
  it('runs onEvent, then the handler for the type, and answers 200 once both resolve', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const handler = createHandler({
      secret: SECRET,
      onEvent: async (event, info) => {
        calls.push(`onEvent ${event.type} ${info.attempt}`);
      },
      on: {
        'video.asset.ready': async (event) => {
          calls.push(`ready ${event.id}`);
          await gate;
          calls.push('ready done');
        },
        'video.asset.errored': () => {
          calls.push('errored');
        },
      },
    });
    const { body, headers, id } = delivery('video.asset.ready', { attempt: 3 });
    const answer = handler.handle({ method: 'POST', headers, body });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['onEvent video.asset.ready 3', `ready ${id}`]);
    let settled = false;
    void answer.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    release();
    expect(await answer).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
    expect(calls.at(-1)).toBe('ready done');
  });

  it('passes the delivery id, timestamp and attempt', async () => {
    let seen: DeliveryInfo | undefined;
    const handler = createHandler({
      secret: SECRET,
      onEvent: (_e, info) => {
        seen = info;
      },
    });
    const { body, headers, id } = delivery('video.asset.ready', { attempt: 2 });
    await handler.handle({ headers, body });
    expect(seen).toEqual({ id, timestamp: new Date(Number(headers['webhook-timestamp']) * 1000), attempt: 2 });
  });

  it('answers 400 with the reason when verification fails, and runs no handler', async () => {
    let ran = false;
    const handler = createHandler({
      secret: SECRET,
      onEvent: () => {
        ran = true;
      },
    });
    const { body, headers } = delivery();
    const tampered = await handler.handle({ headers, body: body.replace('ready', 'errored') });
    expect(tampered.status).toBe(400);
    expect(JSON.parse(tampered.body)).toEqual({ error: { code: 'bad_signature', message: expect.stringMatching(/matches the body/) } });
    const { 'webhook-timestamp': _, ...noTimestamp } = headers;
    const missing = await handler.handle({ headers: noTimestamp, body });
    expect(JSON.parse(missing.body).error.code).toBe('missing_header');
    const stale = createHandler({
      secret: SECRET,
      onEvent: () => {
        ran = true;
      },
      now: () => new Date(Date.now() + 3_600_000),
    });
    expect(JSON.parse((await stale.handle({ headers, body })).body).error.code).toBe('timestamp_too_old');
    expect(ran).toBe(false);
  });

  it('answers 500 when a handler throws, reports it, and stops there', async () => {
    const { errors, onError } = quiet();
    let typedRan = false;
    const failing = createHandler({
      secret: SECRET,
      onError,
      onEvent: () => {
        throw new Error('database down');
      },
      on: {
        'video.asset.ready': () => {
          typedRan = true;
        },
      },
    });
    const { body, headers, id } = delivery();
    const answer = await failing.handle({ headers, body });
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body).error.code).toBe('handler_failed');
    expect(answer.body).not.toContain('database down');
    expect(typedRan).toBe(false);
    expect(errors).toEqual([{ error: new Error('database down'), event: expect.objectContaining({ id }) }]);

    const rejecting = createHandler({
      secret: SECRET,
      onError,
      on: { 'video.asset.ready': async () => Promise.reject(new Error('later')) },
    });
    expect((await rejecting.handle({ headers, body })).status).toBe(500);
    expect(errors).toHaveLength(2);
  });

  it('acknowledges types without a handler, and never looks a type up on Object.prototype', async () => {
    const seen: string[] = [];
    const handler = createHandler({ secret: SECRET, onEvent: (e) => void seen.push(e.type), on: { 'video.asset.ready': () => {} } });
    for (const type of ['video.live_stream.idle', 'customer.created', 'constructor', '__proto__', 'toString']) {
      const { body, headers } = delivery(type);
      expect((await handler.handle({ headers, body })).status).toBe(200);
    }
    expect(seen).toEqual(['video.live_stream.idle', 'customer.created', 'constructor', '__proto__', 'toString']);
  });

  it('answers 405 to other methods without reading the body', async () => {
    const handler = createHandler({ secret: SECRET, onEvent: () => {} });
    let read = false;
    const answer = await handler.handle({
      method: 'GET',
      headers: {},
      body: async () => {
        read = true;
        return '';
      },
    });
    expect(answer).toMatchObject({ status: 405, headers: { allow: 'POST' } });
    expect(read).toBe(false);
  });

  it('turns body read failures into 413, 500 (misconfigured app, reported) and 400', async () => {
    const { errors, onError } = quiet();
    const handler = createHandler({ secret: SECRET, onEvent: () => {}, onError });
    const failWith = (err: Error) => handler.handle({ headers: {}, body: () => Promise.reject(err) });
    expect(await failWith(new BodyReadError('payload_too_large', 'too big'))).toMatchObject({
      status: 413,
      headers: { connection: 'close' },
    });
    const parsed = await failWith(new BodyReadError('body_already_parsed', 'mount it before express.json()'));
    expect(parsed.status).toBe(500);
    expect(JSON.parse(parsed.body).error).toEqual({ code: 'body_already_parsed', message: 'mount it before express.json()' });
    expect(errors).toHaveLength(1);
    expect((await failWith(new Error('aborted'))).status).toBe(400);
  });

  it('refuses a malformed secret or no handlers at creation, not on the first delivery', () => {
    expect(() => createHandler({ secret: 'whsec_???', onEvent: () => {} })).toThrow(TypeError);
    expect(() => createHandler({ secret: SECRET })).toThrow(/needs onEvent or at least one handler/);
  });

  it('types each handler with its narrowed event, and refuses unknown keys', () => {
    createHandler({
      secret: SECRET,
      onEvent: (event) => expectTypeOf(event).toEqualTypeOf<HooklineEvent>(),
      on: {
        'video.asset.ready': (event, info) => {
          expectTypeOf(event).toEqualTypeOf<EventOfType<'video.asset.ready'>>();
          expectTypeOf(event.type).toEqualTypeOf<'video.asset.ready'>();
          expectTypeOf(info.attempt).toEqualTypeOf<number | null>();
          if (event.provider === 'mux') expectTypeOf(event.data.playback_ids?.[0]?.id).toEqualTypeOf<string | undefined>();
        },
        'video.live_stream.idle': (event) => expectTypeOf(event.type).toEqualTypeOf<'video.live_stream.idle'>(),
        // @ts-expect-error: not an event type
        'video.asset.readyy': () => {},
      },
    });
  });
});
