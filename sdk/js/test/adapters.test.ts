import { Buffer } from 'node:buffer';
import { createServer, type Server } from 'node:http';
import {
  type BackendEnv,
  backendEnv,
  eventually,
  freePort,
  type HooklineProcess,
  muxSignature,
  sendWebhook,
  signUp,
  startHooklineProcess,
  type Tenant,
} from '@hookline/testing';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createHandler as expressHandler, keepRawBody } from '../src/express.ts';
import { createHandler as fastifyPlugin } from '../src/fastify.ts';
import { createHandler as fetchHandler } from '../src/fetch.ts';
import type { HandlerOptions } from '../src/handler.ts';
import type { DeliveryInfo, EventOfType, HooklineEvent } from '../src/index.ts';
import { createHandler as nodeHandler } from '../src/node.ts';
import { delivery, muxFixture, SECRET } from './helpers.ts';

const MUX_SECRET = 'mux-test-webhook-secret-0001';
const FIXTURE = muxFixture('video.asset.ready');
const fixture = JSON.parse(FIXTURE);

interface Running {
  url: string;
  close(): Promise<void>;
}

/** What one adapter's handlers saw. */
class Recorder {
  events: { event: HooklineEvent; delivery: DeliveryInfo }[] = [];
  ready: { event: EventOfType<'video.asset.ready'>; delivery: DeliveryInfo }[] = [];
  errors: unknown[] = [];
  /** Sources whose deliveries fail on the first attempt, to see the relay retry. */
  failFirstAttempt = new Set<string>();

  options(secret: string): HandlerOptions {
    return {
      secret,
      onEvent: async (event, delivery) => {
        this.events.push({ event, delivery });
      },
      on: {
        'video.asset.ready': async (event, delivery) => {
          expectTypeOf(event.type).toEqualTypeOf<'video.asset.ready'>();
          this.ready.push({ event, delivery });
          if (this.failFirstAttempt.has(event.source_id) && delivery.attempt === 1) throw new Error('first attempt fails on purpose');
        },
      },
      onError: (error) => void this.errors.push(error),
    };
  }
}

function listen(server: Server, port: number): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/hook`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** The smallest Node http → fetch Request bridge, standing in for Next.js, Hono or a Worker. */
function serveFetch(handler: (request: Request) => Promise<Response>): Server {
  return createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) for (const v of [value ?? []].flat()) headers.append(name, v);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(new URL(req.url ?? '/', 'http://127.0.0.1'), {
      method: req.method,
      headers,
      body: hasBody ? Buffer.concat(chunks) : undefined,
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

/** Each adapter in a real server on `port` (0: any), its webhook route at /hook. */
const ADAPTERS: { name: string; start(options: HandlerOptions, port: number): Promise<Running> }[] = [
  { name: 'node http', start: (options, port) => listen(createServer(nodeHandler(options)), port) },
  {
    name: 'express',
    start: (options, port) => {
      const app = express();
      // Mounted before the JSON parser, as the README says.
      app.post('/hook', expressHandler(options));
      app.use(express.json());
      return listen(createServer(app), port);
    },
  },
  {
    name: 'fastify',
    start: async (options, port) => {
      const app = Fastify();
      await app.register(fastifyPlugin(options), { prefix: '/hook' });
      const address = await app.listen({ port, host: '127.0.0.1' });
      return { url: `${address}/hook`, close: () => app.close() };
    },
  },
  { name: 'fetch', start: (options, port) => listen(serveFetch(fetchHandler(options)), port) },
];

const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers, body });

let storage: BackendEnv;
let hookline: HooklineProcess;
let tenant: Tenant;

beforeAll(async () => {
  storage = await backendEnv({ backend: 'embedded' });
  hookline = await startHooklineProcess({ env: { ...storage.env, HOOKLINE_RETRY_SCHEDULE: '200ms,200ms' } });
  tenant = await signUp(hookline.url);
});
afterAll(async () => {
  await hookline?.stop();
  await storage?.cleanup();
});

/**
 * A Mux source forwarding to a port nothing listens on yet: the destination's signing secret,
 * which the adapter needs, exists only once the destination (and so its URL) does.
 */
async function muxSourceToPort() {
  const port = await freePort();
  const source = await tenant.api.ok('POST', '/v1/sources', { name: 'Mux', provider: 'mux', verification: { secret: MUX_SECRET } });
  const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: `http://127.0.0.1:${port}/hook` });
  return { port, source, secret: destination.signing_secret as string };
}

const attemptsOf = async (eventId: string) => {
  const event = await tenant.api.ok('GET', `/v1/events/${eventId}`);
  return event.deliveries[0].attempts.map((a: { number: number; status_code: number | null }) => [a.number, a.status_code]);
};

async function sendFixture(ingestUrl: string): Promise<string> {
  const answer = await sendWebhook(ingestUrl, FIXTURE, { 'mux-signature': muxSignature(FIXTURE, MUX_SECRET) });
  expect(answer.status).toBe(200);
  return answer.body.id;
}

describe.each(ADAPTERS)('$name adapter', ({ start }) => {
  const running: Running[] = [];
  afterAll(async () => {
    for (const r of running) await r.close();
  });

  async function serve(recorder: Recorder, secret: string, port = 0): Promise<string> {
    const server = await start(recorder.options(secret), port);
    running.push(server);
    return server.url;
  }

  it('verifies a delivery made with sign(): 200 after the handlers ran, 400 with the reason when tampered with', async () => {
    const recorder = new Recorder();
    const url = await serve(recorder, SECRET);
    const { body, headers, id } = delivery('video.asset.ready', { attempt: 1 });
    const ok = await post(url, body, headers);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });
    expect(recorder.events.map((e) => e.event.id)).toEqual([id]);
    expect(recorder.ready.map((e) => e.event.id)).toEqual([id]);

    const tampered = await post(url, body.replace('"ready"', '"READY"'), headers);
    expect(tampered.status).toBe(400);
    expect((await tampered.json()).error.code).toBe('bad_signature');
    const unsigned = await post(url, body, { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(400);
    expect((await unsigned.json()).error).toMatchObject({ code: 'missing_header' });
    expect(recorder.events).toHaveLength(1);
  });

  it('receives a real delivery from the relay: onEvent and the typed handler get the normalized event', async () => {
    const recorder = new Recorder();
    const { port, source, secret } = await muxSourceToPort();
    await serve(recorder, secret, port);
    const eventId = await sendFixture(source.ingest_url);
    await eventually(async () => recorder.ready.length === 1);
    const { event, delivery: info } = recorder.ready[0]!;
    expect(event).toMatchObject({
      id: eventId,
      type: 'video.asset.ready',
      provider: 'mux',
      source_id: source.id,
      object: { type: 'asset', id: fixture.object.id },
      environment: { id: fixture.environment.id, name: fixture.environment.name },
      provider_event: { id: fixture.id, type: 'video.asset.ready' },
    });
    expect(event.data).toEqual(fixture.data);
    if (event.provider === 'mux') expect(event.data.playback_ids?.[0]?.id).toBe(fixture.data.playback_ids[0].id);
    expect(info).toEqual({ id: eventId, timestamp: expect.any(Date), attempt: 1 });
    expect(recorder.events.map((e) => e.event)).toEqual([event]);
    expect(await eventually(async () => (await attemptsOf(eventId)).length === 1 && attemptsOf(eventId))).toEqual([[1, 200]]);
  });

  it('answers 500 when a handler throws, so the relay retries until it succeeds', async () => {
    const recorder = new Recorder();
    const { port, source, secret } = await muxSourceToPort();
    recorder.failFirstAttempt.add(source.id);
    await serve(recorder, secret, port);
    const eventId = await sendFixture(source.ingest_url);
    const attempts = await eventually(async () => {
      const list = await attemptsOf(eventId);
      return list.length === 2 && list;
    });
    expect(attempts).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(recorder.ready.map((r) => [r.event.id, r.delivery.attempt])).toEqual([
      [eventId, 1],
      [eventId, 2],
    ]);
    expect(recorder.events).toHaveLength(2);
    expect(recorder.errors).toEqual([new Error('first attempt fails on purpose')]);
  });
});

describe('express specifics', () => {
  const servers: Running[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  async function app(setup: (app: express.Express, recorder: Recorder) => void) {
    const recorder = new Recorder();
    const application = express();
    setup(application, recorder);
    const running = await listen(createServer(application), 0);
    servers.push(running);
    return { url: running.url, base: running.url.replace(/\/hook$/, ''), recorder };
  }

  it('leaves the rest of the app parsing JSON, and answers 405 to a GET', async () => {
    const { base, url } = await app((a, r) => {
      a.use('/hook', expressHandler(r.options(SECRET)));
      a.use(express.json());
      a.post('/json', (req, res) => void res.json({ parsed: req.body }));
    });
    expect(await (await post(`${base}/json`, '{"a":1}', { 'content-type': 'application/json' })).json()).toEqual({ parsed: { a: 1 } });
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('explains, with a 500 the relay retries, when express.json() ran first and kept no raw copy', async () => {
    const { url, recorder } = await app((a, r) => {
      a.use(express.json());
      a.post('/hook', expressHandler(r.options(SECRET)));
    });
    const { body, headers } = delivery();
    const answer = await post(url, body, headers);
    expect(answer.status).toBe(500);
    const { error } = await answer.json();
    expect(error.code).toBe('body_already_parsed');
    expect(error.message).toMatch(/Mount the Hookline handler before the body parser.*express\.json\(\{ verify: keepRawBody \}\)/);
    expect(recorder.errors).toHaveLength(1);
    expect(recorder.events).toHaveLength(0);
  });

  it('works after express.json({ verify: keepRawBody }) and after express.raw()', async () => {
    const kept = await app((a, r) => {
      a.use(express.json({ verify: keepRawBody }));
      a.post('/hook', expressHandler(r.options(SECRET)));
    });
    const raw = await app((a, r) => {
      a.post('/hook', express.raw({ type: 'application/json' }), expressHandler(r.options(SECRET)));
    });
    for (const { url, recorder } of [kept, raw]) {
      const { body, headers, id } = delivery();
      expect((await post(url, body, headers)).status).toBe(200);
      expect(recorder.ready.map((r) => r.event.id)).toEqual([id]);
    }
  });
});

describe('fastify specifics', () => {
  it('keeps its raw-body parser inside the plugin, even beside an app-wide custom JSON parser', async () => {
    const recorder = new Recorder();
    const app = Fastify();
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
      done(null, { custom: JSON.parse(text as string) });
    });
    await app.register(fastifyPlugin({ ...recorder.options(SECRET), path: '/deliveries' }), { prefix: '/hook' });
    app.post('/json', async (request) => ({ parsed: request.body }));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await post(`${base}/json`, '{"a":1}', { 'content-type': 'application/json' })).json()).toEqual({
        parsed: { custom: { a: 1 } },
      });
      const { body, headers, id } = delivery();
      expect((await post(`${base}/hook/deliveries`, body, headers)).status).toBe(200);
      // Any content type reaches the route as bytes, and is then verified.
      const asText = await post(`${base}/hook/deliveries`, body, { ...headers, 'content-type': 'text/plain' });
      expect(asText.status).toBe(200);
      expect(recorder.ready.map((r) => r.event.id)).toEqual([id, id]);
    } finally {
      await app.close();
    }
  });
});

describe('body size limit', () => {
  it('answers 413 past maxBodyBytes, whether or not content-length announces it', async () => {
    const recorder = new Recorder();
    const node = await listen(createServer(nodeHandler({ ...recorder.options(SECRET), maxBodyBytes: 1000 })), 0);
    const web = await listen(serveFetch(fetchHandler({ ...recorder.options(SECRET), maxBodyBytes: 1000 })), 0);
    try {
      for (const url of [node.url, web.url]) {
        const big = 'x'.repeat(5000);
        expect((await post(url, big, sign0())).status).toBe(413);
        // Streamed without a content-length: counted as it arrives.
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(big));
            controller.close();
          },
        });
        const chunked = await fetch(url, { method: 'POST', headers: sign0(), body: stream, duplex: 'half' } as RequestInit);
        expect(chunked.status).toBe(413);
      }
    } finally {
      await node.close();
      await web.close();
    }
  });
});

function sign0(): Record<string, string> {
  return { 'content-type': 'application/json', ...delivery().headers };
}
