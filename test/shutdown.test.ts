import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import {
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  openStream,
  type Receiver,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
} from '@hookline/testing';
import { afterEach, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/**
 * SIGTERM under a running load (both backends): senders keep posting signed webhooks while a
 * slow receiver holds attempts in flight, then the process gets SIGTERM. It must refuse new
 * connections while it drains, answer the ingest request it is in the middle of, end the open
 * live stream, finish and record the attempts in flight, give back what it had not started,
 * and exit 0 before HOOKLINE_SHUTDOWN_TIMEOUT. After a restart, every webhook answered 2xx is
 * delivered, and each exactly once: a second arrival of a webhook-id could only come from an
 * attempt the shutdown left unrecorded (the receiver always answers 200, within the timeout).
 */

const SHUTDOWN_TIMEOUT_MS = 8_000;
const SETTINGS = {
  HOOKLINE_DELIVERY_TIMEOUT: '5s',
  HOOKLINE_SWEEP_INTERVAL: '300ms',
  HOOKLINE_RETRY_SCHEDULE: '300ms,300ms,300ms',
  HOOKLINE_SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
  // Few slots, so deliveries queue up behind the slow receiver and some are handed over but
  // not started when the signal comes.
  HOOKLINE_WORKER_CONCURRENCY: '4',
};
const SENDERS = 6;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups.length = 0;
});

/** Whether a fresh TCP connection to the port is refused (resolves true) or accepted (false). */
function refused(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      res(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => res(err.code === 'ECONNREFUSED'));
  });
}

/**
 * An ingest request whose headers the server has parsed (it answered `100 Continue`) and whose
 * body is half sent: in flight. `finish` sends the rest and resolves with the answer.
 */
async function halfSentWebhook(ingestUrl: string) {
  const body = Buffer.from(freshMuxEvent());
  const req = httpRequest(ingestUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': body.length,
      'mux-signature': muxSignature(body, MUX_SECRET),
      expect: '100-continue',
    },
  });
  const answer = new Promise<{ status: number; body: any }>((res, rej) => {
    req.once('response', (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => res({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.once('error', rej);
  });
  await new Promise<void>((res) => req.once('continue', res));
  const half = Math.floor(body.length / 2);
  await new Promise<void>((res) => req.write(body.subarray(0, half), () => res()));
  return {
    finish() {
      req.end(body.subarray(half));
      return answer;
    },
  };
}

it('SIGTERM under load: drains, exits 0 in time, loses nothing, delivers nothing twice', async () => {
  const storage = await backendEnv();
  // Quick answers while the load builds up; slow ones (still within the delivery timeout)
  // when the signal comes, so attempts are in flight through the drain.
  let delayMs = 20;
  const receiver: Receiver = await startReceiver(() => ({ status: 200, delayMs }));
  cleanups.push(
    () => storage.cleanup(),
    () => receiver.close(),
  );
  const env = { ...storage.env, ...SETTINGS };
  let hookline: HooklineProcess = await startHooklineProcess({ env });
  cleanups.push(() => hookline.stop('SIGKILL'));
  const { api, apiKey } = await signUp(hookline.url);
  const source = await createMuxSource(api);
  await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
  const stream = await openStream(`${hookline.url}/v1/stream`, { authorization: `Bearer ${apiKey}` });
  cleanups.push(() => stream.close());

  // The load: each sender posts one webhook after another until the process is gone.
  const accepted: string[] = [];
  const otherAnswers: number[] = [];
  let signalled = false;
  const senders = Array.from({ length: SENDERS }, async () => {
    while (!signalled) {
      const body = freshMuxEvent();
      try {
        const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
        if (answer.status === 200) accepted.push(answer.body.id);
        else otherAnswers.push(answer.status);
      } catch {
        // Refused or cut once the drain began: not answered, so the provider would retry.
      }
    }
  });

  await eventually(async () => accepted.length >= 60 && receiver.received.length >= 20, 30_000);
  delayMs = 1_500;
  const before = receiver.received.length;
  await receiver.waitFor(before + 1, 20_000); // a slow attempt is in flight
  const inFlight = await halfSentWebhook(source.ingest_url);

  const signalledAt = Date.now();
  const exited = new Promise<number | null>((res) => hookline.child.once('exit', (code) => res(code)));
  hookline.child.kill('SIGTERM');
  signalled = true;

  // Draining: the listener is closed at once, while the process is still at work.
  await eventually(() => refused(hookline.port), 5_000, 20);
  expect(hookline.child.exitCode, 'still draining when new connections were refused').toBeNull();
  // The request it was in the middle of is answered and stored.
  const answer = await inFlight.finish();
  expect(answer.status).toBe(200);
  accepted.push(answer.body.id);
  // The live stream is ended by the server, not cut.
  expect(await stream.ended).toBe('end');

  expect(await exited).toBe(0);
  const tookMs = Date.now() - signalledAt;
  expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  expect(hookline.output()).not.toContain('shutdown took over');
  await Promise.all(senders);
  expect(otherAnswers.filter((status) => status !== 503)).toEqual([]);
  const receivedBeforeRestart = receiver.received.length;
  // The attempts the slow receiver held when the signal came were finished, not dropped.
  expect(receivedBeforeRestart).toBeGreaterThan(before);

  // After a restart everything accepted is delivered; the receiver answers quickly again.
  delayMs = 0;
  hookline = await startHooklineProcess({ env, port: hookline.port });
  await eventually(async () => (await api.ok('GET', '/v1/events?status=pending')).data.length === 0, 30_000, 200);
  const arrivals = new Map<string, number>();
  for (const r of receiver.received) {
    const id = r.headers['webhook-id'] as string;
    arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
  }
  expect(
    accepted.filter((id) => !arrivals.has(id)),
    'accepted but never delivered',
  ).toEqual([]);
  expect(
    [...arrivals].filter(([, n]) => n > 1),
    'delivered more than once',
  ).toEqual([]);
  // Every event took exactly one attempt, answered 200: none was cut short, recorded as
  // failed or made again because of the shutdown (those in flight were recorded then).
  const attemptsOf = async (id: string) => {
    const event = await api.ok('GET', `/v1/events/${id}`);
    return { id, status: event.status, codes: event.deliveries[0].attempts.map((a: { status_code: number | null }) => a.status_code) };
  };
  const details = [];
  for (let i = 0; i < accepted.length; i += 10) details.push(...(await Promise.all(accepted.slice(i, i + 10).map(attemptsOf))));
  expect(details.filter((d) => d.status !== 'delivered' || d.codes.length !== 1 || d.codes[0] !== 200)).toEqual([]);
  console.log(
    `shutdown under load (${storage.backend}): ${accepted.length} accepted, exit 0 after ${tookMs} ms, ` +
      `${receivedBeforeRestart} delivered before the restart, ${receiver.received.length - receivedBeforeRestart} after`,
  );
}, 120_000);
