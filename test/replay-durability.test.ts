import { ulid } from '@hookline/core';
import { backendEnv, eventually, type HooklineProcess, signUp, startHooklineProcess, startReceiver, testBackend } from '@hookline/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createMuxSource } from './helpers.ts';

// Issue 13 asks for 50,000: HOOKLINE_REPLAY_TEST_EVENTS=50000. The suite runs 5,000, which
// exercises the same kill and resume (10 chunks of 500) in a time CI can afford; every
// delivery is a real HTTP attempt, so the size sets the test's length.
const EVENTS = Number(process.env.HOOKLINE_REPLAY_TEST_EVENTS ?? 5_000);
const WORKER_CONCURRENCY = 50;
// A short job lease and sweeps so the restarted worker takes over the job at once; a delivery
// timeout far above what the local receiver takes (on a busy machine a 1 s timeout expires on
// answers that did arrive, which would add retries the kill did not cause), so killed attempts
// come back when their 20 s lease lapses; quick retries all the same.
const SETTINGS = {
  HOOKLINE_DELIVERY_TIMEOUT: '10s',
  HOOKLINE_RETRY_SCHEDULE: '1s,1s,1s,1s,1s',
  HOOKLINE_SWEEP_INTERVAL: '2s',
  HOOKLINE_REPLAY_POLL_INTERVAL: '100ms',
  HOOKLINE_REPLAY_LEASE: '1s',
  HOOKLINE_REPLAY_CHUNK: '500',
  HOOKLINE_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
};

// PostgreSQL only: the test seeds and watches the database from outside the processes, which
// the embedded backend (one process owns its PGlite files) does not allow.
describe.skipIf(testBackend() !== 'postgres')('a bulk replay survives kill -9', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.reverse()) await fn();
    cleanups.length = 0;
  });

  it(`replays ${EVENTS.toLocaleString('en')} dead letters found by a search across a SIGKILL of the worker: every one delivered, duplicates only for attempts in flight`, async () => {
    const storage = await backendEnv();
    const receiver = await startReceiver(() => ({ status: 200 }));
    cleanups.push(
      () => storage.cleanup(),
      () => receiver.close(),
    );
    const env = { ...storage.env, ...SETTINGS };
    const api = await startHooklineProcess({ env, role: 'api' });
    cleanups.push(() => api.stop());
    let worker: HooklineProcess = await startHooklineProcess({ env, role: 'worker' });
    cleanups.push(() => worker.stop());

    const tenant = await signUp(api.url);
    const source = await createMuxSource(tenant.api);
    const destination = await tenant.api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });

    // 50,000 events whose one delivery spent its schedule, in two statements.
    const db = new pg.Client({ connectionString: storage.env.DATABASE_URL });
    await db.connect();
    cleanups.push(() => db.end());
    const prefix = ulid(Date.now() - 60_000).slice(0, 10);
    const id = (kind: string) => `'${kind}_${prefix}' || lpad(g::text, 16, '0')`;
    await db.query(
      `insert into events (id, tenant_id, source_id, type, provider, provider_event_id, provider_event_type, received_at, payload)
       select ${id('evt')}, $1, $2, 'video.asset.ready', 'mux', 'seed-' || g, 'video.asset.ready', now() - interval '1 minute',
              json_build_object('id', ${id('evt')}, 'type', 'video.asset.ready', 'data', json_build_object('n', g, 'passthrough', 'bulk'))::text
       from generate_series(1, ${EVENTS}) g`,
      [tenant.tenantId, source.id],
    );
    await db.query(
      `insert into deliveries (id, tenant_id, event_id, destination_id, status, attempt_count, last_attempt_at)
       select ${id('dlv')}, $1, ${id('evt')}, $2, 'failed', 2, now() - interval '1 minute' from generate_series(1, ${EVENTS}) g`,
      [tenant.tenantId, destination.id],
    );
    const counts = await tenant.api.ok('GET', '/v1/dead-letters/counts');
    expect(counts.total).toBe(EVENTS);

    const started = Date.now();
    // A search among the selection's fields: the runner resolves it chunk by chunk, so it resumes like the rest.
    const filter = { destination_id: destination.id, status: ['failed'], q: 'data.passthrough:bulk' };
    expect(await tenant.api.ok('POST', '/v1/replays/preview', { filter })).toEqual({ total: EVENTS });
    const job = await tenant.api.ok('POST', '/v1/replays', { filter });
    expect(job.total).toBe(EVENTS);
    const progress = async () =>
      (await db.query<{ status: string; done: number }>('select status, done from replay_jobs where id = $1', [job.id])).rows[0]!;

    // Half-way through the job, the worker dies without a chance to clean up.
    await eventually(async () => (await progress()).done >= EVENTS / 2, 300_000, 5);
    expect(await worker.stop('SIGKILL')).toBeNull();
    const atKill = await progress();
    expect(atKill.status).toBe('running');
    expect(atKill.done).toBeLessThan(EVENTS);

    worker = await startHooklineProcess({ env, role: 'worker' });
    const distinct = () => new Set(receiver.received.map((r) => r.headers['webhook-id'] as string));
    await eventually(async () => distinct().size === EVENTS, 300_000, 250);
    expect(await progress()).toMatchObject({ status: 'succeeded', done: EVENTS });
    const seconds = (Date.now() - started) / 1000;

    const expected = await db.query<{ id: string }>('select id from events where tenant_id = $1', [tenant.tenantId]);
    expect([...distinct()].sort()).toEqual(expected.rows.map((r) => r.id).sort());
    // The chunk in flight at the kill was rolled back with its cursor, so the replay itself
    // repeats nothing; what can arrive twice is an attempt that was sent but not yet recorded
    // when the process died: at most one per attempt slot.
    const duplicates = receiver.received.length - EVENTS;
    expect(duplicates).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    // Attempts sent but unrecorded at the kill are recorded once their lease lapses and they are sent again.
    const statuses = async () =>
      (
        await db.query<{ status: string; n: number }>(
          'select status, count(*)::int as n from deliveries where tenant_id = $1 group by status order by status',
          [tenant.tenantId],
        )
      ).rows;
    const settled = await eventually(async () => {
      const rows = await statuses();
      return rows.length === 1 && rows[0]!.status === 'succeeded' && rows[0]!.n;
    }, 120_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; deliveries by status: ${JSON.stringify(await statuses())}`);
    });
    expect(settled).toBe(EVENTS);
    console.log(
      `replay of ${EVENTS} across kill -9 at ${atKill.done} redelivered: all delivered in ${seconds.toFixed(1)} s, ${duplicates} duplicates`,
    );
  }, 660_000);
});
