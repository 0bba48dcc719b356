import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  type BackendEnv,
  backendEnv,
  eventually,
  freePort,
  type HooklineProcess,
  muxSignature,
  REPO_ROOT,
  type Received,
  type Receiver,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  type Tenant,
  tempDir,
} from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.ts';
import {
  type ForwardReport,
  getListenSecret,
  type HooklineEvent,
  ListenError,
  type ListenOptions,
  type ListenStatus,
  listen,
  verify,
} from '../src/index.ts';
import { SseParser } from '../src/sse.ts';
import { muxFixture } from './helpers.ts';

const MUX_SECRET = 'mux-test-webhook-secret-0001';
const FASTPIX_SECRET = Buffer.from('fastpix-test-signing-secret-0001').toString('base64');
const BIN = join(REPO_ROOT, 'sdk/js/src/bin.ts');
const dir = tempDir('hookline-listen-');
let files = 0;
const stateFile = () => join(dir, `state${++files}`, 'listen.json');

/** A Mux fixture with a fresh provider event id, so each send is a new event. */
function muxBody(type: string): string {
  return muxFixture(type).replace(/"id": "[0-9a-f-]{36}"/, `"id": "${crypto.randomUUID()}"`);
}

function idOf(r: Received): string {
  return r.headers['webhook-id'] as string;
}

/** A running `listen()` and what it reported. */
function startListener(options: Omit<ListenOptions, 'signal' | 'onForward' | 'onStatus'>) {
  const controller = new AbortController();
  const forwards: ForwardReport[] = [];
  const statuses: ListenStatus[] = [];
  const done = listen({
    reconnectDelayMs: 200,
    maxReconnectDelayMs: 1000,
    forwardRetryDelayMs: 50,
    ...options,
    signal: controller.signal,
    onForward: (f) => forwards.push(f),
    onStatus: (s) => statuses.push(s),
  });
  done.catch(() => {});
  const connections = () => statuses.filter((s) => s.type === 'connected').length;
  return {
    forwards,
    statuses,
    done,
    started: () => statuses.find((s) => s.type === 'started') as Extract<ListenStatus, { type: 'started' }>,
    connected: (count = 1) => eventually(async () => connections() >= count, 20_000, 20),
    stop: async () => {
      controller.abort();
      return done;
    },
  };
}

describe('listen, against a real relay', () => {
  let storage: BackendEnv;
  let hookline: HooklineProcess;
  let receiver: Receiver;
  let tenant: Tenant;

  beforeAll(async () => {
    storage = await backendEnv({ backend: 'embedded' });
    [hookline, receiver] = await Promise.all([startHooklineProcess({ env: storage.env }), startReceiver()]);
    tenant = await signUp(hookline.url);
  });
  afterAll(async () => {
    await hookline?.stop();
    await receiver?.close();
    await storage?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function muxSource() {
    return tenant.api.ok<{ id: string; ingest_url: string }>('POST', '/v1/sources', {
      name: 'Mux',
      provider: 'mux',
      verification: { secret: MUX_SECRET },
    });
  }

  /** Sends a signed Mux webhook; returns the Hookline event id. */
  /**
   * Waits until `sentinel`, sent after `sent`, is forwarded, then adds it to `sent`: a
   * listener forwards in stream order, so a duplicate of anything earlier would already be
   * in front of it (no fixed wait for one to show up).
   */
  async function forwardedUpTo(source: { id: string }, sentinel: string, sent: string[]) {
    await eventually(async () => receivedFrom(source.id).some((r) => idOf(r) === sentinel));
    sent.push(sentinel);
  }

  async function send(source: { ingest_url: string }, type = 'video.asset.ready'): Promise<string> {
    const body = muxBody(type);
    const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    return answer.body.id;
  }

  const receivedFrom = (sourceId: string) => receiver.received.filter((r) => r.headers['hookline-source-id'] === sourceId);

  function options(source: { id: string }, file: string) {
    return { apiKey: tenant.apiKey, apiUrl: hookline.url, source: source.id, forwardTo: receiver.url, stateFile: file };
  }

  it('forwards events signed with a stable local secret; resumes after a stop with every event once, in order', async () => {
    const source = await muxSource();
    const file = stateFile();
    const first = startListener(options(source, file));
    await first.connected();
    const started = first.started();
    expect(started).toMatchObject({ secretCreated: true, resumeFrom: null, stateFile: file, forwardTo: receiver.url });
    expect(started.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(await getListenSecret(source.id, { stateFile: file })).toBe(started.secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const types = ['video.asset.created', 'video.asset.ready', 'video.asset.errored'];
    const sent: string[] = [];
    for (const type of types) sent.push(await send(source, type));
    await eventually(async () => receivedFrom(source.id).length >= 3);

    // The app verifies forwards exactly as it verifies real deliveries.
    const received = receivedFrom(source.id);
    const events = received.map((r) => verify(r.body, r.headers as Record<string, string>, started.secret));
    expect(events.map((e) => [e.id, e.type, e.provider, e.source_id])).toEqual(sent.map((id, i) => [id, types[i], 'mux', source.id]));
    expect(received.map((r) => r.headers['hookline-event-type'])).toEqual(types);
    expect(received[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'hookline-provider': 'mux', 'hookline-attempt': '1' });
    const ready = events[1] as HooklineEvent;
    if (ready.type === 'video.asset.ready' && ready.provider === 'mux') expect(ready.data.playback_ids?.[0]?.policy).toBe('public');
    else throw new Error(`expected a typed Mux video.asset.ready, got ${ready.type}`);
    expect(first.forwards.map((f) => [f.event.id, f.status, f.ok, f.attempt, f.retryInMs])).toEqual(
      sent.map((id) => [id, 200, true, 1, null]),
    );
    expect(first.forwards.every((f) => f.durationMs >= 0 && f.at instanceof Date)).toBe(true);
    expect(await first.stop()).toMatchObject({ forwarded: 3, failed: 0, cursor: expect.stringMatching(/^\d+-\d+$/) });

    // Offline: these wait in Hookline.
    for (const type of ['video.asset.ready', 'video.asset.deleted']) sent.push(await send(source, type));

    const second = startListener(options(source, file));
    await second.connected();
    expect(second.started()).toMatchObject({
      secret: started.secret,
      secretCreated: false,
      resumeFrom: expect.stringMatching(/^\d+-\d+$/),
    });
    sent.push(await send(source, 'video.asset.created'));
    await forwardedUpTo(source, await send(source, 'video.asset.ready'), sent);
    await second.stop();
    expect(receivedFrom(source.id).map(idOf)).toEqual(sent);
    for (const r of receivedFrom(source.id)) verify(r.body, r.headers as Record<string, string>, started.secret);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.sources[source.id]).toMatchObject({ secret: started.secret, cursor: expect.any(String) });
  });

  it('reconnects after the relay restarts and loses nothing sent meanwhile', async () => {
    const source = await muxSource();
    const listener = startListener(options(source, stateFile()));
    await listener.connected();
    const sent = [await send(source)];
    await eventually(async () => receivedFrom(source.id).length === 1);

    await hookline.stop();
    await eventually(async () => listener.statuses.some((s) => s.type === 'disconnected'));
    hookline = await startHooklineProcess({ env: storage.env, port: hookline.port });
    // Sent the moment the relay is back, likely before the listener has reconnected: the
    // saved position brings them all the same.
    for (const type of ['video.asset.created', 'video.asset.ready', 'video.asset.deleted']) sent.push(await send(source, type));
    await eventually(async () => receivedFrom(source.id).length >= sent.length);
    await listener.stop();
    expect(receivedFrom(source.id).map(idOf)).toEqual(sent);
    const reconnect = listener.statuses.filter((s) => s.type === 'connected').at(-1);
    expect(reconnect).toMatchObject({ reconnected: true, resumeFrom: expect.stringMatching(/^\d+-\d+$/) });
  });

  it('loses nothing when stopped before its first event: the position is saved on connect', async () => {
    const source = await muxSource();
    const file = stateFile();
    const savedCursor = () => JSON.parse(readFileSync(file, 'utf8')).sources[source.id]?.cursor as string | null | undefined;
    const first = startListener(options(source, file));
    await first.connected();
    expect(first.started()).toMatchObject({ resumeFrom: null });
    // The stream's first block is its position with no data: saved before any event exists.
    const cursor = await eventually(async () => savedCursor() || undefined, 5000, 20);
    expect(cursor).toMatch(/^\d+-\d+$/);
    expect(await first.stop()).toEqual({ cursor, forwarded: 0, failed: 0 });
    expect(first.forwards).toEqual([]);

    // Stopped: these wait in Hookline.
    const sent = [await send(source), await send(source, 'video.asset.deleted')];

    const second = startListener(options(source, file));
    await second.connected();
    expect(second.started()).toMatchObject({ secretCreated: false, resumeFrom: cursor });
    expect(second.statuses.find((s) => s.type === 'connected')).toEqual({ type: 'connected', resumeFrom: cursor, reconnected: false });
    sent.push(await send(source, 'video.asset.created'));
    await forwardedUpTo(source, await send(source, 'video.asset.ready'), sent);
    expect(await second.stop()).toMatchObject({ forwarded: 3 + 1, failed: 0 });
    expect(receivedFrom(source.id).map(idOf)).toEqual(sent);
    expect(second.forwards.map((f) => f.event.id)).toEqual(sent);
  });

  it('retries a failing forward with backoff, reports every attempt, then moves on', async () => {
    const source = await muxSource();
    const listener = startListener({ ...options(source, stateFile()), forwardAttempts: 3 });
    await listener.connected();
    // The first event forwarded fails twice, the second always; the rest succeed.
    const order: string[] = [];
    receiver.respondWith((_n, r) => {
      if (r.headers['hookline-source-id'] !== source.id) return { status: 200 };
      if (!order.includes(idOf(r))) order.push(idOf(r));
      const index = order.indexOf(idOf(r));
      if (index === 0) return { status: r.headers['hookline-attempt'] === '3' ? 204 : 500 };
      return { status: index === 1 ? 503 : 200 };
    });
    const [flaky, broken, fine] = [await send(source), await send(source), await send(source)];
    try {
      await eventually(async () => listener.forwards.some((f) => f.event.id === fine));
    } finally {
      receiver.respondWith(() => ({ status: 200 }));
    }
    expect(await listener.stop()).toMatchObject({ forwarded: 2, failed: 1 });
    expect(listener.forwards.map((f) => [f.event.id, f.attempt, f.status, f.error, f.ok, f.retryInMs])).toEqual([
      [flaky, 1, 500, 'HTTP 500', false, 50],
      [flaky, 2, 500, 'HTTP 500', false, 100],
      [flaky, 3, 204, null, true, null],
      [broken, 1, 503, 'HTTP 503', false, 50],
      [broken, 2, 503, 'HTTP 503', false, 100],
      [broken, 3, 503, 'HTTP 503', false, null],
      [fine, 1, 200, null, true, null],
    ]);
    expect(receivedFrom(source.id).map((r) => `${idOf(r)}#${r.headers['hookline-attempt']}`)).toEqual([
      `${flaky}#1`,
      `${flaky}#2`,
      `${flaky}#3`,
      `${broken}#1`,
      `${broken}#2`,
      `${broken}#3`,
      `${fine}#1`,
    ]);

    // Nothing listening locally: the connection is refused, and that is what is reported.
    const closed = startListener({
      ...options(source, stateFile()),
      forwardTo: `http://127.0.0.1:${await freePort()}/`,
      forwardAttempts: 2,
    });
    await closed.connected();
    const id = await send(source);
    await eventually(async () => closed.forwards.length === 2);
    await closed.stop();
    expect(closed.forwards.map((f) => [f.event.id, f.status, f.error, f.retryInMs])).toEqual([
      [id, null, 'ECONNREFUSED', 50],
      [id, null, 'ECONNREFUSED', null],
    ]);
  });

  it('fails fast on a rejected API key or an unknown source', async () => {
    const source = await muxSource();
    const bad = startListener({ ...options(source, stateFile()), apiKey: 'hl_not_a_key' });
    await expect(bad.done).rejects.toMatchObject({ name: 'ListenError', code: 'unauthorized', status: 401 });
    const unknown = startListener({ ...options(source, stateFile()), source: 'src_00000000000000000000000000' });
    const err = await unknown.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenError);
    expect(err).toMatchObject({ code: 'not_found', message: expect.stringContaining('src_00000000000000000000000000') });
  });

  it('the hookline CLI: listen prints the secret and one line per forward; trigger sends signed provider samples', async () => {
    const source = await muxSource();
    const file = stateFile();
    const env = { ...process.env, HOOKLINE_API_KEY: tenant.apiKey, HOOKLINE_API_URL: hookline.url };
    const port = new URL(receiver.url).port;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', BIN, 'listen', port, '--path', '/hook', '--source', source.id, '--state-file', file],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out = capture(child);
    try {
      await eventually(async () => out.stderr().includes('Connected to'), 30_000, 50);
      const secret = /Your local signing secret is (whsec_\S+) \(new\)/.exec(out.stdout())?.[1];
      expect(secret).toBeDefined();
      expect(out.stdout()).toContain(`Forwarding events of ${source.id} to http://localhost:${port}/hook`);

      // trigger, as a child process too: the relay verifies the Mux signature it makes.
      const triggered = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', BIN, 'trigger', 'video.asset.ready', '--source', source.id, '--secret', MUX_SECRET],
        { cwd: REPO_ROOT, env },
      );
      const id = /✔ sent video\.asset\.ready through \S+: event (evt_\w+)/.exec(triggered.stdout)?.[1];
      expect(id, triggered.stdout).toBeDefined();

      await eventually(async () => out.stdout().includes(id!), 20_000, 50);
      expect(out.stdout()).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  video\\.asset\\.ready  ${id}  200  \\d+ ms$`, 'm'));
      const delivered = receivedFrom(source.id);
      expect(delivered.map(idOf)).toEqual([id]);
      const event = verify(delivered[0]!.body, delivered[0]!.headers as Record<string, string>, secret!);
      expect(event).toMatchObject({ type: 'video.asset.ready', provider: 'mux', provider_event: { type: 'video.asset.ready' } });
      expect(event.occurred_at).not.toBeNull();
    } finally {
      child.kill('SIGINT');
    }
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out.stderr()).toContain('Stopped: 1 forwarded, 0 given up on');
  });

  it('trigger signs FastPix samples too, takes FastPix names, and explains a wrong secret', async () => {
    const fastpix = await tenant.api.ok('POST', '/v1/sources', {
      name: 'FastPix',
      provider: 'fastpix',
      verification: { secret: FASTPIX_SECRET },
    });
    const mux = await muxSource();
    const env = { HOOKLINE_API_KEY: tenant.apiKey, HOOKLINE_API_URL: hookline.url, HOOKLINE_SOURCE_SECRET: FASTPIX_SECRET };
    const sent: [string, string, string][] = [];
    for (const type of ['video.asset.ready', 'video.media.failed', 'video.live_stream.active', 'video.upload.asset_created']) {
      const result = await cli(['trigger', type, '--source', fastpix.id], env);
      expect(result.code, result.stderr).toBe(0);
      sent.push([type, result.stdout, /event (evt_\w+)/.exec(result.stdout)![1]!]);
    }
    expect(sent[1]![1]).toContain('✔ sent video.asset.errored (fastpix: video.media.failed)');
    const events = await Promise.all(sent.map(([, , id]) => tenant.api.ok('GET', `/v1/events/${id}`)));
    expect(events.map((e) => [e.type, e.provider, e.provider_event.type])).toEqual([
      ['video.asset.ready', 'fastpix', 'video.media.ready'],
      ['video.asset.errored', 'fastpix', 'video.media.failed'],
      ['video.live_stream.active', 'fastpix', 'video.live_stream.active'],
      ['video.upload.asset_created', 'fastpix', 'video.upload.media_created'],
    ]);
    expect(new Set(events.map((e) => e.provider_event.id)).size).toBe(4);

    for (const type of [
      'video.asset.created',
      'video.asset.errored',
      'video.asset.deleted',
      'video.upload.asset_created',
      'video.live_stream.idle',
    ]) {
      const result = await cli(['trigger', type, '--source', mux.id, '--secret', MUX_SECRET], env);
      expect(result.code, `${type}: ${result.stderr}`).toBe(0);
    }

    const wrong = await cli(['trigger', 'video.asset.ready', '--source', mux.id, '--secret', 'not-the-secret'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the relay rejected the mux signature (401');
    expect(wrong.stderr).toContain(`--secret must be the provider signing secret set on ${mux.id}`);
    const unknownType = await cli(['trigger', 'video.asset.exploded', '--source', mux.id, '--secret', MUX_SECRET], env);
    expect(unknownType).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no mux sample for "video.asset.exploded"; samples: video.asset.created'),
    });
    const missing = await cli(['trigger', 'video.asset.ready', '--source', 'src_00000000000000000000000000'], env);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('was not found') });
    const badKey = await cli(['listen', '3000', '--source', mux.id, '--state-file', stateFile()], { ...env, HOOKLINE_API_KEY: 'hl_nope' });
    expect(badKey).toMatchObject({ code: 1, stderr: expect.stringContaining('hookline listen: Hookline rejected the API key (401') });
  });
});

describe('listen, against a scripted stream', () => {
  it('reconnects a stream gone silent (a half-open connection after sleep) and resumes with Last-Event-ID', async () => {
    const event = (n: number) =>
      JSON.stringify({ id: `evt_${n}`, type: 'video.asset.ready', provider: 'mux', source_id: 'src_1', data: {} });
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Split mid-line and mid-CRLF: the parser must put it together.
      if (seen.length === 1)
        for (const part of ['retry: 5000\r\n: hi\r', '\n\r\nid: 7-1\r\nevent: ev', `ent\r\ndata: ${event(1)}\r\n\r\n`]) res.write(part);
      else res.write(`id: 7-2\nevent: event\ndata: ${event(2)}\n\n`);
      // …then silence, not even a heartbeat.
    });
    const receiver = await startReceiver();
    const url = await listenOn(server);
    const file = stateFile();
    const listener = startListener({
      apiKey: 'k',
      source: 'src_1',
      apiUrl: url,
      forwardTo: receiver.url,
      stateFile: file,
      idleTimeoutMs: 300,
      reconnectDelayMs: 50,
    });
    try {
      await eventually(async () => listener.forwards.length === 2, 10_000, 20);
    } finally {
      await listener.stop();
      server.closeAllConnections();
      server.close();
      await receiver.close();
    }
    expect(seen.map((h) => [h.authorization, h['last-event-id'], h.accept])).toEqual([
      ['Bearer k', undefined, 'text/event-stream'],
      ['Bearer k', '7-1', 'text/event-stream'],
    ]);
    expect(listener.statuses.find((s) => s.type === 'disconnected')).toMatchObject({
      error: expect.stringMatching(/^no data, not even a heartbeat/),
    });
    expect(receiver.received.map((r) => r.body)).toEqual([event(1), event(2)]);
    expect(JSON.parse(readFileSync(file, 'utf8')).sources.src_1.cursor).toBe('7-2');
  });
});

describe('listen, an event Hookline cannot show', () => {
  it('passes it over with a skipped status instead of forwarding it without its data, and saves the position past it', async () => {
    const event = (n: number, extra = '') =>
      `{"id":"evt_${n}","type":"video.asset.ready","provider":"mux","source_id":"src_1","data":${extra ? 'null' : '{"n":1}'}${extra}}`;
    const omitted = ',"data_omitted":{"reason":"too_deep","message":"data nests deeper than 1000 levels"}';
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: 9-1\nevent: event\ndata: ${event(1)}\n\n`);
      res.write(`id: 9-2\nevent: event\ndata: ${event(2, omitted)}\n\n`);
      res.write(`id: 9-3\nevent: event\ndata: ${event(3)}\n\n`);
    });
    const receiver = await startReceiver();
    const url = await listenOn(server);
    const file = stateFile();
    const listener = startListener({ apiKey: 'k', source: 'src_1', apiUrl: url, forwardTo: receiver.url, stateFile: file });
    try {
      await receiver.waitFor(2);
      await eventually(async () => JSON.parse(readFileSync(file, 'utf8')).sources.src_1.cursor === '9-3', 10_000, 20);
    } finally {
      await listener.stop();
      server.closeAllConnections();
      server.close();
      await receiver.close();
    }
    expect(receiver.received.map((r) => r.body)).toEqual([event(1), event(3)]);
    expect(listener.statuses.filter((s) => s.type === 'skipped')).toEqual([
      { type: 'skipped', event: expect.objectContaining({ id: 'evt_2' }), reason: 'data nests deeper than 1000 levels' },
    ]);
  });
});

describe('SseParser', () => {
  const all = (chunks: string[]) => {
    const parser = new SseParser();
    return chunks.flatMap((c) => parser.push(new TextEncoder().encode(c)));
  };

  it('parses fields, comments, multi-line data, retry, and id-only blocks, across any chunking', () => {
    const text = '\uFEFFretry: 2000\n: connected\n\nid: 1-1\nevent: event\ndata: {"a":\ndata:1}\n\n: ping\n\nid: 1-2\n\ndata: plain\n\n';
    const expected = [
      { kind: 'retry', ms: 2000 },
      { kind: 'comment', text: 'connected' },
      { kind: 'message', message: { event: 'event', data: '{"a":\n1}', id: '1-1' } },
      { kind: 'comment', text: 'ping' },
      { kind: 'id', id: '1-2' },
      { kind: 'message', message: { event: 'message', data: 'plain', id: '1-2' } },
    ];
    expect(all([text])).toEqual(expected);
    expect(all([...text])).toEqual(expected);
    expect(all([text.replaceAll('\n', '\r\n')])).toEqual(expected);
    expect(all([...text.replaceAll('\n', '\r')])).toEqual(expected);
    // A multi-byte character split between chunks.
    const bytes = new TextEncoder().encode('data: café\n\n');
    const parser = new SseParser();
    expect([...parser.push(bytes.subarray(0, 9)), ...parser.push(bytes.subarray(9))]).toEqual([
      { kind: 'message', message: { event: 'message', data: 'café', id: undefined } },
    ]);
  });

  it('ignores unknown fields, a bad retry, and a block without data', () => {
    expect(all(['foo: bar\nretry: soon\nevent: x\n\ndata\n\n'])).toEqual([
      { kind: 'message', message: { event: 'message', data: '', id: undefined } },
    ]);
  });
});

function listenOn(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
  );
}

function capture(child: ChildProcess) {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return { stdout: () => stdout, stderr: () => stderr };
}

async function cli(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([]),
    env,
  });
  return { code, stdout, stderr };
}
