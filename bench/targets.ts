// What the bench measures, each started fresh on its own storage: the naive baseline,
// Hookline in scale mode (relay, API and worker as separate processes on PostgreSQL +
// Redis), and Hookline embedded (one process on PGlite).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  backendEnv,
  dropDatabase,
  freePort,
  type HooklineProcess,
  REPO_ROOT,
  recreateDatabase,
  signUp,
  startHooklineProcess,
  TEST_REDIS_URL,
  testRedisPrefix,
} from '@hookline/testing';
import pg from 'pg';
import { MUX_SECRET, type Receiver, signedMuxEvent } from './load.ts';
import { cloneHistory, settle } from './preload.ts';

export interface Target {
  name: string;
  ingestUrl: string;
  /** The process whose memory is reported (the all-in-one process, or the relay). */
  pid: number;
  /** Hookline's API, to time the list endpoints (the naive relay has none). */
  api?: { url: string; key: string };
  /** Fills storage with `count` delivered events' worth of history. */
  preload(count: number): Promise<void>;
  /** What Hookline's processes printed (at BENCH_LOG_LEVEL, `error` unless set). */
  logs?(): string;
  stop(): Promise<void>;
}

/** Settings for measuring throughput, not the rate limits or the storage budget. */
const UNLIMITED = {
  HOOKLINE_INGEST_RATE_LIMIT: '100000000',
  // A million events of history are several GB: over the default per-tenant budget.
  HOOKLINE_TENANT_STORAGE_BUDGET: '0',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
};

async function sendAndWait(ingestUrl: string, receiver: Receiver): Promise<string> {
  const { id, body, headers } = signedMuxEvent();
  const res = await fetch(ingestUrl, { method: 'POST', body, headers });
  if (res.status !== 200) throw new Error(`seed event answered ${res.status}: ${await res.text()}`);
  await receiver.drain([id], 30_000);
  if (!receiver.arrivals.has(id)) throw new Error('seed event was not delivered');
  return id;
}

function waitForLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes(text)) return;
      // Found: what the child prints from now on is read and dropped (a pipe left unread would
      // stop it when full), not searched again and again.
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.stdout?.resume();
      child.stderr?.resume();
      resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

export async function naiveTarget(receiver: Receiver): Promise<Target> {
  const database = `hookline_bench_naive_${process.pid}`;
  const databaseUrl = await recreateDatabase(database);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/naive/server.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      NAIVE_PREFIX: testRedisPrefix(),
      MUX_SECRET,
      DESTINATION_URL: receiver.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForLine(child, 'listening');
  const ingestUrl = `http://127.0.0.1:${port}/webhooks/mux`;
  return {
    name: 'naive (PG + Redis)',
    ingestUrl,
    pid: child.pid as number,
    async preload(count) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { body } = signedMuxEvent();
        await client.query(
          `insert into naive_events (provider_event_id, body, status, attempts, delivered_at)
           select 'pre-' || g, $1, 'delivered', 1, now() from generate_series(1, $2::int) g`,
          [body, count],
        );
        await settle((text) => client.query(text));
      } finally {
        await client.end();
      }
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await dropDatabase(database);
    },
  };
}

/** Signs up, and points a Mux source at the receiver. Returns the source's ingest path and an API key. */
async function configure(apiUrl: string, receiver: Receiver): Promise<{ path: string; key: string }> {
  const { api, apiKey } = await signUp(apiUrl);
  const source = await api.ok('POST', '/v1/sources', { name: 'bench', provider: 'mux', verification: { secret: MUX_SECRET } });
  // The throughput figures measure the relay, not a destination's budget (default 5 in flight).
  await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url, max_in_flight: 1000 });
  return { path: new URL(source.ingest_url).pathname, key: apiKey };
}

export async function scaleTarget(receiver: Receiver): Promise<Target> {
  const storage = await backendEnv({ backend: 'postgres' });
  const env: Record<string, string> = { ...storage.env, ...UNLIMITED };
  const api = await startHooklineProcess({ env, role: 'api' });
  const relay = await startHooklineProcess({ env, role: 'relay' });
  const worker = await startHooklineProcess({ env, role: 'worker' });
  const { path, key } = await configure(api.url, receiver);
  const ingestUrl = `${relay.url}${path}`;
  return {
    name: 'Hookline scale (PG + Redis, 3 processes)',
    ingestUrl,
    api: { url: api.url, key },
    pid: relay.child.pid as number,
    async preload(count) {
      const seed = await sendAndWait(ingestUrl, receiver);
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        await cloneHistory((text, params) => client.query(text, params), seed, count);
      } finally {
        await client.end();
      }
    },
    logs: () => [api, relay, worker].map((p) => p.output()).join(''),
    async stop() {
      await Promise.all([api.stop(), relay.stop(), worker.stop()]);
      await storage.cleanup();
    },
  };
}

export async function embeddedTarget(receiver: Receiver): Promise<Target> {
  const storage = await backendEnv({ backend: 'embedded' });
  const env: Record<string, string> = { ...storage.env, ...UNLIMITED };
  let hookline: HooklineProcess = await startHooklineProcess({ env });
  const { path, key } = await configure(hookline.url, receiver);
  const target: Target = {
    name: 'Hookline embedded (PGlite, 1 process)',
    ingestUrl: `${hookline.url}${path}`,
    api: { url: hookline.url, key },
    pid: hookline.child.pid as number,
    async preload(count) {
      const seed = await sendAndWait(target.ingestUrl, receiver);
      // PGlite is one process's database: stop Hookline, write the history, start it again.
      await hookline.stop();
      const { PGlite } = await import('@electric-sql/pglite');
      const pglite = new PGlite(join(env.HOOKLINE_DATA_DIR as string, 'pglite'));
      try {
        await cloneHistory((text, params) => pglite.query(text, params), seed, count);
      } finally {
        await pglite.close();
      }
      hookline = await startHooklineProcess({ env });
      target.ingestUrl = `${hookline.url}${path}`;
      target.api = { url: hookline.url, key };
      target.pid = hookline.child.pid as number;
    },
    logs: () => hookline.output(),
    async stop() {
      await hookline.stop();
      await storage.cleanup();
    },
  };
  return target;
}

/** Every target by the name BENCH_TARGETS and bench/series.ts take. */
export const starters: Record<string, (receiver: Receiver) => Promise<Target>> = {
  naive: naiveTarget,
  scale: scaleTarget,
  embedded: embeddedTarget,
};
