import { existsSync } from 'node:fs';
import {
  ApiClient,
  type BackendEnv,
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  type Receiver,
  sendWebhook,
  startHooklineProcess,
  startReceiver,
  tempDir,
  testBackend,
} from '@hookline/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/**
 * Dead letters in a real browser: a destination that failed every attempt shows its count,
 * "Replay these" previews how many, the replay job's progress shows in the jobs panel, and
 * every dead letter arrives. Then bulk retry by search from the live log. One backend is enough (the UI does not see storage): PostgreSQL,
 * whose process starts faster than an embedded one on a busy machine.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.skipIf(testBackend() !== 'postgres')('dead letters in the web UI', () => {
  let storage: BackendEnv;
  let hookline: HooklineProcess;
  let receiver: Receiver;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    storage = await backendEnv();
    receiver = await startReceiver(() => ({ status: 500 }));
    hookline = await startHooklineProcess({
      env: { ...storage.env, HOOKLINE_RETRY_SCHEDULE: '50ms', HOOKLINE_REPLAY_POLL_INTERVAL: '100ms' },
    });
    await eventually(async () => (await fetch(`${hookline.url}/`)).status === 200, 120_000, 250);
    context = await chromium.launchPersistentContext(tempDir('hookline-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    await hookline?.stop();
    await receiver?.close();
    await storage?.cleanup();
  });

  /** A tenant with a Mux source, and how to log the browser in as it (after logging out whoever was). */
  async function newTenant(name: string) {
    const email = `${name}${Date.now()}@example.test`;
    const api = new ApiClient(hookline.url);
    api.apiKey = (await api.ok('POST', '/v1/signup', { email, password: 'correct horse battery', name })).api_key;
    const source = await createMuxSource(api);
    const login = async () => {
      await context.clearCookies();
      await page.goto(`${hookline.url}/#/login`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: /Log in/ }).click();
    };
    return { api, source, login };
  }

  /** Signed Mux events, each with `data.passthrough` when given; their event ids. */
  async function send(ingestUrl: string, count: number, passthrough?: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const fresh = freshMuxEvent();
      const body = passthrough ? fresh.replace(/"data": \{/, `"data": {\n    "passthrough": "${passthrough}",`) : fresh;
      ids.push((await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) })).body.id);
    }
    return ids;
  }

  it('shows dead letters per destination, previews the count, replays them and shows the job finish', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    // A tenant whose destination gave up on three events, then came back.
    const { api, source, login } = await newTenant('replay');
    await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    const ids = await send(source.ingest_url, 3);
    await eventually(async () => (await api.ok('GET', '/v1/dead-letters/counts')).total === 3);
    receiver.respondWith(() => ({ status: 200 }));
    const before = receiver.received.length;

    await login();
    await page.getByRole('link', { name: 'Dead letters' }).click();

    await expect.poll(() => page.getByTestId('dead-letter-count').first().textContent()).toBe('3');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);
    await page.getByRole('button', { name: 'Replay these' }).click();
    await expect.poll(() => page.getByTestId('replay-preview').textContent()).toBe('3');
    await page.getByRole('dialog').getByText('Replay 3 dead letters?').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Replay these' }).click();

    // The job's progress reaches 3 of 3 in the panel, and every dead letter arrives again.
    await expect.poll(() => page.getByTestId('replay-progress').first().textContent(), { timeout: 20_000 }).toBe('3 / 3');
    await page.getByText('succeeded').first().waitFor();
    await receiver.waitFor(before + 3);
    expect(
      receiver.received
        .slice(before)
        .map((r) => r.headers['webhook-id'])
        .sort(),
    ).toEqual([...ids].sort());
    await expect.poll(() => page.getByText('No dead letters. Every delivery arrived').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('replays the events a search finds from the live log: the preview counts what the job redelivers', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const { api, source, login } = await newTenant('search');
    const found = await startReceiver(() => ({ status: 200 }));
    try {
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: found.url });
      const tag = `order-${Date.now()}`;
      const ids = await send(source.ingest_url, 2, tag);
      await send(source.ingest_url, 1, 'another-order');
      // Delivered and recorded, so the replay's attempts are the only ones left to come.
      await eventually(async () => {
        const events = (await api.ok('GET', '/v1/events')).data as { status: string }[];
        return events.length === 3 && events.every((e) => e.status === 'delivered');
      });
      const before = found.received.length;

      await login();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live log' }).click();
      await page.getByRole('searchbox', { name: /Search events/ }).fill(`data.passthrough:${tag}`);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('.log-row').count()).toBe(2);
      await page.getByRole('button', { name: 'Replay…' }).click();
      await expect.poll(() => page.getByTestId('replay-preview').textContent()).toBe('2');
      await page.getByRole('dialog').getByText('Replay 2 deliveries?').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Replay events' }).click();
      await page.getByText('Replaying 2 deliveries: follow it under Dead letters.').waitFor();

      await found.waitFor(before + 2);
      expect(
        found.received
          .slice(before)
          .map((r) => r.headers['webhook-id'])
          .sort(),
      ).toEqual([...ids].sort());
      const jobs = (await api.ok('GET', '/v1/replays')).data;
      expect(jobs).toMatchObject([{ total: 2, filter: { q: `data.passthrough:${tag}` } }]);
      expect(errors).toEqual([]);
    } finally {
      await found.close();
    }
  });
});
