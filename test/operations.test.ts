import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  backendEnv,
  createTestDatabase,
  eventually,
  muxSignature,
  REPO_ROOT,
  randomSecretKey,
  sendWebhook,
  signUp,
  startHooklineProcess,
  startPostgresServer,
  startReceiver,
  TEST_REDIS_URL,
  tempDir,
  testBackend,
  testRedisPrefix,
} from '@hookline/testing';
import { describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

const run = promisify(execFile);

async function send(ingestUrl: string, secret = MUX_SECRET) {
  const body = freshMuxEvent();
  return sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, secret) });
}

describe('operations and security', () => {
  it('rate limits per API key and per source, answering 429 with Retry-After', async () => {
    const storage = await backendEnv();
    const hookline = await startHooklineProcess({ env: { ...storage.env, HOOKLINE_API_RATE_LIMIT: '5', HOOKLINE_INGEST_RATE_LIMIT: '3' } });
    try {
      const alice = await signUp(hookline.url);
      const source = await createMuxSource(alice.api); // 1 of Alice's 5
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await alice.api.call('GET', '/v1/sources')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      const limited = await alice.api.call('GET', '/v1/sources');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.body.error.code).toBe('rate_limited');
      // Another key has its own budget.
      const bob = await signUp(hookline.url);
      expect((await bob.api.call('GET', '/v1/sources')).status).toBe(200);

      const ingest = [];
      for (let i = 0; i < 4; i++) ingest.push((await send(source.ingest_url)).status);
      expect(ingest).toEqual([200, 200, 200, 429]);
      const again = await send(source.ingest_url);
      expect(again.body.error.code).toBe('rate_limited');
    } finally {
      await hookline.stop();
      await storage.cleanup();
    }
  });

  it('never writes a secret, an API key or a password to its logs', async () => {
    const storage = await backendEnv();
    const hookline = await startHooklineProcess({ env: { ...storage.env, LOG_LEVEL: 'trace' } });
    try {
      const password = 'correct horse battery staple 42';
      const api = (await signUp(hookline.url)).api;
      const email = `logs${Date.now()}@example.test`;
      await api.call('POST', '/v1/signup', { email, password, name: 'Logs' });
      await api.call('POST', '/v1/sessions', { email, password });
      const providerSecret = 'provider-secret-that-must-not-leak';
      const source = await api.ok('POST', '/v1/sources', { name: 'x', provider: 'mux', verification: { secret: providerSecret } });
      const destination = await api.ok('POST', '/v1/destinations', { source_id: source.id, url: 'http://127.0.0.1:9/none' });
      await api.ok('PATCH', `/v1/sources/${source.id}`, { verification: { secret: `${providerSecret}-2` } });
      await send(source.ingest_url, providerSecret);
      await api.call('GET', '/v1/sources/src_nope');
      const output = hookline.output();
      expect(output.length).toBeGreaterThan(1000); // trace logging really ran
      for (const secret of [password, providerSecret, destination.signing_secret.slice(6), api.apiKey as string]) {
        expect(output).not.toContain(secret);
      }
    } finally {
      await hookline.stop();
      await storage.cleanup();
    }
  });

  it('refuses private destinations unless allowed, at creation and again at delivery time', async () => {
    const storage = await backendEnv();
    const receiver = await startReceiver();
    // Allowed first (a loopback host's default), so a loopback destination exists...
    let hookline = await startHooklineProcess({ env: storage.env });
    try {
      const { api } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
      await hookline.stop();
      // ...then the same storage under a relay that forbids them.
      hookline = await startHooklineProcess({ env: { ...storage.env, HOOKLINE_ALLOW_PRIVATE_DESTINATIONS: 'false' }, port: hookline.port });
      for (const url of [
        'http://127.0.0.1:8080/x',
        'http://localhost/x',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]/x',
        'http://10.0.0.8/x',
      ]) {
        const refused = await api.call('POST', '/v1/destinations', { source_id: source.id, url });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.message).toMatch(/private or loopback|cloud metadata/);
      }
      const { body } = await send(source.ingest_url);
      const attempt = await eventually(async () => (await api.ok('GET', `/v1/events/${body.id}`)).deliveries[0].attempts[0]);
      expect(attempt).toMatchObject({ status_code: null, error: expect.stringMatching(/private address/) });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await hookline.stop();
      await receiver.close();
      await storage.cleanup();
    }
  });

  it('stops at start with one line naming a bad setting', async () => {
    await expect(startHooklineProcess({ env: { HOOKLINE_RETRY_SCHEDULE: '5s,later', HOOKLINE_DATA_DIR: tempDir() } })).rejects.toThrow(
      /exited with 1 before listening:\s*hookline: HOOKLINE_RETRY_SCHEDULE: "later" is not a duration/,
    );
  });

  it('prunes events and requests past HOOKLINE_RETENTION', async () => {
    const storage = await backendEnv();
    const hookline = await startHooklineProcess({ env: { ...storage.env, HOOKLINE_RETENTION: '1s', HOOKLINE_PRUNE_INTERVAL: '300ms' } });
    try {
      const { api } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      const { body } = await send(source.ingest_url);
      await eventually(async () => (await api.call('GET', `/v1/events/${body.id}`)).status === 404, 10_000);
      expect((await api.ok('GET', '/v1/requests')).data).toEqual([]);
    } finally {
      await hookline.stop();
      await storage.cleanup();
    }
  });

  // A script over committed files: no storage involved, so once.
  it.skipIf(testBackend() !== 'postgres')('fails the OpenAPI drift check when the committed document differs from the routes', async () => {
    const dir = tempDir();
    const doc = join(dir, 'openapi.json');
    const types = join(dir, 'api.generated.ts');
    copyFileSync(join(REPO_ROOT, 'services/api/openapi.json'), doc);
    copyFileSync(join(REPO_ROOT, 'sdk/js/src/api.generated.ts'), types);
    const script = ['--import', 'tsx', join(REPO_ROOT, 'services/api/scripts/openapi.ts'), '--check', '--doc', doc, '--types', types];
    await run(process.execPath, script, { cwd: REPO_ROOT });
    writeFileSync(doc, readFileSync(doc, 'utf8').replace('"/v1/events/replay"', '"/v1/events/replay-all"'));
    await expect(run(process.execPath, script, { cwd: REPO_ROOT })).rejects.toThrow(/stale/);
  });

  it.skipIf(testBackend() !== 'postgres')(
    'answers 503 while PostgreSQL is down, and delivers what it accepted once it is back',
    async () => {
      const pg = await startPostgresServer();
      const db = await createTestDatabase({ base: pg.url, template: 'template1' });
      const receiver = await startReceiver();
      const hookline = await startHooklineProcess({
        env: {
          HOOKLINE_DATA_DIR: tempDir(),
          DATABASE_URL: db.url,
          REDIS_URL: TEST_REDIS_URL,
          HOOKLINE_REDIS_PREFIX: testRedisPrefix(),
          HOOKLINE_SECRET_KEY: randomSecretKey(),
          HOOKLINE_SWEEP_INTERVAL: '300ms',
        },
      });
      try {
        const { api } = await signUp(hookline.url);
        const source = await createMuxSource(api);
        await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
        receiver.respondWith(() => ({ status: 503 }));
        const accepted = await send(source.ingest_url);
        expect(accepted.status).toBe(200);

        pg.stop('immediate');
        const down = await send(source.ingest_url);
        expect(down.status).toBe(503);
        expect(down.body.error.code).toBe('storage_unavailable');
        expect((await fetch(`${hookline.url}/readyz`)).status).toBe(503);

        pg.start();
        receiver.respondWith(() => ({ status: 200 }));
        await eventually(async () => (await send(source.ingest_url)).status === 200, 20_000);
        await eventually(async () => receiver.received.some((r) => r.headers['webhook-id'] === accepted.body.id), 20_000);
        expect((await fetch(`${hookline.url}/readyz`)).status).toBe(200);
      } finally {
        await hookline.stop();
        await receiver.close();
        pg.ensureStopped();
      }
    },
  );
});
