import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { openDatabase } from '@hookline/db';
import {
  type BackendEnv,
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  sendWebhook,
  signUp,
  startHooklineProcess,
  type Tenant,
} from '@hookline/testing';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/** Runs `fn` against the process's database; on PGlite only once the process has stopped. */
async function withDatabase<T>(storage: BackendEnv, fn: (db: Kysely<any>) => Promise<T>): Promise<T> {
  if (storage.backend === 'postgres') {
    const pool = new pg.Pool({ connectionString: storage.env.DATABASE_URL, max: 1 });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    try {
      return await fn(db);
    } finally {
      await db.destroy();
    }
  }
  const handle = await openDatabase({ dataDir: storage.env.HOOKLINE_DATA_DIR as string, migrate: false });
  try {
    return await fn(handle.db as Kysely<any>);
  } finally {
    await handle.close();
  }
}

/** Sends `fn(i)` for i < n, `concurrency` at a time. */
async function flood<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

/** POSTs `totalBytes` with chunked transfer encoding (no content-length), as fast as the server reads. */
function postChunked(url: string, totalBytes: number): Promise<{ status?: number; body?: any; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode as number, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    let sent = 0;
    const write = () => {
      while (sent < totalBytes) {
        const n = Math.min(64 * 1024, totalBytes - sent);
        sent += n;
        if (!req.write(Buffer.alloc(n, 'a'))) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

function signedSend(url: string, body: string) {
  return sendWebhook(url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
}

/** A Mux event whose `data` holds `padBytes` of text, so its size is known. */
function paddedMuxEvent(padBytes: number): string {
  return JSON.stringify({
    type: 'video.asset.ready',
    id: crypto.randomUUID(),
    created_at: new Date().toISOString(),
    data: { pad: 'p'.repeat(padBytes) },
  });
}

describe('anonymous and unverified traffic cannot fill the disk', () => {
  let storage: BackendEnv;
  let hookline: HooklineProcess;
  let tenant: Tenant;
  let source: { id: string; ingest_url: string };

  beforeAll(async () => {
    storage = await backendEnv();
    hookline = await startHooklineProcess({
      env: {
        ...storage.env,
        HOOKLINE_UNKNOWN_KEY_RATE_LIMIT: '20',
        HOOKLINE_REJECTED_BODY_EXCERPT: '256',
        HOOKLINE_INGEST_RATE_LIMIT: '30',
        HOOKLINE_MAX_BODY: '256kb',
        HOOKLINE_MAX_JSON_DEPTH: '64',
      },
    });
    tenant = await signUp(hookline.url);
    source = await createMuxSource(tenant.api);
  });
  afterAll(async () => {
    await hookline?.stop();
    await storage?.cleanup();
  });

  it('answers 429 to unknown keys past the budget of their address, counting them instead of storing them', async () => {
    const answers = await flood(100, 10, () =>
      sendWebhook(`${hookline.url}/in/${randomBytes(24).toString('base64url')}`, '{}', { 'user-agent': 'scanner' }),
    );
    const statuses = answers.map((a) => a.status);
    expect(count(statuses, 404)).toBe(20);
    expect(count(statuses, 429)).toBe(80);
    expect(answers.find((a) => a.status === 429)?.body.error.code).toBe('rate_limited');
    // Known keys are never held back by the address's unknown-key budget.
    expect((await signedSend(source.ingest_url, freshMuxEvent())).status).toBe(200);
  });

  it('keeps a capped excerpt and capped headers of an unverified request, and an accepted one whole', async () => {
    const usage = async () => (await tenant.api.ok('GET', '/v1/usage')).stored_bytes as number;
    const before = await usage();
    const junk: Record<string, string> = {};
    for (let i = 0; i < 20; i++) junk[`x-junk-${i}`] = 'j'.repeat(500);
    const unsigned = await sendWebhook(source.ingest_url, paddedMuxEvent(200_000), junk);
    expect(unsigned.status).toBe(401);
    const afterUnsigned = await usage();
    // 256 bytes of body, 4 KB of headers and the JSON around them; not 200 KB, not 10 KB of headers.
    expect(afterUnsigned - before).toBeGreaterThan(256);
    expect(afterUnsigned - before).toBeLessThan(256 + 4096 + 512);

    const big = paddedMuxEvent(100_000);
    const accepted = await signedSend(source.ingest_url, big);
    expect(accepted.status).toBe(200);
    const detail = await tenant.api.ok('GET', `/v1/events/${accepted.body.id}`);
    expect(detail.request.body).toBe(big);
    expect((await usage()) - afterUnsigned).toBeGreaterThan(2 * 100_000);
  });

  it("counts the requests a source's rate limit refuses, per source and minute, instead of storing them", async () => {
    const limited = await createMuxSource(tenant.api);
    const statuses = (await flood(40, 4, () => sendWebhook(limited.ingest_url, '{}', {}))).map((a) => a.status);
    expect(count(statuses, 401)).toBe(30);
    expect(count(statuses, 429)).toBe(10);
    const counted = await eventually(async () => {
      const page = await tenant.api.ok('GET', `/v1/requests/rate-limited?source_id=${limited.id}`);
      const total = page.data.reduce((n: number, row: { count: number }) => n + row.count, 0);
      return total === 10 && page;
    });
    expect(counted.data[0]).toMatchObject({ source_id: limited.id, minute: expect.stringMatching(/:00\.000Z$/) });
    const log = await tenant.api.ok('GET', `/v1/requests?source_id=${limited.id}&limit=100`);
    expect(log.data).toHaveLength(30);
    // Another tenant sees none of it.
    const other = await signUp(hookline.url);
    expect((await other.api.ok('GET', '/v1/requests/rate-limited')).data).toEqual([]);
  });

  it('answers 400 too_deep to a signed body nested past the limit, before parsing it, and logs it', async () => {
    const nested = (levels: number) =>
      `{"type":"video.asset.ready","id":"${crypto.randomUUID()}","data":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    // The envelope object is one level: 63 arrays inside it make 64.
    expect((await signedSend(source.ingest_url, nested(63))).status).toBe(200);
    const tooDeep = await signedSend(source.ingest_url, nested(64));
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error).toMatchObject({ code: 'too_deep', message: expect.stringMatching(/more than 64 levels/) });
    const bomb = await signedSend(source.ingest_url, nested(100_000));
    expect(bomb.status).toBe(400);
    expect(bomb.body.error.code).toBe('too_deep');
    const log = await tenant.api.ok('GET', `/v1/requests?source_id=${source.id}&limit=1`);
    expect(log.data[0]).toMatchObject({ outcome: 'rejected', reason: 'too_deep', status_code: 400 });
    expect((await tenant.api.call('GET', '/v1/events')).status).toBe(200);
  });

  it('logs a chunked body over the limit with its real size, or a lower bound past the drain cap', async () => {
    const answer = await postChunked(source.ingest_url, 600 * 1024);
    expect(answer.status).toBe(413);
    const log = await tenant.api.ok('GET', `/v1/requests?source_id=${source.id}&limit=1`);
    expect(log.data[0]).toMatchObject({ reason: 'too_large', status_code: 413, body_bytes: 600 * 1024 });
    expect(log.data[0].detail).toBe(`body of ${600 * 1024} bytes is over the ${256 * 1024}-byte limit`);

    // 8 times the limit past it is the drain cap (2 MB here): the log says "more than".
    await postChunked(source.ingest_url, 6 * 1024 * 1024);
    const capped = await eventually(async () => {
      const page = await tenant.api.ok('GET', `/v1/requests?source_id=${source.id}&limit=1`);
      return page.data[0].detail?.startsWith('body of more than') && page.data[0];
    });
    expect(capped.body_bytes).toBeGreaterThan(256 * 1024 + 2 * 1024 * 1024);
    expect(capped.body_bytes).toBeLessThan(6 * 1024 * 1024);
  });

  it('stored only metadata for unknown keys, an excerpt for the unverified, and counts for the rate-limited', async () => {
    await hookline.stop();
    await withDatabase(storage, async (db) => {
      const unknown = await sql<{ n: number; bodies: number; header_bytes: number }>`
        select count(*)::int as n, count(body)::int as bodies, max(octet_length(headers::text))::int as header_bytes
        from requests where source_id is null`.execute(db);
      expect(unknown.rows[0]).toMatchObject({ n: 20, bodies: 0 });
      expect(unknown.rows[0]?.header_bytes).toBeLessThan(4096 + 512);
      const unverified = await sql<{ body_bytes: number; kept: number; header_bytes: number }>`
        select body_bytes, octet_length(body) as kept, octet_length(headers::text) as header_bytes
        from requests where source_id = ${source.id} and status_code = 401`.execute(db);
      expect(unverified.rows).toHaveLength(1);
      expect(unverified.rows[0]).toMatchObject({ kept: 256 });
      expect(unverified.rows[0]?.body_bytes).toBeGreaterThan(200_000);
      expect(unverified.rows[0]?.header_bytes).toBeLessThan(4096 + 512);
      const byAddress = await sql<{ n: number }>`
        select sum(count)::int as n from rate_limited_counts where subject = 'address:127.0.0.1' and tenant_id is null`.execute(db);
      expect(byAddress.rows[0]?.n).toBe(80);
    });
  });
});

describe('a storage budget per tenant', () => {
  let storage: BackendEnv;
  let hookline: HooklineProcess;

  beforeAll(async () => {
    storage = await backendEnv();
    hookline = await startHooklineProcess({
      env: {
        ...storage.env,
        HOOKLINE_TENANT_STORAGE_BUDGET: '40kb',
        HOOKLINE_RETENTION: '3s',
        HOOKLINE_PRUNE_INTERVAL: '500ms',
      },
    });
  });
  afterAll(async () => {
    await hookline?.stop();
    await storage?.cleanup();
  });

  it('warns near it, answers 507 once over it, and lets ingest in again when retention frees space', async () => {
    const tenant = await signUp(hookline.url);
    const source = await createMuxSource(tenant.api);
    expect(await tenant.api.ok('GET', '/v1/usage')).toEqual({
      stored_bytes: 0,
      budget_bytes: 40 * 1024,
      near_budget: false,
      over_budget: false,
    });

    let refused: Awaited<ReturnType<typeof signedSend>> | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const answer = await signedSend(source.ingest_url, paddedMuxEvent(2_000));
      if (answer.status === 507) refused = answer;
      else expect(answer.status).toBe(200);
    }
    expect(refused?.body.error).toMatchObject({ code: 'storage_budget_exceeded', message: expect.stringMatching(/40960-byte budget/) });
    const log = await tenant.api.ok('GET', `/v1/requests?source_id=${source.id}&limit=1`);
    expect(log.data[0]).toMatchObject({ outcome: 'rejected', reason: 'storage_budget_exceeded', status_code: 507, event_id: null });
    const usage = await tenant.api.ok('GET', '/v1/usage');
    expect(usage).toMatchObject({ budget_bytes: 40 * 1024, near_budget: true, over_budget: true });
    expect(usage.stored_bytes).toBeGreaterThanOrEqual(40 * 1024);
    expect(hookline.output()).toMatch(/tenant storage is near its budget/);
    expect(hookline.output()).toMatch(/tenant storage budget reached/);

    // Retention prunes everything (3 s here); the pruner takes the bytes off the count.
    await eventually(async () => (await tenant.api.ok('GET', '/v1/usage')).stored_bytes === 0, 30_000, 250);
    await eventually(async () => (await signedSend(source.ingest_url, paddedMuxEvent(2_000))).status === 200, 10_000, 100);
  });
});
