import { idTimeBound, newId } from '@hookline/core';
import { evaluateAlerts, pruneOlderThan } from '@hookline/db';
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
  type Tenant,
} from '@hookline/testing';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, type InProcessHookline, MUX_SECRET, startHooklineApp } from '../helpers.ts';

interface Notice {
  type: 'alert.opened' | 'alert.resolved';
  alert: { id: string; type: string; status: string; subject: { kind: string; id: string }; detail: Record<string, any> };
}

describe('alerts: channels, lifecycle, outbox', () => {
  let storage: BackendEnv;
  let hookline: InProcessHookline;
  let env: Record<string, string>;
  // Every tenant's channels point at these; notices are told apart by their subject.
  let webhook: Receiver;
  let slack: Receiver;
  let smtp: SmtpServer;
  const receivers: Receiver[] = [];
  /** Every webhook channel's signing secret: each notice must verify with one of them. */
  const secrets: string[] = [];

  beforeAll(async () => {
    storage = await backendEnv();
    webhook = await startReceiver();
    slack = await startReceiver();
    smtp = await startSmtpServer();
    receivers.push(webhook, slack);
    env = {
      ...storage.env,
      HOOKLINE_ALERT_INTERVAL: '250ms',
      // Two quick retries, then enough to outlast a restart (the last test) whatever the machine's pace.
      HOOKLINE_ALERT_RETRY_SCHEDULE: '150ms,150ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
      HOOKLINE_ALERT_REJECT_THRESHOLD: '3',
      HOOKLINE_ALERT_REJECT_WINDOW: '1m',
      HOOKLINE_ALERT_BACKLOG_AGE: '500ms',
      HOOKLINE_SMTP_URL: smtp.url,
      HOOKLINE_ALERT_FROM: 'Hookline <alerts@example.test>',
    };
    hookline = await startHooklineApp({ env });
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await hookline?.close();
    await smtp?.close();
    await storage?.cleanup();
  });

  /** A tenant with a webhook, a Slack and an email channel. */
  async function tenantWithChannels(): Promise<Tenant> {
    const tenant = await signUp(hookline.url, hookline.fetch);
    const channel = await tenant.api.ok('POST', '/v1/alert-channels', { type: 'webhook', url: webhook.url });
    secrets.push(channel.signing_secret);
    await tenant.api.ok('POST', '/v1/alert-channels', { type: 'slack', url: `${slack.url}/T000/B000/XXXX` });
    await tenant.api.ok('POST', '/v1/alert-channels', { type: 'email', email: `ops+${tenant.tenantId.toLowerCase()}@example.test` });
    return tenant;
  }

  /** The webhook notices about one subject, each checked against its channel's signature. */
  function webhookNotices(subjectId: string): Notice[] {
    return webhook.received.flatMap((r) => {
      const notice = JSON.parse(r.body) as Notice;
      if (notice.alert.subject.id !== subjectId) return [];
      const secret = secrets.find((s) => {
        try {
          new Webhook(s).verify(r.body, r.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      });
      expect(secret, 'every notice carries a valid Standard Webhooks signature').toBeDefined();
      return [notice];
    });
  }
  const slackTexts = (subjectId: string) =>
    slack.received.map((r) => JSON.parse(r.body).text as string).filter((text) => text.includes(subjectId));
  const mailsAbout = (subjectId: string) => smtp.mails.filter((m) => m.raw.includes(subjectId));
  const kinds = (notices: Notice[]) => notices.map((n) => `${n.type} ${n.alert.type}`);

  async function badSignatures(ingestUrl: string, count: number) {
    for (let i = 0; i < count; i++) {
      const headers = { 'mux-signature': muxSignature(freshMuxEvent(), 'a rotated secret') };
      const answer = await sendWebhook(ingestUrl, freshMuxEvent(), headers, hookline.fetch);
      expect(answer.status).toBe(401);
    }
  }
  async function goodEvent(ingestUrl: string) {
    const body = freshMuxEvent();
    const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) }, hookline.fetch);
    expect(answer.status).toBe(200);
  }
  const alertsOf = async (tenant: Tenant, query = '') => (await tenant.api.ok('GET', `/v1/alerts${query}`)).data as any[];

  it('channels: create, list without secrets, delete; bad input is refused with a clear error', async () => {
    const tenant = await signUp(hookline.url, hookline.fetch);
    const hook = await tenant.api.ok('POST', '/v1/alert-channels', { type: 'webhook', url: 'https://ops.example.test/hooks' });
    expect(hook).toMatchObject({ type: 'webhook', url: 'https://ops.example.test/hooks', email: null });
    expect(hook.id).toMatch(/^alc_/);
    expect(hook.signing_secret).toMatch(/^whsec_/);
    const slackChannel = await tenant.api.ok('POST', '/v1/alert-channels', {
      type: 'slack',
      url: 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN',
    });
    // An incoming-webhook URL is a bearer secret: it is kept sealed and shown cut short.
    expect(slackChannel.url).toBe('https://hooks.slack.com/services/…');
    expect(slackChannel.signing_secret).toBeUndefined();
    const mail = await tenant.api.ok('POST', '/v1/alert-channels', { type: 'email', email: 'ops@example.test' });
    expect(mail).toMatchObject({ type: 'email', email: 'ops@example.test', url: null });

    const listed = await tenant.api.ok('GET', '/v1/alert-channels');
    expect(listed.data.map((c: any) => c.id)).toEqual([hook.id, slackChannel.id, mail.id]);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    expect(JSON.stringify(listed)).not.toContain('SECRETTOKEN');

    const refused = async (body: unknown, code = 'invalid_request') => {
      const res = await tenant.api.call('POST', '/v1/alert-channels', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(5);
    };
    await refused({ type: 'pager', url: 'https://ops.example.test' });
    await refused({ type: 'webhook' });
    await refused({ type: 'webhook', url: 'https://ops.example.test', email: 'a@b.test' });
    await refused({ type: 'email', url: 'https://ops.example.test' });
    await refused({ type: 'email', email: 'not an address' });
    await refused({ type: 'webhook', url: 'ftp://ops.example.test' });
    // The destinations' SSRF rules: a cloud metadata address is never a channel.
    await refused({ type: 'slack', url: 'http://169.254.169.254/latest' });
    expect((await tenant.api.ok('GET', '/v1/alert-channels')).data).toHaveLength(3);

    expect((await tenant.api.call('DELETE', `/v1/alert-channels/${slackChannel.id}`)).status).toBe(204);
    expect((await tenant.api.call('DELETE', `/v1/alert-channels/${slackChannel.id}`)).status).toBe(404);
    expect((await tenant.api.ok('GET', '/v1/alert-channels')).data.map((c: any) => c.id)).toEqual([hook.id, mail.id]);
  });

  it('source.rejecting opens on a burst of bad signatures, once, on every channel, and resolves when a request verifies', async () => {
    const tenant = await tenantWithChannels();
    const source = await createMuxSource(tenant.api);
    await badSignatures(source.ingest_url, 3);
    const opened = await eventually(async () => (await alertsOf(tenant, '?status=open')).find((a) => a.type === 'source.rejecting'));
    expect(opened).toMatchObject({ subject: { kind: 'source', id: source.id }, resolved_at: null });
    expect(opened.detail.rejected).toBe(3);

    // More rejections while it is open re-send nothing.
    await badSignatures(source.ingest_url, 2);
    const acknowledged = await tenant.api.ok('POST', `/v1/alerts/${opened.id}/acknowledge`);
    expect(acknowledged.status).toBe('acknowledged');

    await goodEvent(source.ingest_url);
    const resolved = await eventually(async () => (await alertsOf(tenant, '?status=resolved')).find((a) => a.id === opened.id));
    expect(resolved.resolved_at).not.toBeNull();
    await eventually(
      async () => webhookNotices(source.id).length === 2 && slackTexts(source.id).length === 2 && mailsAbout(source.id).length === 2,
    );
    expect(kinds(webhookNotices(source.id))).toEqual(['alert.opened source.rejecting', 'alert.resolved source.rejecting']);
    expect(webhookNotices(source.id)[0]?.alert).toMatchObject({
      id: opened.id,
      status: 'open',
      subject: { kind: 'source', id: source.id },
    });
    expect(slackTexts(source.id)[0]).toContain('Source rejecting requests');
    expect(slackTexts(source.id)[1]).toContain('Resolved: Source rejecting requests');
    const mails = mailsAbout(source.id);
    expect(mails[0]?.to).toEqual([`ops+${tenant.tenantId.toLowerCase()}@example.test`]);
    expect(mails[0]?.subject).toBe('[Hookline] Source rejecting requests');
    expect(mails[1]?.raw).toContain('"type": "alert.resolved"');
  });

  it('source.silent opens for a source that has received events and then none for its period, and resolves on the next event', async () => {
    const tenant = await tenantWithChannels();
    const heard = await createMuxSource(tenant.api);
    const neverHeard = await createMuxSource(tenant.api);
    for (const s of [heard, neverHeard]) {
      const patched = await tenant.api.ok('PATCH', `/v1/sources/${s.id}`, { alert_silent_after_seconds: 1 });
      expect(patched.alert_silent_after_seconds).toBe(1);
    }
    await goodEvent(heard.ingest_url);
    const silent = await eventually(async () => (await alertsOf(tenant, '?status=open')).find((a) => a.type === 'source.silent'));
    expect(silent.subject).toEqual({ kind: 'source', id: heard.id });
    expect(silent.detail.silent_after_seconds).toBe(1);
    await goodEvent(heard.ingest_url);
    await eventually(async () => (await alertsOf(tenant, '?status=resolved')).some((a) => a.id === silent.id));
    // A source that never received an event is not "silent": it has not started.
    expect((await alertsOf(tenant)).filter((a) => a.subject.id === neverHeard.id)).toEqual([]);
    await eventually(async () => webhookNotices(heard.id).length === 2);
    expect(kinds(webhookNotices(heard.id))).toEqual(['alert.opened source.silent', 'alert.resolved source.silent']);
  });

  it('delivery.backlog opens while the oldest pending delivery is older than the threshold, and resolves once delivered', async () => {
    const tenant = await tenantWithChannels();
    const slow = await startReceiver(() => ({ status: 200, delayMs: 1_500 }));
    receivers.push(slow);
    const source = await createMuxSource(tenant.api);
    await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: slow.url });
    await goodEvent(source.ingest_url);
    const backlog = await eventually(async () => (await alertsOf(tenant, '?status=open')).find((a) => a.type === 'delivery.backlog'));
    expect(backlog.subject).toEqual({ kind: 'tenant', id: tenant.tenantId });
    expect(backlog.detail.pending).toBe(1);
    await slow.waitFor(1);
    await eventually(async () => (await alertsOf(tenant, '?status=resolved')).some((a) => a.id === backlog.id));
    await eventually(async () => webhookNotices(tenant.tenantId).length === 2);
    expect(kinds(webhookNotices(tenant.tenantId))).toEqual(['alert.opened delivery.backlog', 'alert.resolved delivery.backlog']);
  });

  // The breaker's columns are set directly, as the breaker sets them, so each step is certain
  // (re-enabling without a success is not a recovery yet); destination-lifecycle.test.ts drives
  // the same story with real failures.
  it('a failing, then disabled destination raises each alert once on every channel, and a recovered alert after a success', async () => {
    const tenant = await tenantWithChannels();
    const endpoint = await startReceiver();
    receivers.push(endpoint);
    const source = await createMuxSource(tenant.api);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: endpoint.url });
    const set = (assignments: string) =>
      sql`update destinations set ${sql.raw(assignments)} where id = ${destination.id}`.execute(hookline.database.db);
    await set(`consecutive_failures = 20, failing_since = now() - interval '1 hour'`);
    await eventually(async () => webhookNotices(destination.id).length === 1);
    await set(`status = 'disabled', disabled_at = now()`);
    await eventually(async () => webhookNotices(destination.id).length === 2);
    // Re-enabling forgets the run of failures (as PATCH status active does): not a recovery
    // yet, which takes a delivery that succeeds.
    await set(`status = 'active', disabled_at = null, consecutive_failures = 0, failing_since = null`);
    const now = new Date();
    const thresholds = { destinationFailingAfter: 10, rejectThreshold: 3, rejectWindowMs: 60_000, silentAfterSeconds: 0, backlogAgeMs: 0 };
    await evaluateAlerts(hookline.database.db, thresholds, { now, requestBound: idTimeBound('request', now), newId });
    const pending = (await alertsOf(tenant)).filter((a) => a.subject.id === destination.id);
    expect(pending.map((a) => [a.type, a.status])).toEqual([
      ['destination.disabled', 'open'],
      ['destination.failing', 'open'],
    ]);
    await goodEvent(source.ingest_url);
    await endpoint.waitFor(1);
    const delivered = endpoint.received[0]?.at as number;
    await eventually(async () => webhookNotices(destination.id).length === 3);
    const expected = ['alert.opened destination.failing', 'alert.opened destination.disabled', 'alert.resolved destination.recovered'];
    expect(kinds(webhookNotices(destination.id))).toEqual(expected);
    await eventually(async () => slackTexts(destination.id).length === 3 && mailsAbout(destination.id).length === 3);
    expect(slackTexts(destination.id).map((t) => t.split('\n')[0])).toEqual([
      '*Destination failing*',
      '*Destination disabled*',
      '*Destination recovered*',
    ]);
    expect(mailsAbout(destination.id).map((m) => m.subject)).toEqual([
      '[Hookline] Destination failing',
      '[Hookline] Destination disabled',
      '[Hookline] Destination recovered',
    ]);
    const alerts = (await alertsOf(tenant)).filter((a) => a.subject.id === destination.id);
    const [recovered, disabled, failing] = alerts;
    expect(alerts.map((a) => [a.type, a.status])).toEqual([
      ['destination.recovered', 'resolved'],
      ['destination.disabled', 'resolved'],
      ['destination.failing', 'resolved'],
    ]);
    expect(recovered.detail.resolves.map((r: any) => r.id).sort()).toEqual([failing.id, disabled.id].sort());
    expect(Date.parse(recovered.opened_at)).toBeGreaterThanOrEqual(delivered - 100);
  });

  it('a failing channel is retried on its schedule and holds up no other channel', async () => {
    const tenant = await signUp(hookline.url, hookline.fetch);
    const flaky = await startReceiver((n) => ({ status: n < 2 ? 500 : 200 }));
    const hanging = await startReceiver(() => 'hang');
    const fine = await startReceiver();
    receivers.push(flaky, fine);
    for (const r of [hanging, flaky, fine]) await tenant.api.ok('POST', '/v1/alert-channels', { type: 'webhook', url: r.url });
    const source = await createMuxSource(tenant.api);
    await badSignatures(source.ingest_url, 3);
    await fine.waitFor(1);
    await flaky.waitFor(3);
    expect(hanging.received).toHaveLength(1);
    // The same notification each time: one webhook-id, the receiver's idempotency key.
    expect(new Set(flaky.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(flaky.received[2]?.body).toBe(fine.received[0]?.body);
    expect(JSON.parse(fine.received[0]?.body as string)).toMatchObject({ type: 'alert.opened', alert: { type: 'source.rejecting' } });
    // Its send would otherwise hang until its timeout, holding up the restart below.
    await hanging.close();
  });

  it('tenant isolation: another tenant sees, acknowledges and deletes none of them', async () => {
    const owner = await tenantWithChannels();
    const other = await signUp(hookline.url, hookline.fetch);
    const source = await createMuxSource(owner.api);
    await badSignatures(source.ingest_url, 3);
    const alert = await eventually(async () => (await alertsOf(owner, '?status=open')).find((a) => a.type === 'source.rejecting'));
    const channels = (await owner.api.ok('GET', '/v1/alert-channels')).data;
    expect((await other.api.ok('GET', '/v1/alerts')).data).toEqual([]);
    expect((await other.api.ok('GET', '/v1/alert-channels')).data).toEqual([]);
    expect((await other.api.call('POST', `/v1/alerts/${alert.id}/acknowledge`)).status).toBe(404);
    expect((await other.api.call('DELETE', `/v1/alert-channels/${channels[0].id}`)).status).toBe(404);
    expect((await owner.api.ok('GET', '/v1/alert-channels')).data).toHaveLength(3);
    expect((await alertsOf(owner)).find((a) => a.id === alert.id).status).toBe('open');
  });

  it('retention prunes resolved alerts and the notifications that are done, and keeps what is open or still to send', async () => {
    const tenant = await signUp(hookline.url, hookline.fetch);
    const channel = await tenant.api.ok('POST', '/v1/alert-channels', { type: 'webhook', url: 'https://ops.example.test/' });
    const source = await createMuxSource(tenant.api);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: 'https://endpoint.example.test/' });
    // Rows made an hour ago, past a cutoff half an hour ago; everything else here is newer.
    const hourAgo = Date.now() - 3_600_000;
    const alert = (status: 'open' | 'resolved', type: 'destination.failing' | 'source.silent', subject: string) => ({
      id: newId('alert', hourAgo),
      tenant_id: tenant.tenantId,
      type,
      subject_kind: type === 'source.silent' ? ('source' as const) : ('destination' as const),
      subject_id: subject,
      status,
      opened_at: new Date(hourAgo),
    });
    const open = alert('open', 'destination.failing', destination.id);
    const resolved = alert('resolved', 'source.silent', source.id);
    const notification = (alertId: string, sent: boolean) => ({
      id: newId('alertNotification', hourAgo),
      tenant_id: tenant.tenantId,
      channel_id: channel.id,
      alert_id: alertId,
      body: '{}',
      // Not due: the sender leaves them alone.
      next_attempt_at: new Date(Date.now() + 3_600_000),
      sent_at: sent ? new Date(hourAgo) : null,
    });
    const [sent, unsent, ofResolved] = [notification(open.id, true), notification(open.id, false), notification(resolved.id, false)];
    // The open alert's condition holds from the same instant, so the evaluator keeps it open.
    await hookline.database.db.transaction().execute(async (trx) => {
      await sql`update destinations set consecutive_failures = 20, failing_since = now() where id = ${destination.id}`.execute(trx);
      await trx.insertInto('alerts').values([open, resolved]).execute();
      await trx.insertInto('alert_notifications').values([sent, unsent, ofResolved]).execute();
    });

    await pruneOlderThan(hookline.database.db, new Date(Date.now() - 1_800_000), 1000);
    const alerts = await hookline.database.db.selectFrom('alerts').select('id').where('id', 'in', [open.id, resolved.id]).execute();
    expect(alerts.map((a) => a.id)).toEqual([open.id]);
    const notifications = await hookline.database.db
      .selectFrom('alert_notifications')
      .select('id')
      .where('id', 'in', [sent.id, unsent.id, ofResolved.id])
      .execute();
    expect(notifications.map((n) => n.id)).toEqual([unsent.id]);
  });

  // Last: it restarts the app the tests above share.
  it('sends after a restart what a channel could not take before it', async () => {
    let up = false;
    const channel = await startReceiver(() => ({ status: up ? 200 : 503 }));
    receivers.push(channel);
    const tenant = await signUp(hookline.url, hookline.fetch);
    await tenant.api.ok('POST', '/v1/alert-channels', { type: 'webhook', url: channel.url });
    const source = await createMuxSource(tenant.api);
    await badSignatures(source.ingest_url, 3);
    await channel.waitFor(1);
    await hookline.close();
    up = true;
    const refused = channel.received.length;
    hookline = await startHooklineApp({ env });
    await channel.waitFor(refused + 1);
    expect(new Set(channel.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(JSON.parse(channel.received.at(-1)?.body as string)).toMatchObject({
      type: 'alert.opened',
      alert: { subject: { id: source.id } },
    });
  });
});
