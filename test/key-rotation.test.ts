import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig } from '@hookline/config';
import { ROLES, startHookline } from '@hookline/server';
import {
  type ApiClient,
  backendEnv,
  freePort,
  muxSignature,
  REPO_ROOT,
  type Receiver,
  randomSecretKey,
  sendWebhook,
  signUp,
  startReceiver,
} from '@hookline/testing';
import { Webhook } from 'standardwebhooks';
import { afterEach, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/**
 * HOOKLINE_SECRET_KEY rotation, as the README's operations guide describes it (both
 * backends): secrets sealed under key A; the processes restarted with key B and A as
 * HOOKLINE_SECRET_KEY_PREVIOUS still verify ingest (the source's secret), sign deliveries
 * (the destination's secret) and show ingest URLs (the ingest key); `admin reseal` re-seals
 * everything under B; restarted with B alone, everything still opens.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups.length = 0;
});

it('rotates the secret key: old key as previous, admin reseal, then the new key alone', async () => {
  const storage = await backendEnv();
  const receiver: Receiver = await startReceiver();
  cleanups.push(
    () => storage.cleanup(),
    () => receiver.close(),
  );
  const keyA = randomSecretKey();
  const keyB = randomSecretKey();
  const port = await freePort();
  const base = { ...storage.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent', HOOKLINE_SWEEP_INTERVAL: '300ms' };

  /** One process lifetime with these keys; the API client keeps working across them (same URL). */
  async function withKeys<T>(keys: { HOOKLINE_SECRET_KEY: string; HOOKLINE_SECRET_KEY_PREVIOUS?: string }, run: () => Promise<T>) {
    const hookline = await startHookline(loadConfig({ ...base, ...keys }), new Set(ROLES));
    try {
      return await run();
    } finally {
      await hookline.close();
    }
  }

  let api!: ApiClient;
  let source!: { id: string; ingest_url: string };
  let signingSecret!: string;
  /** A webhook in, verified with the source's secret; delivered, signed with the destination's. */
  async function roundTrip() {
    const body = freshMuxEvent();
    const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    const arrived = await receiver.waitFor(receiver.received.length + 1, 20_000).then(() => receiver.received.at(-1)!);
    expect(arrived.headers['webhook-id']).toBe(answer.body.id);
    new Webhook(signingSecret).verify(arrived.body, arrived.headers as Record<string, string>);
    // The ingest key opens too: the tenant is shown the same URL.
    expect((await api.ok('GET', `/v1/sources/${source.id}`)).ingest_url).toBe(source.ingest_url);
  }

  const admin = (keys: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/server/src/admin.ts', 'reseal'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...base, ...keys },
    }).then((r) => r.stdout);

  // Under key A: a tenant, a source (its secret and ingest key sealed) and a destination.
  await withKeys({ HOOKLINE_SECRET_KEY: keyA }, async () => {
    ({ api } = await signUp(`http://127.0.0.1:${port}`));
    source = await createMuxSource(api);
    const destination = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    signingSecret = destination.signing_secret;
    await roundTrip();
  });

  // Rotating: key B seals, key A still opens what it sealed.
  const rotating = { HOOKLINE_SECRET_KEY: keyB, HOOKLINE_SECRET_KEY_PREVIOUS: keyA };
  await withKeys(rotating, roundTrip);

  // Re-seal under B (with embedded storage the server is stopped meanwhile, as documented).
  const first = await admin(rotating);
  expect(first).toMatch(/sources\.secret_sealed:\s+1 re-sealed/);
  expect(first).toMatch(/sources\.ingest_key_sealed:\s+1 re-sealed/);
  expect(first).toMatch(/destinations\.secret_sealed:\s+1 re-sealed/);
  // Safe to run again: nothing left under A.
  expect(await admin(rotating)).not.toMatch(/[1-9]\d* re-sealed/);

  // Key A gone: everything still opens under B alone.
  await withKeys({ HOOKLINE_SECRET_KEY: keyB }, roundTrip);
  // And key A alone no longer opens anything: the re-seal really replaced the values.
  await expect(admin({ HOOKLINE_SECRET_KEY: keyA })).rejects.toThrow();
}, 120_000);
