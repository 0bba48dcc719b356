import {
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  openStream,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  testBackend,
} from '@hookline/testing';
import { describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

async function send(ingestUrl: string) {
  const body = freshMuxEvent();
  const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
  expect(answer.status).toBe(200);
  return answer.body.id as string;
}

describe('the live stream', () => {
  it('shows requests, events and attempts as they happen, and resumes after a drop with nothing lost or repeated', async () => {
    const storage = await backendEnv();
    const receiver = await startReceiver();
    const hookline = await startHooklineProcess({ env: storage.env });
    try {
      const { api, apiKey } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
      const auth = { authorization: `Bearer ${apiKey}` };

      const first = await openStream(`${hookline.url}/v1/stream?source_id=${source.id}`, auth);
      const a = await send(source.ingest_url);
      await first.waitFor(3); // request, event, attempt
      expect(first.messages.map((m) => m.event).sort()).toEqual(['attempt', 'event', 'request']);
      expect(first.messages.find((m) => m.event === 'event')?.data).toMatchObject({ id: a, type: 'video.asset.ready' });
      expect(first.messages.find((m) => m.event === 'request')?.data).toMatchObject({ outcome: 'accepted', event_id: a });
      expect(first.messages.find((m) => m.event === 'attempt')?.data).toMatchObject({
        event_id: a,
        status_code: 200,
        delivery_status: 'succeeded',
      });
      const lastSeen = first.messages.at(-1)?.id as string;
      await first.close();

      // While nobody listens: three more events, and a rejected request.
      const missed = [await send(source.ingest_url), await send(source.ingest_url), await send(source.ingest_url)];
      await sendWebhook(source.ingest_url, '{}', { 'mux-signature': 't=1,v1=00' });
      await receiver.waitFor(4);
      await eventually(async () => (await api.ok('GET', `/v1/events/${missed[2]}`)).status === 'delivered');

      const resumed = await openStream(`${hookline.url}/v1/stream?source_id=${source.id}`, { ...auth, 'last-event-id': lastSeen });
      await resumed.waitFor(3 * 3 + 1);
      // A sentinel sent now: the stream is in commit order, so once its messages arrive any
      // wrong extra message about earlier events would already be in front of them.
      const sentinel = await send(source.ingest_url);
      const aboutSentinel = (m: (typeof resumed.messages)[number]) => m.data.id === sentinel || m.data.event_id === sentinel;
      await eventually(async () => resumed.messages.some(aboutSentinel));
      const seen = resumed.messages.slice(0, resumed.messages.findIndex(aboutSentinel));
      expect(seen).toHaveLength(10);
      expect(new Set(seen.map((m) => m.id)).size).toBe(10);
      expect(seen.filter((m) => m.event === 'event').map((m) => m.data.id)).toEqual(missed);
      expect(seen.filter((m) => m.event === 'request' && m.data.outcome === 'rejected')).toHaveLength(1);
      expect(seen.some((m) => m.data.id === a || m.data.event_id === a)).toBe(false);

      // A stream without Last-Event-ID starts from now, and says where that is at once, so
      // a client that drops before anything happens resumes without a gap.
      const idle = await openStream(`${hookline.url}/v1/stream?kinds=event`, auth);
      await eventually(async () => idle.lastId !== undefined);
      const start = idle.lastId as string;
      await idle.close();
      const whileAway = await send(source.ingest_url);
      const back = await openStream(`${hookline.url}/v1/stream?kinds=event`, { ...auth, 'last-event-id': start });
      await back.waitFor(1);
      expect(back.messages.map((m) => m.data.id)).toEqual([whileAway]);
      await back.close();

      // A stream without Last-Event-ID starts from now; a bad cursor is refused.
      const fresh = await openStream(`${hookline.url}/v1/stream?kinds=event`, auth);
      const b = await send(source.ingest_url);
      await fresh.waitFor(1);
      expect(fresh.messages.map((m) => [m.event, m.data.id])).toEqual([['event', b]]);
      await fresh.close();
      await resumed.close();
      expect((await api.call('GET', '/v1/stream?last_event_id=garbage')).status).toBe(400);
      expect((await api.call('GET', '/v1/stream?kinds=everything')).status).toBe(400);
    } finally {
      await hookline.stop();
      await receiver.close();
      await storage.cleanup();
    }
  });

  it('refuses a Last-Event-ID out of range or ahead of anything it handed out, with the error body, before streaming', async () => {
    const storage = await backendEnv();
    const hookline = await startHooklineProcess({ env: storage.env });
    try {
      const { api, apiKey } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      const auth = { authorization: `Bearer ${apiKey}` };
      const live = await openStream(`${hookline.url}/v1/stream?kinds=event`, auth);
      await send(source.ingest_url);
      await live.waitFor(1);
      const handedOut = live.lastId as string;
      await live.close();
      const [xid, seq] = handedOut.split('-').map(BigInt) as [bigint, bigint];

      /** The answer's status and, unless it is the stream itself, its body. */
      const connect = async (query: string, headers: Record<string, string> = {}) => {
        const res = await fetch(`${hookline.url}/v1/stream${query}`, { headers: { ...auth, ...headers } });
        if (res.status === 200) {
          await res.body?.cancel();
          return { status: 200, body: null };
        }
        return { status: res.status, body: await res.json() };
      };
      const refused = { error: { code: 'invalid_request', message: expect.stringContaining('Last-Event-ID') } };
      const outOfRange = [
        '99999999999999999999-1', // past xid8
        '18446744073709551616-1', // 2^64
        '1-9223372036854775808', // 2^63: past bigint
      ];
      const ahead = [
        '18446744073709551615-1', // the largest xid8
        `${xid + 1_000_000n}-${seq}`, // a transaction not yet begun
        `${xid}-${seq + 1_000_000n}`, // a sequence number not yet issued
      ];
      for (const cursor of [...outOfRange, ...ahead]) {
        expect(await connect('', { 'last-event-id': cursor }), cursor).toEqual({ status: 400, body: refused });
        expect(await connect(`?last_event_id=${cursor}`), cursor).toEqual({ status: 400, body: refused });
      }
      // What it did hand out, and the very start, are still taken.
      for (const cursor of [handedOut, '0-0']) {
        expect((await connect('', { 'last-event-id': cursor })).status, cursor).toBe(200);
      }
    } finally {
      await hookline.stop();
      await storage.cleanup();
    }
  });

  it('keeps streams open with heartbeats', async () => {
    const storage = await backendEnv();
    const hookline = await startHooklineProcess({ env: { ...storage.env, HOOKLINE_STREAM_HEARTBEAT: '200ms' } });
    try {
      const { apiKey } = await signUp(hookline.url);
      const stream = await openStream(`${hookline.url}/v1/stream`, { authorization: `Bearer ${apiKey}` });
      await eventually(async () => stream.comments.filter((c) => c === 'ping').length >= 2, 5_000);
      await stream.close();
    } finally {
      await hookline.stop();
      await storage.cleanup();
    }
  });

  it.skipIf(testBackend() !== 'postgres')('works when ingest, worker and API are separate processes', async () => {
    const storage = await backendEnv();
    const receiver = await startReceiver();
    const processes: HooklineProcess[] = [];
    try {
      for (const role of ['relay', 'api', 'worker']) processes.push(await startHooklineProcess({ role, env: storage.env }));
      const [relay, apiProcess] = processes as [HooklineProcess, HooklineProcess];
      const { api, apiKey } = await signUp(apiProcess.url);
      const source = await createMuxSource(api);
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
      const stream = await openStream(`${apiProcess.url}/v1/stream`, { authorization: `Bearer ${apiKey}` });
      const id = await send(source.ingest_url.replace(apiProcess.url, relay.url));
      await stream.waitFor(3);
      expect(stream.messages.map((m) => m.event).sort()).toEqual(['attempt', 'event', 'request']);
      expect(stream.messages.find((m) => m.event === 'event')?.data.id).toBe(id);
      await stream.close();
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      await receiver.close();
      await storage.cleanup();
    }
  });
});
