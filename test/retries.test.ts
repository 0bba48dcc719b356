import {
  type BackendEnv,
  backendEnv,
  eventually,
  freePort,
  type HooklineProcess,
  muxSignature,
  type Respond,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startReceiver,
  type Tenant,
} from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

describe('retries on a fast schedule, every attempt recorded', () => {
  let storage: BackendEnv;
  let hookline: HooklineProcess;
  let tenant: Tenant;
  const receivers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    storage = await backendEnv();
    hookline = await startHooklineProcess({
      env: { ...storage.env, HOOKLINE_RETRY_SCHEDULE: '100ms,100ms,100ms', HOOKLINE_DELIVERY_TIMEOUT: '500ms' },
    });
    tenant = await signUp(hookline.url);
  });
  afterAll(async () => {
    await hookline?.stop();
    for (const r of receivers) await r.close();
    await storage?.cleanup();
  });

  /** A source with one destination answering as scripted; returns the event's id after one send. */
  async function deliverTo(respond: Respond | string) {
    let url = respond as string;
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
    if (typeof respond === 'function') {
      receiver = await startReceiver(respond);
      receivers.push(receiver);
      url = receiver.url;
    }
    const source = await createMuxSource(tenant.api);
    await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url });
    const body = freshMuxEvent();
    const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    return { eventId: answer.body.id as string, receiver };
  }

  const settled = (eventId: string, status: string, attempts: number) =>
    eventually(async () => {
      const event = await tenant.api.ok('GET', `/v1/events/${eventId}`);
      const delivery = event.deliveries[0];
      return delivery.status === status && delivery.attempts.length === attempts && delivery;
    });

  /** The first attempt, once recorded (later retries may follow at once on this schedule). */
  const firstAttempt = (eventId: string) =>
    eventually(async () => (await tenant.api.ok('GET', `/v1/events/${eventId}`)).deliveries[0].attempts[0]);

  it('500, 503, then 200: three attempts, numbered, with status codes, then delivered', async () => {
    const codes = [500, 503, 200];
    const { eventId, receiver } = await deliverTo((n) => ({ status: codes[n] ?? 200, body: `answer ${n + 1}` }));
    const delivery = await settled(eventId, 'succeeded', 3);
    expect(delivery.attempts.map((a: any) => [a.number, a.status_code, a.response_excerpt])).toEqual([
      [1, 500, 'answer 1'],
      [2, 503, 'answer 2'],
      [3, 200, 'answer 3'],
    ]);
    expect(delivery.attempts[0].error).toBe('HTTP 500');
    expect(receiver!.received.map((r) => r.headers['hookline-attempt'])).toEqual(['1', '2', '3']);
    // The idempotency key is the same on every attempt.
    expect(new Set(receiver!.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([eventId]));
  });

  it('marks the delivery failed once the schedule is spent', async () => {
    const { eventId } = await deliverTo(() => ({ status: 500 }));
    const delivery = await settled(eventId, 'failed', 4);
    expect(delivery.next_attempt_at).toBeNull();
    expect((await tenant.api.ok('GET', `/v1/events/${eventId}`)).status).toBe('failed');
  });

  it('honours Retry-After on 429 and 503', async () => {
    const { eventId } = await deliverTo(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const delivery = await settled(eventId, 'pending', 1);
    const wait = Date.parse(delivery.next_attempt_at) - Date.parse(delivery.attempts[0].created_at);
    expect(wait).toBeGreaterThan(3_500_000);
    expect(wait).toBeLessThanOrEqual(3_600_000 + 1000);
  });

  it('does not follow redirects', async () => {
    let followed = false;
    const target = await startReceiver(() => {
      followed = true;
      return { status: 200 };
    });
    receivers.push(target);
    const { eventId } = await deliverTo(() => ({ status: 302, headers: { location: target.url } }));
    expect(await firstAttempt(eventId)).toMatchObject({ status_code: 302, error: 'HTTP 302' });
    expect(followed).toBe(false);
  });

  it('records a timeout for a destination that hangs, and a refused connection', async () => {
    const hung = await deliverTo(() => 'hang');
    expect(await firstAttempt(hung.eventId)).toMatchObject({ status_code: null, error: expect.stringMatching(/timeout/) });

    const closed = await deliverTo(`http://127.0.0.1:${await freePort()}/hook`);
    expect(await firstAttempt(closed.eventId)).toMatchObject({ status_code: null, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
