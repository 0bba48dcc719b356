import { randomBytes } from 'node:crypto';
import { hashApiKey, newId, SecretBox } from '@hookline/core';
import { openDatabase } from '@hookline/db';
import * as core from '@hookline/db/migrations/2026_11_23_0001_core.ts';
import * as sessionsAndStream from '@hookline/db/migrations/2026_11_23_0002_sessions_and_stream.ts';
import * as testEvents from '@hookline/db/migrations/2026_11_23_0003_test_events.ts';
import * as sourcesAwaitingSecret from '@hookline/db/migrations/2026_11_23_0004_sources_awaiting_secret.ts';
import {
  ApiClient,
  type BackendEnv,
  backendEnv,
  dropDatabase,
  type HooklineProcess,
  muxSignature,
  randomSecretKey,
  recreateDatabase,
  sendWebhook,
  signUp,
  startHooklineProcess,
  TEST_REDIS_URL,
  tempDir,
  testBackend,
  testRedisPrefix,
} from '@hookline/testing';
import { Redis } from 'ioredis';
import { Kysely, type Migration, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/** The schema of the last release that stored ingest keys in plaintext. */
const PLAINTEXT_RELEASE: Record<string, Migration> = {
  '2026_11_23_0001_core': core,
  '2026_11_23_0002_sessions_and_stream': sessionsAndStream,
  '2026_11_23_0003_test_events': testEvents,
  '2026_11_23_0004_sources_awaiting_secret': sourcesAwaitingSecret,
};

/** Storage a test owns, reachable as a Kysely handle while no Hookline process holds it. */
interface Storage {
  env: Record<string, string>;
  /** Runs `fn` against the database; on PGlite only while Hookline is stopped (one process's files). */
  open<T>(fn: (db: Kysely<any>) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

function storageOf(backend: BackendEnv): Storage {
  return {
    env: backend.env,
    open: backend.backend === 'postgres' ? openPostgres(backend.env.DATABASE_URL as string) : openEmbedded(backend.env),
    cleanup: () => backend.cleanup(),
  };
}

function openPostgres(url: string) {
  return async <T>(fn: (db: Kysely<any>) => Promise<T>): Promise<T> => {
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    try {
      return await fn(db);
    } finally {
      await db.destroy();
    }
  };
}

function openEmbedded(env: Record<string, string>) {
  return async <T>(fn: (db: Kysely<any>) => Promise<T>): Promise<T> => {
    const handle = await openDatabase({ dataDir: env.HOOKLINE_DATA_DIR as string, migrate: false });
    try {
      return await fn(handle.db as Kysely<any>);
    } finally {
      await handle.close();
    }
  };
}

/** Empty storage (no migrations run) on the current backend, with a secret key of its own. */
async function emptyStorage(): Promise<Storage> {
  const secretKey = randomSecretKey();
  if (testBackend() === 'embedded') {
    const env = { HOOKLINE_DATA_DIR: tempDir(), HOOKLINE_SECRET_KEY: secretKey };
    return { env, open: openEmbedded(env), cleanup: async () => {} };
  }
  const name = `hookline_test_upgrade_${randomBytes(6).toString('hex')}`;
  const url = await recreateDatabase(name);
  return {
    env: {
      HOOKLINE_DATA_DIR: tempDir(),
      DATABASE_URL: url,
      REDIS_URL: TEST_REDIS_URL,
      HOOKLINE_REDIS_PREFIX: testRedisPrefix(),
      HOOKLINE_SECRET_KEY: secretKey,
    },
    open: openPostgres(url),
    cleanup: () => dropDatabase(name),
  };
}

/**
 * The tables with rows that mention `needle` in any column, as `table: count`. A row cast to
 * text covers every column, including ones added after this test was written.
 */
async function tablesMentioning(db: Kysely<any>, needle: string): Promise<string[]> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  const found: string[] = [];
  for (const { table_name } of tables.rows) {
    const t = sql.table(table_name);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${t} where strpos(${t}::text, ${needle}) > 0`.execute(db);
    if (rows[0]?.n) found.push(`${table_name}: ${rows[0].n}`);
  }
  return found;
}

async function columnsOf(db: Kysely<any>, table: string): Promise<string[]> {
  const { rows } = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return rows.map((r) => r.column_name);
}

/** Every Redis key under a prefix (the limiter's counters, the queue's jobs). */
async function redisKeys(url: string, prefix: string): Promise<string[]> {
  const redis = new Redis(url);
  try {
    const names: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) names.push(...(batch as string[]));
    return names;
  } finally {
    redis.disconnect();
  }
}

async function sendMux(ingestUrl: string) {
  const body = freshMuxEvent();
  return sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
}

const running: HooklineProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(env: Record<string, string>, role?: string): Promise<HooklineProcess> {
  const hookline = await startHooklineProcess(role ? { env, role } : { env });
  running.push(hookline);
  return hookline;
}

async function stop(hookline: HooklineProcess): Promise<void> {
  running.splice(running.indexOf(hookline), 1);
  await hookline.stop();
}

describe('ingest keys are bearer secrets: the database keeps only their hash and a sealed copy', () => {
  it('stores no ingest key in plaintext, known or unknown, yet still shows and accepts the ingest URL', async () => {
    const backend = await backendEnv();
    // At info, the default, every request is logged with its URL: logs are storage too.
    const storage = storageOf({ ...backend, env: { ...backend.env, LOG_LEVEL: 'info' } });
    cleanups.push(() => storage.cleanup());
    let hookline = await start(storage.env);
    const tenant = await signUp(hookline.url);
    const source = await createMuxSource(tenant.api);
    const key = new URL(source.ingest_url).pathname.split('/').pop() as string;
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await sendMux(source.ingest_url)).status).toBe(200);
    // Shaped like a real key: a mistyped or deleted source's key is as secret as a live one.
    const unknownKey = randomBytes(24).toString('base64url');
    expect((await sendMux(`${hookline.url}/in/${unknownKey}`)).status).toBe(404);

    if (backend.backend === 'postgres') {
      // Redis holds the per-source rate-limit counters while the process runs.
      const names = await redisKeys(backend.env.REDIS_URL as string, backend.env.HOOKLINE_REDIS_PREFIX as string);
      expect(names.some((n) => n.includes(':rl:'))).toBe(true);
      expect(names.filter((n) => n.includes(key) || n.includes(unknownKey))).toEqual([]);
    }
    await stop(hookline);
    expect(hookline.output()).toContain('"url":"/in/');
    expect(hookline.output()).not.toContain(key);
    expect(hookline.output()).not.toContain(unknownKey);
    await storage.open(async (db) => {
      expect(await tablesMentioning(db, key)).toEqual([]);
      expect(await tablesMentioning(db, unknownKey)).toEqual([]);
      // The operator can still tell which key an unknown request was sent to, roughly.
      const unknown = await sql<{ ingest_key_hint: string }>`select ingest_key_hint from requests where source_id is null`.execute(db);
      expect(unknown.rows).toEqual([{ ingest_key_hint: unknownKey.slice(0, 6) }]);
    });

    // The sealed copy survives a restart: the same URL is shown and accepted.
    hookline = await start(storage.env);
    const api = new ApiClient(hookline.url, tenant.apiKey);
    const shown = await api.ok('GET', `/v1/sources/${source.id}`);
    expect(new URL(shown.ingest_url).pathname).toBe(`/in/${key}`);
    expect((await sendMux(`${hookline.url}/in/${key}`)).status).toBe(200);
    const listed = await api.ok('GET', '/v1/sources');
    expect(listed.data.map((s: { ingest_url: string }) => new URL(s.ingest_url).pathname)).toEqual([`/in/${key}`]);
  });
});

describe('upgrading from plaintext ingest keys', () => {
  it('keeps the ingest URL pasted into the provider before the upgrade, and removes the plaintext', async () => {
    const storage = await emptyStorage();
    cleanups.push(() => storage.cleanup());
    const secrets = new SecretBox(Buffer.from(storage.env.HOOKLINE_SECRET_KEY as string, 'base64'));
    const oldKey = randomBytes(24).toString('base64url');
    const strayKey = randomBytes(24).toString('base64url');
    const apiKey = `hk_${randomBytes(24).toString('base64url')}`;
    const tenantId = newId('tenant');
    const sourceId = newId('source');

    // A deployment of the previous release: its schema, a source, and requests logged with the key.
    await storage.open(async (db) => {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => PLAINTEXT_RELEASE } });
      const { error } = await migrator.migrateToLatest();
      if (error) throw error;
      await db.insertInto('tenants').values({ id: tenantId, name: 'Before the upgrade' }).execute();
      await db
        .insertInto('api_keys')
        .values({ id: newId('apiKey'), tenant_id: tenantId, name: 'old', prefix: apiKey.slice(0, 10), key_hash: hashApiKey(apiKey) })
        .execute();
      await db
        .insertInto('sources')
        .values({
          id: sourceId,
          tenant_id: tenantId,
          name: 'Mux',
          provider: 'mux',
          ingest_key: oldKey,
          secret_sealed: secrets.seal(MUX_SECRET),
        })
        .execute();
      const request = { received_at: new Date(), method: 'POST', headers: '{}', body_bytes: 0, outcome: 'rejected', status_code: 401 };
      await db
        .insertInto('requests')
        .values([
          { ...request, id: newId('request'), tenant_id: tenantId, source_id: sourceId, ingest_key: oldKey },
          { ...request, id: newId('request'), tenant_id: null, source_id: null, ingest_key: strayKey, status_code: 404 },
        ])
        .execute();
    });

    // The upgrade: the new release starts on that storage (on PostgreSQL, two roles at once,
    // as scale mode starts them).
    let relay: HooklineProcess;
    let api: HooklineProcess;
    if (testBackend() === 'postgres') [relay, api] = await Promise.all([start(storage.env, 'relay'), start(storage.env, 'api')]);
    else relay = api = await start(storage.env);
    const tenantApi = new ApiClient(api.url, apiKey);
    expect((await sendMux(`${relay.url}/in/${oldKey}`)).status).toBe(200);
    const shown = await tenantApi.ok('GET', `/v1/sources/${sourceId}`);
    expect(new URL(shown.ingest_url).pathname).toBe(`/in/${oldKey}`);
    const events = await tenantApi.ok('GET', `/v1/events?source_id=${sourceId}`);
    expect(events.data).toHaveLength(1);

    await Promise.all([...new Set([relay, api])].map(stop));
    await storage.open(async (db) => {
      expect(await columnsOf(db, 'sources')).not.toContain('ingest_key');
      expect(await columnsOf(db, 'requests')).not.toContain('ingest_key');
      expect(await tablesMentioning(db, oldKey)).toEqual([]);
      expect(await tablesMentioning(db, strayKey)).toEqual([]);
      const stray = await sql<{ ingest_key_hint: string }>`select ingest_key_hint from requests where source_id is null`.execute(db);
      expect(stray.rows).toEqual([{ ingest_key_hint: strayKey.slice(0, 6) }]);
    });

    // Starting again finds nothing left to seal, and the old URL keeps working.
    const again = await start(storage.env);
    expect((await sendMux(`${again.url}/in/${oldKey}`)).status).toBe(200);
  });
});
