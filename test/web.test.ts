import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BackendEnv,
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  REPO_ROOT,
  type Receiver,
  sendWebhook,
  startHooklineProcess,
  startReceiver,
  tempDir,
} from '@hookline/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshMuxEvent, MUX_SECRET, sessionCall } from './helpers.ts';

/**
 * The web UI in a real browser (Debian's Chromium through playwright-core), against the real
 * process: sign up, create a Mux source before having its secret (it shows as awaiting it),
 * paste the secret on the source's page, add a destination, see a signed Mux webhook appear
 * in the live log without a reload, open it, retry it. Embedded backend only: the UI does
 * not care which storage is behind the API, and one run is enough.
 *
 * HOOKLINE_SCREENSHOTS=1 also saves the main pages, laptop and phone size, to web/screenshots.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.HOOKLINE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'web', 'screenshots') : null;
const LAPTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(process.env.HOOKLINE_TEST_BACKEND !== 'embedded')('web UI in a browser', () => {
  let storage: BackendEnv;
  let hookline: HooklineProcess;
  let receiver: Receiver;
  let failing: Receiver;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    storage = await backendEnv();
    receiver = await startReceiver();
    failing = await startReceiver(() => ({ status: 503, body: 'upstream unavailable' }));
    // Alerts evaluated often, and two bad signatures are a burst, for the Alerts page's tests.
    // The breaker disables after 7 failures in a row over a second, for the re-enable test;
    // 7 stays above the 6 failures the overview test makes on purpose.
    hookline = await startHooklineProcess({
      env: {
        ...storage.env,
        HOOKLINE_ALERT_INTERVAL: '200ms',
        HOOKLINE_ALERT_REJECT_THRESHOLD: '2',
        HOOKLINE_BREAKER_THRESHOLD: '7',
        HOOKLINE_BREAKER_BACKOFF: '200ms',
        HOOKLINE_BREAKER_MAX_BACKOFF: '200ms',
        HOOKLINE_DISABLE_AFTER: '1s',
      },
    });
    // On a fresh clone the server builds the UI in the background at start: wait for it.
    await eventually(async () => (await fetch(`${hookline.url}/`)).status === 200, 120_000, 250);
    context = await chromium.launchPersistentContext(tempDir('hookline-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: LAPTOP,
      colorScheme: 'dark',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    await hookline?.stop();
    await receiver?.close();
    await failing?.close();
    await storage?.cleanup();
  });

  /** The API as the browser's user (its session cookie): what a test sets up or checks around the page. */
  const call = (method: string, path: string, payload?: unknown) => sessionCall(context, hookline.url, method, path, payload);

  const shot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Toasts from earlier steps would hide part of the page.
    await page
      .locator('.toast')
      .first()
      .waitFor({ state: 'detached', timeout: 8000 })
      .catch(() => {});
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };

  it('goes from signup to a verified Mux event in the live log, its detail, and a retry', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      // A 401 before signing up is how the app learns it is logged out; the browser logs it.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
    });

    // Sign up: the app opens on the signup form for a new visitor.
    await page.goto(`${hookline.url}/`);
    await page.getByLabel('Workspace name').waitFor();
    await shot('signup');
    await page.getByLabel('Workspace name').fill('Acme Video');
    await page.getByLabel('Email').fill(`web${Date.now()}@example.test`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Create your first source' }).waitFor();

    // A Mux source, made before Mux shows its signing secret: the secret field stays empty.
    await page.getByRole('link', { name: 'New source' }).first().click();
    await page.getByRole('radio', { name: /Mux/ }).check();
    await page
      .getByText(/Show Signing Secret/)
      .first()
      .waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Mux production');
    await page.getByRole('button', { name: 'Create Mux source' }).click();
    const ingestField = page.getByLabel('Ingest URL');
    await ingestField.waitFor();
    const ingestUrl = await ingestField.inputValue();
    expect(ingestUrl).toMatch(new RegExp(`^${hookline.url}/in/[\\w-]{20,}$`));
    // The provider's own setup steps (packages/providers), and the source awaiting its secret.
    await page.getByText('Add it in Mux').waitFor();
    await page.getByText(/paste the ingest URL as the "URL to notify"/).waitFor();
    const awaitingBadge = page.locator('h1 .badge', { hasText: 'awaiting secret' });
    await awaitingBadge.waitFor();
    await page.locator('.awaiting-secret').waitFor();
    await shot('source-created');

    // The sources list says so too, with a way to fix it.
    await page.getByRole('link', { name: 'Back' }).click();
    const muxRow = page.locator('.sources-table tbody tr', { hasText: 'Mux production' });
    await muxRow.locator('.badge', { hasText: 'awaiting secret' }).waitFor();
    await muxRow.getByRole('link', { name: 'Paste secret', exact: true }).click();

    // Paste the secret on the source's page: the source verifies from now on.
    await page.getByRole('button', { name: 'Paste the secret' }).click();
    const secretInput = page.getByLabel("Paste Mux's signing secret");
    await eventually(async () => await secretInput.evaluate((el) => el === document.activeElement));
    await secretInput.fill(MUX_SECRET);
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.getByText('Signing secret saved: requests now verify.').waitFor();
    await awaitingBadge.waitFor({ state: 'detached' });
    await page.getByLabel('New signing secret').waitFor();
    expect(await page.locator('.awaiting-secret').count()).toBe(0);

    // A destination for it.
    await page.getByRole('link', { name: 'Add destination' }).click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Add destination' }).click();
    const secret = await page.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);

    // The live log for the source, connected and waiting.
    await page.getByRole('link', { name: 'Open the live log' }).click();
    await page.getByText('Waiting for the first webhook…').waitFor();
    await page.locator('.live-indicator.is-live').waitFor();
    // Anything on window survives only if the page never reloads.
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    // Mux sends a signed webhook; it appears, verified, then delivered, with no reload.
    const body = freshMuxEvent('video.asset.ready');
    const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    const eventId = answer.body.id as string;
    const row = page.locator(`a.log-row[data-event-id="${eventId}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('video.asset.ready');
    await expect(row.textContent()).resolves.toContain('verified');
    await eventually(async () => (await row.textContent())?.includes('delivered'), 15_000);

    // A forged request is logged too, rejected with the reason.
    const forged = await sendWebhook(ingestUrl, freshMuxEvent('video.asset.created'), {
      'mux-signature': muxSignature(body, 'wrong-secret'),
    });
    expect(forged.status).toBe(401);
    await page.locator('button.log-row', { hasText: 'rejected' }).waitFor();
    await expect(page.locator('button.log-row', { hasText: 'rejected' }).textContent()).resolves.toContain('signature did not verify');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // Filters: status "Rejected" leaves only the forged request; clearing brings the event back.
    await page.getByLabel('Status', { exact: true }).selectOption('rejected');
    await eventually(async () => (await page.locator('.log-row').count()) === 1);
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await row.waitFor();
    await page.getByRole('searchbox', { name: /Search events/ }).fill(eventId);
    await page.keyboard.press('Enter');
    await eventually(async () => (await page.locator('.log-row').count()) === 1 && (await row.count()) === 1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.locator('button.log-row').waitFor();
    await shot('live-log');

    // The event's detail: normalized event, raw request, one delivery with one attempt.
    await row.click();
    await page.getByRole('tab', { name: /Deliveries/ }).waitFor();
    const attempts = page.locator('.timeline .attempt');
    await eventually(async () => (await attempts.count()) === 1);
    await expect(attempts.first().textContent()).resolves.toContain('200');
    await page.getByRole('tab', { name: 'Raw request' }).click();
    await page.getByText('mux-signature').waitFor();
    await shot('event-request');
    await page.getByRole('tab', { name: 'Event' }).click();
    await page.getByText('"provider_event"').waitFor();
    await page.getByRole('tab', { name: /Deliveries/ }).click();

    // Retry: a second attempt appears on the timeline.
    await page.getByRole('button', { name: 'Retry' }).click();
    await eventually(async () => (await attempts.count()) === 2, 15_000);
    await expect(page.locator('.attempt[data-attempt="2"]').textContent()).resolves.toContain('200');
    await receiver.waitFor(2);
    expect(receiver.received[1]?.headers['hookline-attempt']).toBe('2');
    await shot('event-detail');

    if (SCREENSHOTS) await screenshotTour(ingestUrl);
    expect(errors).toEqual([]);
  });

  it('changes the password on the Account page, saying why the policy refuses one', async () => {
    await page.goto(`${hookline.url}/#/account`);
    const change = async (current: string, next: string) => {
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password', { exact: true }).fill(next);
      await page.getByLabel('New password again').fill(next);
      await page.getByRole('button', { name: 'Change password' }).click();
    };
    await change('correct horse battery', '1234567890');
    await page.getByRole('alert').filter({ hasText: 'run of consecutive characters' }).waitFor();
    await change('correct horse battery', 'maple kettle orbit violin');
    await page.getByText('Password changed.').waitFor();
    const login = await fetch(`${hookline.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: await page.locator('.me-email').textContent(), password: 'maple kettle orbit violin' }),
    });
    expect(login.status).toBe(201);
  });

  it('lists an open alert with its count in the navigation, acknowledges it, and adds an alert channel', async () => {
    const source = await call('POST', '/v1/sources', { name: 'Mux rotated', provider: 'mux', verification: { secret: MUX_SECRET } });
    for (let i = 0; i < 2; i++) {
      const body = freshMuxEvent();
      const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, 'a rotated secret') });
      expect(answer.status).toBe(401);
    }
    const alert = await eventually(async () =>
      (await call('GET', '/v1/alerts?status=open')).data.find((a: any) => a.subject.id === source.id),
    );
    const openCount = async () => String((await call('GET', '/v1/alerts?status=open')).data.length);
    // Other alerts of this tenant may open or resolve meanwhile (the evaluator runs on its own):
    // compare the navigation's count with a fresh read each time, not with one taken earlier.
    const navMatches = async () => {
      const nav = page.locator('.nav-count');
      const shown = (await nav.count()) === 0 ? '0' : await nav.textContent();
      return shown === (await openCount());
    };

    await page.goto(`${hookline.url}/#/alerts`);
    const row = page.getByRole('row').filter({ hasText: source.id });
    await row.getByText('Source rejecting requests').waitFor();
    await expect.poll(navMatches, { timeout: 30_000 }).toBe(true);
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await row.getByText('acknowledged').waitFor();
    expect((await call('GET', '/v1/alerts?status=acknowledged')).data.map((a: any) => a.id)).toContain(alert.id);
    // The navigation's count follows: one fewer open alert (none: no count).
    await expect.poll(navMatches, { timeout: 30_000 }).toBe(true);

    await page.getByLabel('Channel type').selectOption('webhook');
    await page.getByLabel('Webhook URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByText('Webhook channel added.').waitFor();
    await page.getByRole('cell', { name: receiver.url }).waitFor();
    expect((await call('GET', '/v1/alert-channels')).data.map((c: any) => c.url)).toEqual([receiver.url]);
  });

  it('re-enables a destination the breaker disabled from its alert, and every held event arrives', async () => {
    let up = false;
    const endpoint = await startReceiver(() => ({ status: up ? 200 : 500 }));
    const source = await call('POST', '/v1/sources', { name: 'Mux outage', provider: 'mux', verification: { secret: MUX_SECRET } });
    const destination = await call('POST', '/v1/destinations', { source_id: source.id, url: endpoint.url });
    // Events keep coming while it fails, until the breaker disables it (at most 60: the page
    // counts held events up to 100).
    const ids: string[] = [];
    await eventually(
      async () => {
        const body = freshMuxEvent();
        if (ids.length < 60) {
          ids.push((await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) })).body.id);
        }
        return (await call('GET', `/v1/destinations/${destination.id}`)).status === 'disabled';
      },
      30_000,
      200,
    );
    await eventually(async () => {
      const [held, alerts] = await Promise.all([
        call('GET', `/v1/destinations/${destination.id}/deliveries?status=held&limit=100`),
        call('GET', '/v1/alerts?status=open'),
      ]);
      return held.data.length === ids.length && alerts.data.some((a: any) => a.type === 'destination.disabled');
    });

    up = true;
    const before = endpoint.received.length;
    await page.goto(`${hookline.url}/#/alerts`);
    await page.reload();
    const row = page.getByRole('row').filter({ hasText: destination.id }).filter({ hasText: 'Destination disabled' });
    await row.getByRole('button', { name: 'Re-enable' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('held-count').textContent()).toBe(`${ids.length} held events`);
    await dialog.getByRole('button', { name: 'Re-enable and deliver' }).click();
    await page.getByText(`Re-enabled: ${ids.length} deliveries are going out now, oldest first.`).waitFor();
    // The destination is active again: nothing left to re-enable.
    await row.getByRole('button', { name: 'Re-enable' }).waitFor({ state: 'detached' });

    await endpoint.waitFor(before + ids.length);
    expect(
      endpoint.received
        .slice(before)
        .map((r) => r.headers['webhook-id'])
        .sort(),
    ).toEqual([...ids].sort());
    // A delivery succeeded: the disabled alert resolves, announced as recovered.
    await eventually(async () =>
      (await call('GET', '/v1/alerts?status=resolved')).data.some(
        (a: any) => a.type === 'destination.recovered' && a.subject.id === destination.id,
      ),
    );
    await endpoint.close();
  });

  it('tries a changed filter on recent events in the destination panel, then replays exactly the matched ones', async () => {
    const source = await call('POST', '/v1/sources', { name: 'Mux routed', provider: 'mux', verification: { secret: MUX_SECRET } });
    const destination = await call('POST', '/v1/destinations', {
      source_id: source.id,
      url: receiver.url,
      filter: { 'data.passthrough': 'a' },
    });
    const ids: Record<string, string> = {};
    for (const passthrough of ['a', 'b', 'c']) {
      const event = JSON.parse(freshMuxEvent());
      event.data.passthrough = passthrough;
      const body = JSON.stringify(event);
      ids[passthrough] = (await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) })).body.id;
    }
    const arrived = (id: string) => receiver.received.filter((r) => r.headers['webhook-id'] === id).length;
    await eventually(async () => arrived(ids.a as string) === 1);

    await page.goto(`${hookline.url}/#/destinations`);
    const card = page.locator(`[data-destination="${destination.id}"]`);
    await card.getByRole('button', { name: 'Filter & transform' }).click();
    await card.getByLabel('Payload filter').fill('{"data.passthrough": {"$in": ["a", "b"]}}');
    await card.getByRole('button', { name: 'Try on recent events' }).click();
    await card.getByText('2 of 3 recent events would be sent.').waitFor();
    await card.locator(`[data-event="${ids.c}"]`).getByText('skipped by filter').waitFor();
    await card.getByRole('button', { name: 'Replay exactly these 2 to this destination' }).click();
    await page.getByText('Saved the rules and replaying 2 events to this destination.').waitFor();
    // b never had a delivery (the old filter kept it out): it is sent now; a is sent again; c is not.
    await eventually(async () => arrived(ids.b as string) === 1 && arrived(ids.a as string) === 2);
    expect(arrived(ids.c as string)).toBe(0);
    expect((await call('GET', `/v1/destinations/${destination.id}`)).filter).toEqual({ 'data.passthrough': { $in: ['a', 'b'] } });
  });

  it('orders a destination per object from its Edit form, and shows what waits behind a failing event', async () => {
    const stuck = await startReceiver(() => ({ status: 503, headers: { 'retry-after': '3600' } }));
    const source = await call('POST', '/v1/sources', { name: 'Mux ordered', provider: 'mux', verification: { secret: MUX_SECRET } });
    const destination = await call('POST', '/v1/destinations', { source_id: source.id, url: stuck.url });
    // Loaded afresh: the previous test may have left the page on the destinations list.
    await page.goto(`${hookline.url}/#/destinations`);
    await page.reload();
    const card = page.locator(`[data-destination="${destination.id}"]`);
    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByLabel('Order').selectOption('object');
    await card.getByLabel('Ordering window').fill('0ms');
    await card.getByRole('button', { name: 'Save' }).click();
    await card.getByText('in order per object').waitFor();
    expect(await call('GET', `/v1/destinations/${destination.id}`)).toMatchObject({ ordering: 'object', ordering_window: '0ms' });

    // Two events about the same asset (the fixture's): the first fails and waits an hour; the second waits for it.
    const sent: string[] = [];
    for (let i = 0; i < 2; i++) {
      const body = freshMuxEvent();
      sent.push((await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) })).body.id);
    }
    await stuck.waitFor(1);
    const holds = card.locator('[data-object-holds]');
    await holds.getByText('1 delivery waiting behind an earlier event of the same object').waitFor();
    await holds.getByRole('link', { name: sent[0] as string }).waitFor();
    await page.goto(`${hookline.url}/#/events/${sent[1]}`);
    await page.getByText('held: waiting for an earlier event of the same object').waitFor();
    await page
      .locator('[data-delivery]')
      .getByRole('link', { name: sent[0] as string })
      .waitFor();
    expect(stuck.received).toHaveLength(1);
    await stuck.close();
  });

  it('shows on the overview exactly the traffic sent, live, and the source page counts it as it arrives', async () => {
    // A tenant of its own, so the numbers are this test's traffic only.
    const email = `charts${Date.now()}@example.test`;
    const signup = await context.request.post(`${hookline.url}/v1/signup`, {
      data: { email, password: 'correct horse battery', name: 'Charts' },
    });
    expect(signup.status()).toBe(201);
    expect(
      (await context.request.post(`${hookline.url}/v1/sessions`, { data: { email, password: 'correct horse battery' } })).status(),
    ).toBe(201);
    // Only this test's destination calls the failing receiver.
    const failedBefore = failing.received.length;
    const source = await call('POST', '/v1/sources', { name: 'Mux charts', provider: 'mux', verification: { secret: MUX_SECRET } });
    await call('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    const failingDestination = await call('POST', '/v1/destinations', { source_id: source.id, url: failing.url });
    const send = (body: string, secret = MUX_SECRET) =>
      sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, secret) });

    // The source page counts events as they arrive, with no reload.
    await page.goto(`${hookline.url}/#/sources/${source.id}`);
    await page.getByText('0 events · last never').waitFor();
    expect((await send(freshMuxEvent())).status).toBe(200);
    await page.getByText(/^1 events · last /).waitFor();

    // The overview is open while the rest arrives: 3 accepted in all, 2 rejected; each event
    // goes to a receiver that answers 200 and to one that answers 503.
    await page.goto(`${hookline.url}/#/overview?range=1h`);
    const tile = (label: string) => page.locator(`[data-tile="${label}"]`);
    await tile('Accepted').waitFor();
    expect((await send(freshMuxEvent())).status).toBe(200);
    expect((await send(freshMuxEvent('video.asset.created'))).status).toBe(200);
    expect((await send(freshMuxEvent(), 'forged')).status).toBe(401);
    expect((await send(freshMuxEvent(), 'forged')).status).toBe(401);
    // Each event's delivery to the 503 receiver fails, is retried 5 s later (the default
    // schedule) and fails again; the next retry is minutes away, so six failed attempts stay six.
    await eventually(async () => failing.received.length - failedBefore === 6, 30_000);

    const shown = async () => ({
      accepted: await tile('Accepted').textContent(),
      rejected: await tile('Rejected').textContent(),
      events: await tile('Events').textContent(),
      delivered: await tile('Delivered').textContent(),
      failed: await tile('Failed attempts').textContent(),
    });
    const expected = { accepted: '3', rejected: '2', events: '3', delivered: '3', failed: '6' };
    await eventually(async () => JSON.stringify(await shown()) === JSON.stringify(expected), 20_000);
    expect(await shown()).toEqual(expected);

    // The charts say the same to a screen reader (aria label) and in their data tables.
    const requests = page.locator('figure[data-chart="Requests by outcome"]');
    await expect(requests.locator('[role="img"]').getAttribute('aria-label')).resolves.toBe(
      'Requests by outcome. Totals over the range: Accepted: 3, Duplicate: 0, Rejected: 2, Rate limited: 0.',
    );
    const column = async (figure: typeof requests, series: string) =>
      (await figure.locator(`td[data-series="${series}"]`).allTextContents())
        .map((t) => (t === '–' ? 0 : Number(t)))
        .reduce((a, b) => a + b, 0);
    expect(await column(requests, 'Accepted')).toBe(3);
    expect(await column(requests, 'Rejected')).toBe(2);
    const bySource = page.locator('figure[data-chart="Events by source"]');
    expect(await column(bySource, 'Mux charts')).toBe(3);
    await expect(bySource.locator('[role="img"]').getAttribute('aria-label')).resolves.toContain('Mux charts: 3');
    // Every attempt to the 503 destination failed: its failure rate peaks at 100 %.
    const failures = page.locator('figure[data-chart="Failed attempts by destination, percent"]');
    const failingName = failingDestination.url.replace(/^https?:\/\//, '');
    await expect(failures.locator('[role="img"]').getAttribute('aria-label')).resolves.toContain(`${failingName}: 100 %`);
    // Hovering shows the exact values in the legend.
    const canvas = requests.locator('.u-over');
    const box = await canvas.boundingBox();
    if (!box) throw new Error('no chart');
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    await eventually(async () => (await requests.locator('.u-legend .u-value').allTextContents()).some((v) => /\d/.test(v)));

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize(PHONE);
    await eventually(async () => (await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);
    await shot('phone-overview');
    await page.setViewportSize(LAPTOP);
    await shot('overview');
  });

  /** More traffic and every main page, laptop and phone size, for the README. */
  async function screenshotTour(ingestUrl: string) {
    const sources = (await call('GET', '/v1/sources')).data;
    const mux = sources[0];
    await call('POST', '/v1/destinations', { source_id: mux.id, url: failing.url, event_types: ['video.live_stream.*'] });
    const fastpix = await call('POST', '/v1/sources', {
      name: 'FastPix staging',
      provider: 'fastpix',
      verification: { secret: Buffer.from('fastpix-secret').toString('base64') },
    });
    await call('POST', '/v1/destinations', { source_id: fastpix.id, url: receiver.url, event_types: ['video.asset.*'] });
    // Made before Stripe showed its secret: the sources page shows it awaiting.
    await call('POST', '/v1/sources', { name: 'Stripe billing', provider: 'stripe' });
    for (const type of [
      'video.upload.created',
      'video.asset.created',
      'video.live_stream.connected',
      'video.asset.track.ready',
      'video.asset.ready',
      'video.live_stream.active',
      'video.asset.static_renditions.ready',
    ]) {
      const body = freshMuxEvent(type);
      await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    }
    await sendWebhook(fastpix.ingest_url, '{}', {});

    await page.goto(`${hookline.url}/#/logs`);
    await page.locator('a.log-row').first().waitFor();
    await page.waitForTimeout(1500);
    await shot('live-log');
    await page.goto(`${hookline.url}/#/sources`);
    await page.getByRole('link', { name: 'FastPix staging' }).waitFor();
    await shot('sources');
    await page.getByRole('link', { name: 'New source' }).click();
    await page.getByRole('radio', { name: /Mux/ }).check();
    await shot('source-new');
    await page.goto(`${hookline.url}/#/destinations`);
    await page.locator('.dest-card').first().waitFor();
    await shot('destinations');
    await page.goto(`${hookline.url}/#/api-keys`);
    await page.getByLabel('New key').fill('CI pipeline');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Copy it now').waitFor();
    await shot('api-keys');
    const failingEvent = (await call('GET', '/v1/events?type=video.live_stream.active')).data[0];
    await page.goto(`${hookline.url}/#/events/${failingEvent.id}`);
    await page.locator('.timeline .attempt').first().waitFor();
    await shot('event-detail-retrying');

    await page.setViewportSize(PHONE);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${hookline.url}/#/logs`);
    await page.locator('a.log-row').first().waitFor();
    await shot('phone-live-log');
    await page.goto(`${hookline.url}/#/sources`);
    await page.getByRole('link', { name: 'FastPix staging' }).waitFor();
    await shot('phone-sources');
    await page.goto(`${hookline.url}/#/events/${failingEvent.id}`);
    await page.locator('.timeline .attempt').first().waitFor();
    await shot('phone-event-detail');
    await page.setViewportSize(LAPTOP);
  }
});
