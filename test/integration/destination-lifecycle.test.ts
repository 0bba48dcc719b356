import {
  type BackendEnv,
  backendEnv,
  eventually,
  muxSignature,
  type Receiver,
  type SmtpServer,
  sendWebhook,
  signUp,
  startReceiver,
  startSmtpServer,
} from '@hookline/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, type InProcessHookline, MUX_SECRET, startHooklineApp } from '../helpers.ts';

/**
 * Issue 13's measured test, driven for real end to end: a destination that fails "for a day"
 * (a fast schedule) trips the breaker, is disabled, raises its failing and disabled alerts
 * once each on every channel, and after the endpoint recovers and a person re-enables it
 * (replaying what it missed, one call), every held event arrives once and a recovered alert goes out. Nothing is set in the
 * database by hand: failures are real 500s, the breaker, the evaluator and the sender are
 * the worker's own.
 */
describe('a destination failing for a day, disabled, re-enabled', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let endpoint: Receiver;
  let webhook: Receiver;
  let slack: Receiver;
  let smtp: SmtpServer;

  beforeAll(async () => {
    storage = await backendEnv();
    [endpoint, webhook, slack, smtp] = await Promise.all([
      startReceiver(() => ({ status: 500, body: 'down' })),
      startReceiver(),
      startReceiver(),
      startSmtpServer(),
    ]);
    hookline = await startHooklineApp({
      env: {
        ...storage.env,
        // Retries never run out while it fails: every event is still held when it is disabled.
        HOOKLINE_RETRY_SCHEDULE: Array(40).fill('100ms').join(','),
        // The sweeper is a backstop these flows must not need: a minute's sweep never comes.
        HOOKLINE_SWEEP_INTERVAL: '60s',
        HOOKLINE_BREAKER_THRESHOLD: '3',
        HOOKLINE_BREAKER_BACKOFF: '200ms',
        HOOKLINE_BREAKER_MAX_BACKOFF: '400ms',
        // "A day" of failing, on a fast clock.
        HOOKLINE_DISABLE_AFTER: '2s',
        HOOKLINE_ALERT_INTERVAL: '200ms',
        HOOKLINE_ALERT_RETRY_SCHEDULE: '200ms,500ms,1s',
        HOOKLINE_SMTP_URL: smtp.url,
        HOOKLINE_ALERT_FROM: 'Hookline <alerts@example.test>',
      },
    });
  });
  afterAll(async () => {
    await hookline?.close();
    await Promise.all([endpoint, webhook, slack].map((r) => r?.close()));
    await smtp?.close();
    await storage?.cleanup();
  });

  it('trips the breaker, disables, alerts once per channel, holds every event, and delivers each once after one call re-enables and replays it', async () => {
    const tenant = await signUp(hookline.url, hookline.fetch);
    const channel = await tenant.api.ok('POST', '/v1/alert-channels', { type: 'webhook', url: webhook.url });
    await tenant.api.ok('POST', '/v1/alert-channels', { type: 'slack', url: `${slack.url}/T000/B000/XXXX` });
    const mailbox = `ops+${tenant.tenantId.toLowerCase()}@example.test`;
    await tenant.api.ok('POST', '/v1/alert-channels', { type: 'email', email: mailbox });
    const source = await createMuxSource(tenant.api);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: endpoint.url });
    const view = () => tenant.api.ok('GET', `/v1/destinations/${destination.id}`);

    const sent: string[] = [];
    const sendOne = async () => {
      const body = freshMuxEvent();
      const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) }, hookline.fetch);
      expect(answer.status).toBe(200);
      sent.push(answer.body.id);
    };

    // Events keep arriving while it fails (one per poll, at most 90 however slow the machine: the
    // held list below is read in one page of 100); the breaker trips after 3 in a row.
    const whileFailing = () => (sent.length < 90 ? sendOne() : Promise.resolve());
    const tripped = await eventually(
      async () => {
        await whileFailing();
        const v = await view();
        return v.consecutive_failures >= 3 && v.breaker_open_until !== null && v;
      },
      20_000,
      200,
    );
    expect(tripped.failing_since).not.toBeNull();
    // It keeps failing past HOOKLINE_DISABLE_AFTER: the breaker disables it.
    const disabled = await eventually(
      async () => {
        await whileFailing();
        const v = await view();
        return v.status === 'disabled' && v;
      },
      20_000,
      200,
    );
    expect(disabled.disabled_at).not.toBeNull();
    expect(disabled.consecutive_failures).toBeGreaterThanOrEqual(3);
    // Events that arrive while it is disabled are kept too.
    for (let i = 0; i < 3; i++) await sendOne();

    // Every event is held (none spent its schedule, none was delivered), and listed so.
    const held = await eventually(async () => {
      const page = await tenant.api.ok('GET', `/v1/destinations/${destination.id}/deliveries?status=held&limit=100`);
      return page.data.length === sent.length && page.data;
    });
    expect(new Set(held.map((d: any) => d.event_id))).toEqual(new Set(sent));
    expect(new Set(held.map((d: any) => d.held_reason))).toEqual(new Set(['destination_disabled']));

    // Failing, then disabled: each announced on every channel.
    const notices = () =>
      webhook.received.map((r) => {
        // Every operational notice verifies with the channel's secret (Standard Webhooks).
        new Webhook(channel.signing_secret).verify(r.body, r.headers as Record<string, string>);
        const notice = JSON.parse(r.body);
        expect(notice.alert.subject).toEqual({ kind: 'destination', id: destination.id });
        return `${notice.type} ${notice.alert.type}`;
      });
    const slackTitles = () => slack.received.map((r) => (JSON.parse(r.body).text as string).split('\n')[0]);
    const mailSubjects = () => smtp.mails.map((m) => m.subject);
    // Per channel: the two opened notices (in either order: should one evaluation open both, they
    // are sent at once), then the recovered one.
    const perChannel = () => [notices(), slackTitles(), mailSubjects()].map((sent) => [...sent.slice(0, 2).sort(), ...sent.slice(2)]);
    const opened = [
      ['alert.opened destination.disabled', 'alert.opened destination.failing'],
      ['*Destination disabled*', '*Destination failing*'],
      ['[Hookline] Destination disabled', '[Hookline] Destination failing'],
    ];
    await eventually(async () => notices().length === 2 && slackTitles().length === 2 && mailSubjects().length === 2);
    expect(perChannel()).toEqual(opened);
    const open = (await tenant.api.ok('GET', '/v1/alerts?status=open')).data;
    expect(open.map((a: any) => [a.type, a.subject.id])).toEqual([
      ['destination.disabled', destination.id],
      ['destination.failing', destination.id],
    ]);
    // Failing first, then disabled.
    expect(Date.parse(open[1].opened_at)).toBeLessThanOrEqual(Date.parse(open[0].opened_at));

    // The endpoint recovers; one call re-enables the destination and replays what it missed.
    endpoint.respondWith(() => ({ status: 200 }));
    const before = endpoint.received.length;
    const replay = await tenant.api.ok('POST', `/v1/destinations/${destination.id}/replay`, {});
    expect(replay.count).toBe(sent.length);
    expect(await view()).toMatchObject({ status: 'active', disabled_at: null, consecutive_failures: 0 });
    await endpoint.waitFor(before + sent.length, 15_000);
    const deliveredIds = endpoint.received.slice(before).map((r) => r.headers['webhook-id']);
    // Every held event arrived, each exactly once.
    expect([...deliveredIds].sort()).toEqual([...sent].sort());
    await eventually(async () => {
      const page = await tenant.api.ok('GET', `/v1/destinations/${destination.id}/deliveries?status=succeeded&limit=100`);
      return page.data.length === sent.length;
    });

    // Recovered: one more notice on every channel, and that is all there ever was (no re-sends while open).
    await eventually(async () => notices().length === 3 && slackTitles().length === 3 && mailSubjects().length === 3);
    const recoveredNotices = ['alert.resolved destination.recovered', '*Destination recovered*', '[Hookline] Destination recovered'];
    expect(perChannel()).toEqual(opened.map((pair, i) => [...pair, recoveredNotices[i]]));
    expect(new Set(smtp.mails.flatMap((m) => m.to))).toEqual(new Set([mailbox]));
    expect(new Set(webhook.received.map((r) => r.headers['webhook-id'])).size).toBe(3);
    const alerts = (await tenant.api.ok('GET', '/v1/alerts')).data;
    expect(alerts.map((a: any) => [a.type, a.status])).toEqual([
      ['destination.recovered', 'resolved'],
      ['destination.disabled', 'resolved'],
      ['destination.failing', 'resolved'],
    ]);
    const [recovered, disabledAlert, failingAlert] = alerts;
    expect(recovered.detail.resolves.map((r: any) => r.id).sort()).toEqual([failingAlert.id, disabledAlert.id].sort());
    // Recovery is a delivery that succeeded, not the re-enabling itself.
    expect(Date.parse(recovered.opened_at)).toBeGreaterThanOrEqual((endpoint.received[before]?.at as number) - 100);
    expect(endpoint.received.length).toBe(before + sent.length);
  });
});
